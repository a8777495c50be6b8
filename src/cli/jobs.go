package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"bitsscore/src/bitsjobs"
	"bitsscore/src/detect/modes"
	"bitsscore/src/splcsv"
)

// jobsWriter is `score --jobs`: instead of one row per event it groups the
// scored Bits-Client events into one row per BITS job (bitsjobs), printed
// at the end in the columns of the app's bitsscore_jobs macro.
type jobsWriter struct {
	w          io.Writer
	json       bool
	alertsOnly bool
	jobs       *bitsjobs.Grouper
}

func newJobsWriter(w io.Writer, format string, alertsOnly bool) *jobsWriter {
	return &jobsWriter{w: w, json: format == "json", alertsOnly: alertsOnly, jobs: bitsjobs.NewGrouper()}
}

func (j *jobsWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	j.jobs.Add(func(field string) []string {
		for k, name := range outputs {
			if name == field {
				return res.outputs[k]
			}
		}
		return ev.list(field)
	})
}

func (j *jobsWriter) flush([]string) error {
	var rows [][][]string
	for _, job := range j.jobs.Jobs() {
		// A job is scored as one hardened event: its highest RiskScore.
		risk := strconv.Itoa(job.RiskScore)
		if j.alertsOnly && !modes.Alerts(modes.Hardened, func(name string) string {
			if name == "RiskScore" {
				return risk
			}
			return ""
		}) {
			continue
		}
		rows = append(rows, job.Row())
	}
	if j.jobs.Dropped > 0 {
		return fmt.Errorf("--jobs: more than %d jobs; %d events of further jobs were not grouped", bitsjobs.MaxJobs, j.jobs.Dropped)
	}
	if j.json {
		for _, row := range rows {
			obj := map[string]any{}
			for k, col := range bitsjobs.Columns {
				switch vals := row[k]; len(vals) {
				case 0:
				case 1:
					obj[col] = vals[0]
				default:
					obj[col] = vals
				}
			}
			b, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			if _, err := j.w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	}
	// CSV, multivalue cells joined by newlines as Splunk's export does.
	t := splcsv.NewTableWriter(bitsjobs.Columns, nil)
	for _, row := range rows {
		for _, vals := range row {
			t.Values(vals)
		}
		t.EndRecord()
	}
	_, err := t.WriteTo(j.w)
	return err
}
