package scp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"bitsscore/src/internal/textfmt"
)

// Actions Splunk sends in a Request.
const (
	ActionGetInfo = "getinfo"
	ActionExecute = "execute"
)

// A Request is the metadata of a message from splunkd.
type Request struct {
	Action                      string      `json:"action"`
	Preview                     bool        `json:"preview"`
	StreamingCommandWillRestart bool        `json:"streaming_command_will_restart"`
	Finished                    bool        `json:"finished"`
	SearchInfo                  *SearchInfo `json:"searchinfo,omitempty"`
}

// SearchInfo describes the search, on the getinfo request. Older Splunk
// versions omit Command and MaxResultRows.
type SearchInfo struct {
	Args          []string `json:"args"`     // quotes removed
	RawArgs       []string `json:"raw_args"` // as typed
	DispatchDir   string   `json:"dispatch_dir"`
	SID           string   `json:"sid"`
	App           string   `json:"app"`
	Owner         string   `json:"owner"`
	Username      string   `json:"username"`
	SessionKey    string   `json:"session_key"`
	SplunkdURI    string   `json:"splunkd_uri"`
	SplunkVersion string   `json:"splunk_version"`
	Search        string   `json:"search"` // percent-encoded
	Command       string   `json:"command,omitempty"`
	MaxResultRows Text     `json:"maxresultrows,omitempty"`
	EarliestTime  Text     `json:"earliest_time"`
	LatestTime    Text     `json:"latest_time"`
}

// Text is a JSON string or number kept as text. Splunk sends the time bounds
// as strings that may hold decimals and maxresultrows as a number; neither
// is trusted to keep its type across versions.
type Text string

// UnmarshalJSON accepts a string, a number or null.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %s", b)
		}
		*t = Text(n)
	}
	return nil
}

// MarshalJSON writes a number when the text is one, else a string.
func (t Text) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseFloat(string(t), 64); err == nil && json.Valid([]byte(t)) {
		return []byte(t), nil
	}
	return json.Marshal(string(t))
}

// DecodeRequest decodes the metadata of a message from splunkd. It insists
// on a JSON object with a known action: anything else is a protocol error.
func DecodeRequest(metadata []byte) (Request, error) {
	var req Request
	trimmed := bytes.TrimSpace(metadata)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return req, fmt.Errorf("metadata is not a JSON object: %q", clip(metadata))
	}
	if err := json.Unmarshal(trimmed, &req); err != nil {
		return req, fmt.Errorf("metadata is not valid JSON: %w", err)
	}
	switch req.Action {
	case ActionGetInfo, ActionExecute:
	case "":
		return req, fmt.Errorf("metadata has no \"action\"")
	default:
		return req, fmt.Errorf("unknown action %q (want %q or %q)", textfmt.Clip(req.Action, 60), ActionGetInfo, ActionExecute)
	}
	return req, nil
}

// Levels of inspector messages, shown in Splunk's search UI.
const (
	LevelDebug = "DEBUG"
	LevelInfo  = "INFO"
	LevelWarn  = "WARN"
	LevelError = "ERROR"
	LevelFatal = "FATAL"
)

// An InspectorMessage is a message for the search UI. It is encoded as a
// two-element array, [level, text].
type InspectorMessage struct {
	Level string
	Text  string
}

// MarshalJSON encodes the message as [level, text], the text clipped to
// MaxMessageText however the message was made.
func (m InspectorMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]string{m.Level, textfmt.Clip(m.Text, MaxMessageText)})
}

// UnmarshalJSON decodes [level, text].
func (m *InspectorMessage) UnmarshalJSON(b []byte) error {
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("inspector message is not [level, text]: %s", b)
	}
	m.Level, m.Text = pair[0], pair[1]
	return nil
}

// Inspector carries messages for the search UI on any reply.
type Inspector struct {
	Messages []InspectorMessage `json:"messages"`
}

// GetInfoReply is a command's answer to getinfo.
type GetInfoReply struct {
	Type           string     `json:"type,omitempty"` // streaming, stateful, events or reporting
	Generating     bool       `json:"generating,omitempty"`
	RequiredFields []string   `json:"required_fields,omitempty"`
	Finished       bool       `json:"finished,omitempty"` // set with Error
	Error          string     `json:"error,omitempty"`
	Inspector      *Inspector `json:"inspector,omitempty"`
}

// ExecuteReply is a command's answer to one execute request.
type ExecuteReply struct {
	Finished  bool       `json:"finished"`
	Error     string     `json:"error,omitempty"`
	Inspector *Inspector `json:"inspector,omitempty"`
}

// MaxMessageText bounds the text of an error and of each inspector message
// a command sends: the search UI shows a message whole, and a reply must
// never grow with the input because an error quoted it. Longer text is
// clipped, on a UTF-8 boundary, with an ellipsis.
const MaxMessageText = 4 << 10

// NewMessage returns an inspector message with text clipped to
// MaxMessageText.
func NewMessage(level, text string) InspectorMessage {
	return InspectorMessage{Level: level, Text: textfmt.Clip(text, MaxMessageText)}
}

// ErrorReply is the metadata of a fatal error: Splunk ends the search and
// shows text, clipped to MaxMessageText, in the search UI.
func ErrorReply(text string) ExecuteReply {
	msg := NewMessage(LevelError, text)
	return ExecuteReply{
		Finished:  true,
		Error:     msg.Text,
		Inspector: &Inspector{Messages: []InspectorMessage{msg}},
	}
}
