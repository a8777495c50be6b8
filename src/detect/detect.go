// Package detect scores Windows events for BITS-job abuse (MITRE ATT&CK T1197).
//
// It knows nothing of Splunk's protocol: a Detector names the fields it reads
// and writes, and turns one event's input values into output values. The
// command package maps those names onto the columns of each chunk.
package detect

// Values are one field's values in one event. A nil (or empty) Values is a
// null field: Splunk sends an absent field and an empty one alike, as an
// empty CSV cell. One element is a single value; more are a multivalue field.
type Values [][]byte

// IsNull reports whether the field is null.
func (v Values) IsNull() bool { return len(v) == 0 }

// A Detector scores events.
//
// Inputs and Outputs are fixed for the Detector's lifetime. Score reads
// in[i] as the values of Inputs()[i] and sets every out[j] to the values of
// Outputs()[j]; a nil out[j] writes a null (empty) field. Callers reuse out
// from event to event without clearing it, so an output Score leaves
// unset would repeat the last event's. Output values may
// alias the input or the Detector's own buffers and are valid until the next
// call to Score. A Detector is not safe for concurrent use: give each
// goroutine its own.
type Detector interface {
	// Inputs names the fields Score reads: the command's required_fields.
	Inputs() []string
	// Outputs names the fields Score sets, in the order they are appended
	// to a chunk that lacks them.
	Outputs() []string
	// Score computes the outputs of one event.
	Score(in []Values, out []Values)
}

// A Verdicter is a Detector whose outputs not named like one of its inputs
// (the outputs that do not pass an input through) are, for many events,
// decided by one small number, the verdict of its last Score: two Scores
// with the same verdict, with no ForgetVerdicts between them, set those
// outputs to equal values. A caller writing millions of events can then
// encode those outputs once per verdict, not once per event.
//
// Some events' outputs may depend on the event itself (mode=hardened's
// extracted URL, say): for those, Verdict returns NoVerdict, and the
// caller encodes that event's outputs from its values.
type Verdicter interface {
	Detector
	// Verdicts is the number of verdicts; Verdict is the last Score's, in
	// [0, Verdicts()), or NoVerdict when no verdict decides its outputs.
	Verdicts() int
	Verdict() int
	// ForgetVerdicts tells the detector that the caller has dropped
	// whatever it kept by verdict, so that a verdict may now stand for
	// other outputs: a detector whose verdicts number events it remembers
	// (mode=hardened's memo) numbers them afresh.
	ForgetVerdicts()
}

// NoVerdict is the Verdict of a Score whose outputs are not decided by a
// verdict.
const NoVerdict = -1
