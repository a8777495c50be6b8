// Package bitsjobs groups scored Bits-Client events into BITS jobs: one
// row per host and job id, the verdict of the whole job. A job's events
// are scattered over the operational log — 3 names the process that
// created it, 59/60/61 its URLs, 16403 its files, 4 and 5 its end — and
// only together do they show who fetched what, from where, to where.
// Event 3/4/5/16403's jobId equals 59/60/61's Id.
//
// The columns are those of the app's bitsscore_jobs macro (Columns), so
// that `bitsscore score --jobs` prints offline what the search shows.
package bitsjobs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Columns are a job row's fields, in output order.
var Columns = []string{
	"host", "JobId", "JobTitle", "JobOwner", "BitsProcessPath", "BitsUrl", "BitsDestination",
	"BitsNotifyCommand", "BytesTransferred", "FirstSeen", "LastSeen", "RiskScore", "Indicators",
	"EventCodes", "EventCount",
}

// Limits keep a Grouper's memory bounded whatever the input.
const (
	// MaxJobs is the number of distinct jobs a Grouper keeps; events of
	// further jobs are counted in Dropped.
	MaxJobs = 100000
	// maxValues caps each multivalue column of a job, as the detector
	// caps its own fields.
	maxValues = 16
	// maxValueLen caps one stored value.
	maxValueLen = 4096
)

// jobEventCodes are the Bits-Client events that belong to a job, and the
// field holding the job's id in each.
var jobEventCodes = map[string]string{
	"3": "jobId", "4": "jobId", "5": "jobId", "16403": "jobId",
	"59": "Id", "60": "Id", "61": "Id",
}

// Job is one BITS job on one host.
type Job struct {
	Host, ID                     string // as the job's first event gave them
	Titles, Owners               []string
	ProcessPaths, URLs           []string
	Destinations, NotifyCommands []string
	BytesTransferred             int64  // the largest reported; -1 when none
	FirstSeen, LastSeen          string // _time as the events gave it
	RiskScore                    int    // the highest of its events; -1 when none scored
	Indicators, EventCodes       []string
	EventCount                   int
}

// Grouper accumulates events into jobs, in the order jobs are first seen.
type Grouper struct {
	maxJobs int // MaxJobs; smaller in tests
	jobs    map[string]*Job
	order   []*Job
	Dropped int // events of jobs beyond MaxJobs
}

// NewGrouper returns an empty Grouper.
func NewGrouper() *Grouper { return &Grouper{maxJobs: MaxJobs, jobs: map[string]*Job{}} }

// Add takes one event, scored by `bitsscore mode=hardened`: get returns a
// field's values, the event's own (host, _time, EventCode, jobId, Id,
// jobTitle, name, jobOwner, bytesTransferred) and the detector's
// (RiskScore, Indicators, BitsProcessPath, BitsUrl, BitsDestination,
// BitsNotifyCommand). It reports whether the event belongs to a job.
func (g *Grouper) Add(get func(field string) []string) bool {
	code := strings.TrimSpace(firstOf(get("EventCode")))
	idField, ok := jobEventCodes[code]
	if !ok {
		return false
	}
	rawID := strings.TrimSpace(firstOf(get(idField)))
	id := normalizeID(rawID)
	if id == "" {
		return false
	}
	host := strings.TrimSpace(firstOf(get("host")))
	key := strings.ToLower(host) + "\x00" + id
	j := g.jobs[key]
	if j == nil {
		if len(g.jobs) >= g.maxJobs {
			g.Dropped++
			return false
		}
		j = &Job{Host: truncateValue(host), ID: rawID, BytesTransferred: -1, RiskScore: -1}
		g.jobs[key] = j
		g.order = append(g.order, j)
	}
	j.EventCount++
	j.EventCodes = addUnique(j.EventCodes, code)
	titleField := "jobTitle"
	if idField == "Id" {
		titleField = "name"
	}
	for _, f := range []struct {
		dst   *[]string
		field string
	}{
		{&j.Titles, titleField}, {&j.Owners, "jobOwner"}, {&j.ProcessPaths, "BitsProcessPath"},
		{&j.URLs, "BitsUrl"}, {&j.Destinations, "BitsDestination"}, {&j.NotifyCommands, "BitsNotifyCommand"},
		{&j.Indicators, "Indicators"},
	} {
		for _, v := range get(f.field) {
			*f.dst = addUnique(*f.dst, v)
		}
	}
	for _, v := range get("bytesTransferred") {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > j.BytesTransferred {
			j.BytesTransferred = n
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(firstOf(get("RiskScore")))); err == nil && n > j.RiskScore {
		j.RiskScore = n
	}
	if t := truncateValue(strings.TrimSpace(firstOf(get("_time")))); t != "" {
		if j.FirstSeen == "" || earlier(t, j.FirstSeen) {
			j.FirstSeen = t
		}
		if j.LastSeen == "" || earlier(j.LastSeen, t) {
			j.LastSeen = t
		}
	}
	return true
}

// Jobs returns the jobs in the order they were first seen, each job's
// Indicators and EventCodes sorted.
func (g *Grouper) Jobs() []*Job {
	for _, j := range g.order {
		slices.Sort(j.Indicators)
		slices.SortFunc(j.EventCodes, func(a, b string) int {
			x, _ := strconv.Atoi(a)
			y, _ := strconv.Atoi(b)
			return x - y
		})
	}
	return g.order
}

// Row returns a job's values in Columns order, multivalue columns as
// lists.
func (j *Job) Row() [][]string {
	num := func(n int64) []string {
		if n < 0 {
			return nil
		}
		return []string{strconv.FormatInt(n, 10)}
	}
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	return [][]string{
		one(j.Host), {j.ID}, j.Titles, j.Owners, j.ProcessPaths, j.URLs, j.Destinations, j.NotifyCommands,
		num(j.BytesTransferred), one(j.FirstSeen), one(j.LastSeen), num(int64(j.RiskScore)), j.Indicators,
		j.EventCodes, {strconv.Itoa(j.EventCount)},
	}
}

// normalizeID makes a job GUID comparable across events: braces and case
// differ between exports. It returns "" for an id too long to be one.
func normalizeID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) > 64 {
		return ""
	}
	return s
}

// earlier compares two _time values: Splunk's epoch seconds as numbers,
// anything else (an ISO 8601 time, as some exports write it) as text,
// which orders ISO 8601 times in the same zone correctly.
func earlier(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

func firstOf(v []string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// truncateValue bounds a value a job keeps to maxValueLen bytes: a
// memory bound, not a display clip (textfmt.Clip is that).
func truncateValue(s string) string {
	if len(s) > maxValueLen {
		return s[:maxValueLen]
	}
	return s
}

func addUnique(list []string, v string) []string {
	v = truncateValue(v)
	if v == "" || len(list) >= maxValues || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// String describes a job for error messages and tests.
func (j *Job) String() string { return fmt.Sprintf("%s/%s", j.Host, j.ID) }
