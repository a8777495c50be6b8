package detect

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2/v2"
)

// splReference evaluates the original search literally: each SPLRules
// pattern, translated from PCRE2 to regexp2 by translatePCRE2, run by
// regexp2 on each value (lowered by unicode.ToLower per rune where the SPL
// says lower()). It is the oracle the fast detector is proven against; its
// ExternalDownload is quadratic on lines with many "http://", so it is not
// for production traffic.
type splReference struct {
	rules   []*regexp2.Regexp // parallel to SPLRules
	inputs  []string
	outputs []string
}

// NewSPLReference returns the regexp2 oracle for NewSPL: same Inputs,
// Outputs and results, computed by running the SPL's own patterns. It exists
// for tests and cross-checks; it allocates per event and its ExternalDownload
// is quadratic on lines with many "http://", so never put it on a live
// search. The error reports a pattern translatePCRE2 cannot translate
// faithfully or regexp2 cannot compile, i.e. a changed SPLRules.
//
// The patterns are compiled with no match timeout and no backtracking-stack
// limit, so that matching cannot fail for any input: regexp2 documents those
// two as its only error sources.
func NewSPLReference() (Detector, error) {
	return newSPLReference()
}

func newSPLReference() (*splReference, error) {
	r := &splReference{inputs: splInputs(), outputs: splOutputs()}
	for _, rule := range SPLRules {
		translated, err := translatePCRE2(rule.Pattern)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.Field, err)
		}
		re, err := regexp2.Compile(translated, regexp2.OptionMaxBacktrackingStackSize(-1))
		if err != nil {
			return nil, fmt.Errorf("rule %s: compiling %q: %w", rule.Field, translated, err)
		}
		r.rules = append(r.rules, re)
	}
	return r, nil
}

func (r *splReference) Inputs() []string  { return r.inputs }
func (r *splReference) Outputs() []string { return r.outputs }

func (r *splReference) Score(in, out []Values) {
	empty := Values{[]byte{}}
	fields := map[string]Values{
		fieldCommandLine: coalesceSPL(empty, in[inCommandLine], in[inProcessCommandLine]),
		fieldImage:       coalesceSPL(empty, in[inImage]),
	}
	out[outCommandLine] = fields[fieldCommandLine]
	out[outImage] = fields[fieldImage]
	score := 0
	for i, rule := range SPLRules {
		flag := 0
		if r.matchAny(r.rules[i], fields[rule.Input], rule.Lower) {
			flag = 1
		}
		if splScored(rule.Field) {
			score += flag
		}
		out[outFirstFlag+i] = Values{[]byte(strconv.Itoa(flag))}
	}
	out[outSuspicionScore] = Values{[]byte(strconv.Itoa(score))}
}

// matchAny is match() on a possibly multivalue field: true when any value
// matches. Go's string conversion leaves invalid UTF-8 in place; regexp2
// decodes each invalid byte as U+FFFD, and strings.Map (for lower()) writes
// U+FFFD for it, so the regex sees U+FFFD either way.
func (r *splReference) matchAny(re *regexp2.Regexp, field Values, lower bool) bool {
	for _, v := range field {
		s := string(v)
		if lower {
			s = strings.Map(unicode.ToLower, s)
		}
		ok, err := re.MatchString(s)
		if err != nil {
			// Unreachable: see newSPLReference. Score has no error result, and
			// a wrong 0 would silently corrupt every differential test.
			panic(fmt.Sprintf("regexp2 %q failed on %q: %v", re.String(), s, err))
		}
		if ok {
			return true
		}
	}
	return false
}
