package spelling

import (
	"strings"
	"testing"
)

func TestAmerican(t *testing.T) {
	for in, want := range map[string]string{
		"colour":       "color",
		"favourites":   "favorites",
		"organise":     "organize",
		"organisation": "organization",
		"centre":       "center",
		"programme":    "program",
		"licence":      "license",
		"cancelled":    "canceled",
		"enrolment":    "enrollment",
		"grey":         "gray",
		"catalogue":    "catalog",
		// American words and words without a variant stay as they are.
		"color":    "color",
		"printer":  "printer",
		"advise":   "advise",
		"practice": "practice",
		"":         "",
	} {
		if got := American(in); got != want {
			t.Errorf("American(%q) = %q; want %q", in, got, want)
		}
	}
}

// The generated table must stay a plain "variant american" list: one pair
// a line, lowercase, never a word mapped to itself or to another variant.
func TestTableIsWellFormed(t *testing.T) {
	n := 0
	for _, line := range strings.Split(data, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		from, to, ok := strings.Cut(line, " ")
		if !ok || from == to || strings.ToLower(line) != line || strings.Contains(to, " ") {
			t.Errorf("bad line %q", line)
		}
		if _, chained := table()[to]; chained {
			t.Errorf("%q maps to %q, which is itself a variant", from, to)
		}
		n++
	}
	if n < 3000 {
		t.Errorf("%d pairs; the generated table has about 3,500", n)
	}
}
