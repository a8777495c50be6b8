package command

import (
	"fmt"
	"strings"

	"bitsscore/src/detect/modes"
	"bitsscore/src/internal/textfmt"
)

// maxArgExcerpt bounds an argument an error message quotes.
const maxArgExcerpt = 200

// Syntax is the command's syntax as searchbnf.conf shows it; error messages
// repeat it so a user can fix a search without opening the docs.
const Syntax = "bitsscore [mode=spl|hardened] [raw=<bool>] [debug=<bool>]"

// Config is what a search's arguments ask of the command.
type Config struct {
	Mode  string // modes.SPL or modes.Hardened
	Raw   bool   // read the event fields from _raw (XmlWinEventLog) instead of extracted fields
	Debug bool   // write a diagnostic log into the job's dispatch directory
	// Detection is what the mode's detector is built with besides its
	// mode. Not search arguments: the session finds the customer's
	// known-good list in the app and reads it once, before its getinfo
	// reply, so that every worker's detector shares it.
	Detection modes.Options
}

// ParseArgs parses searchinfo.args: name=value pairs, split at the first
// "=" with the quotes already removed by Splunk.
func ParseArgs(args []string) (Config, error) {
	cfg := Config{Mode: modes.SPL}
	seen := map[string]bool{}
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			return cfg, fmt.Errorf("bitsscore: argument %q is not of the form name=value. Syntax: %s", textfmt.Clip(arg, maxArgExcerpt), Syntax)
		}
		name = strings.ToLower(name)
		if seen[name] {
			return cfg, fmt.Errorf("bitsscore: argument %q is given twice. Syntax: %s", textfmt.Clip(name, maxArgExcerpt), Syntax)
		}
		seen[name] = true
		var err error
		switch name {
		case "mode":
			if mode := strings.ToLower(value); modes.Valid(mode) {
				cfg.Mode = mode
			} else {
				err = fmt.Errorf("bitsscore: mode=%q is not a mode: use mode=spl (the original SPL, the default) or mode=hardened. Syntax: %s", textfmt.Clip(value, maxArgExcerpt), Syntax)
			}
		case "raw":
			cfg.Raw, err = parseBool(name, value)
		case "debug":
			cfg.Debug, err = parseBool(name, value)
		default:
			err = fmt.Errorf("bitsscore: unknown argument %q. Syntax: %s", textfmt.Clip(name, maxArgExcerpt), Syntax)
		}
		if err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// parseBool accepts the boolean spellings Splunk's own commands accept.
func parseBool(name, value string) (bool, error) {
	switch strings.ToLower(value) {
	case "1", "t", "true", "y", "yes":
		return true, nil
	case "0", "f", "false", "n", "no":
		return false, nil
	}
	return false, fmt.Errorf("bitsscore: %s=%q is not a boolean (use true or false). Syntax: %s", name, textfmt.Clip(value, maxArgExcerpt), Syntax)
}
