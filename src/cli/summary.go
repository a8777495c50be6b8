package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"bitsscore/src/internal/textfmt"
)

// summaryWriter counts instead of printing events: per host, the events
// and alerts and the highest score; per indicator (hardened mode's
// Indicators, or the SPL's flags that are 1), the events and alerts that
// carry it. Memory grows with the number of hosts and indicators, not
// events.
type summaryWriter struct {
	w          io.Writer
	hosts      map[string]*summaryCount
	indicators map[string]*summaryCount
}

type summaryCount struct{ events, alerts, top int }

func newSummaryWriter(w io.Writer) *summaryWriter {
	return &summaryWriter{w: w, hosts: map[string]*summaryCount{}, indicators: map[string]*summaryCount{}}
}

func count(m map[string]*summaryCount, key string, alert bool, score int) {
	c := m[key]
	if c == nil {
		c = &summaryCount{}
		m[key] = c
	}
	c.events++
	if alert {
		c.alerts++
	}
	c.top = max(c.top, score)
}

func (s *summaryWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	row := tableRow(ev, outputs, res) // ALERT, SCORE, ..., WHY at 9
	score, _ := strconv.Atoi(row[1])
	host := ev.get("host")
	if host == "" {
		host = "(no host)"
	}
	count(s.hosts, host, res.alert, score)
	for _, indicator := range strings.Split(row[9], ",") {
		if indicator != "" {
			count(s.indicators, indicator, res.alert, score)
		}
	}
}

func (s *summaryWriter) flush([]string) error {
	for _, table := range []struct {
		title string
		m     map[string]*summaryCount
	}{{"HOST", s.hosts}, {"INDICATOR", s.indicators}} {
		keys := make([]string, 0, len(table.m))
		for k := range table.m {
			keys = append(keys, k)
		}
		// Most alerts first, then most events, then by name.
		slices.SortFunc(keys, func(a, b string) int {
			ca, cb := table.m[a], table.m[b]
			if ca.alerts != cb.alerts {
				return cb.alerts - ca.alerts
			}
			if ca.events != cb.events {
				return cb.events - ca.events
			}
			return strings.Compare(a, b)
		})
		rows := [][]string{{table.title, "EVENTS", "ALERTS", "TOP SCORE"}}
		for _, k := range keys {
			c := table.m[k]
			rows = append(rows, []string{k, strconv.Itoa(c.events), strconv.Itoa(c.alerts), strconv.Itoa(c.top)})
		}
		widths := textfmt.Measure(rows)
		for _, row := range rows {
			if _, err := fmt.Fprintln(s.w, widths.Format(row)); err != nil {
				return err
			}
		}
		fmt.Fprintln(s.w)
	}
	return nil
}
