package prefilter_test

import (
	"fmt"
	"testing"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
	"github.com/helpbot/helpbot/bot/internal/prefilter/prefiltertest"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"printer jammed", "printer jammed"},
		{"Printer JAMMED", "printer jammed"},
		{"\u212Aey", "key"},                // Kelvin sign
		{"pa\u017F\u017Fword", "password"}, // long s
		{"σας", "ΣΑΣ"},                     // no ASCII in the orbit: its least rune
		{"can’t", "can’t"},
		{"a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		if got := prefilter.Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestNeeds(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`(?i)\b(need|want)\s+a\s+(tech|person)\b`, `[[need want] [tech person]]`},
		{`(?i)printer`, `[[printer]]`},
		{`(?i)can'?t|cannot`, `[[cant can't cannot]]`},
		{`^\s*(hi|hello)?\s*$`, `[]`}, // may match "" : no filter
		{`(?i)\b(pass ?words?|pwd)\b`, `[[pwd password pass word]]`},
		{`\bAKIA[0-9A-Z]{16}\b`, `[[akia]]`},
		{`x*`, `[]`},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(prefilter.MustCompile(tt.expr).Needs()); got != tt.want {
			t.Errorf("Needs(%q) = %s; want %s", tt.expr, got, tt.want)
		}
	}
}

// Patterns that exercise the derivation: alternations with and without
// literals, optional parts, repeats, classes, case folding, anchors.
var patterns = []string{
	`(?i)\b(talk|speak|chat)\s+(to|with)\s+(a|an|the|some|real)?\s*(person|human|tech)\b`,
	`(?i)\b(class|we)\s+(can'?t|cannot|can not|unable to)\s+(start|log ?in)\b`,
	`(?i)^\s*(thanks?( you)?|thx|ty|ok(ay)? thanks?)\s*[.!]*\s*$`,
	`(?i)\b(testing|exam)\b.{0,40}\b(down|won'?t|crash\w*)\b`,
	`(?i)\b(someone|tech)('s|’s)\b`,
	`(?i)\bkey ?loggers?\b|\bkelvin\b|\bstraße\b`,
	`\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{8,}`,
	`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END|$)`,
	`(?i)\b(pin(?: number| code)?)(\s*(?:is|was|=|:)\s*)(\d{3,8})\b`,
	`\b\d{3}[- ]\d{2}[- ]\d{4}\b`,
	`(?i)[ſs]ecret|[Kk]ey`,
	`(?i)a|b+|c{2,}`,
	`(?i)(ab|cd)(ef|g)?h`,
	`(?i)(\s+really\b)?\s*help|(x\d+y)*z|(q\s+r){0,2}s`,
	`(?i)(\s+really\b)?\s*help`, `(?i)(ab\d+yz)*hello|(\s+quick){0,2}\s*fox`,
	`.`,
}

func TestAgainstPlainRegexp(t *testing.T) {
	var res []*prefilter.Regexp
	for _, p := range patterns {
		res = append(res, prefilter.MustCompile(p))
	}
	prefiltertest.Check(t, []string{"", "x", "I need to talk to a tech", "STRASSE", "\u212Aey", "ſecret", "tests can't start"}, res...)
}

func FuzzAgainstPlainRegexp(f *testing.F) {
	for _, s := range []string{"talk to a tech", "THX!", "testing app won't load", "xoxb-12345678", "pin is 4821", "KEY LOGGER", "ſecret"} {
		f.Add(s)
	}
	var res []*prefilter.Regexp
	for _, p := range patterns {
		res = append(res, prefilter.MustCompile(p))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, re := range res {
			if got, want := re.MatchString(s), re.Regexp.MatchString(s); got != want {
				t.Errorf("%q on %q = %v; plain %v (needs %q)", re.String(), s, got, want, re.Needs())
			}
		}
	})
}
