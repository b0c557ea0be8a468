package screen

import (
	"maps"
	"testing"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
	"github.com/helpbot/helpbot/bot/internal/prefilter/prefiltertest"
)

// screenPatterns are every pattern the screen runs, a district's student
// id pattern included.
func screenPatterns(t testing.TB) []*prefilter.Regexp {
	var res []*prefilter.Regexp
	for _, r := range mustNew(t, `\bS\d{7}\b`).redactRules {
		res = append(res, r.re)
	}
	for _, p := range policies {
		res = append(res, p.re)
	}
	return append(res, sensitiveTopic)
}

var screenTexts = []string{
	"", "my password is hunter2", "PASSWORD: Tr0ub4dor&3", "pass\u200Bword is x", "paſſword is hunter2",
	"I changed my password to Spring2026!", "pw=abc123xyz", "my pin is 4821", "token xoxb-1234-5678-abcdefghijkl",
	"key sk-proj-abcdefghijklmnop1234567890", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
	"AKIAABCDEFGHIJKLMNOP", "eyJhbGciOiJI.eyJzdWIiOiIx.abcdefghijk", "Bearer abcdefghijklmnopqrstuvwxyz",
	"jane.doe@district.k12.us", "(555) 123-4567", "ssn 123-45-6789", "SSN: 123456789", "4111 1111 1111 1111",
	"dob 03/14/2012", "born on March 14, 2012", "student id 4451234", "S1234567 forgot her password",
	"how do I get past the filter", "turn off securly", "how do I DDoS the wifi", "find the teacher's password",
	"log in as another teacher", "IEP upload", "504 plan", "discipline referral", "printer jammed",
	"the projector isn't showing my laptop", "\u212Aey logger", "KEYLOGGER", "[password removed]",
}

func TestScreenPrefilters(t *testing.T) {
	prefiltertest.Check(t, screenTexts, screenPatterns(t)...)
}

// applyPlain is apply without prefilters: every rule runs every pass.
func applyPlain(s string, rules []rule, found map[Finding]bool) string {
	for range 4 {
		before := s
		for _, r := range rules {
			s = applyRule(s, r, found)
		}
		if s == before {
			break
		}
	}
	return s
}

func FuzzScreenPrefilters(f *testing.F) {
	for _, s := range screenTexts {
		f.Add(s)
	}
	res := screenPatterns(f)
	sc := mustNew(f, `\bS\d{7}\b`)
	f.Fuzz(func(t *testing.T, in string) {
		for _, re := range res {
			if got, want := re.MatchString(in), re.Regexp.MatchString(in); got != want {
				t.Errorf("%q on %q = %v; plain %v", re.String(), in, got, want)
			}
		}
		n, _ := Normalize(in)
		gotFound, wantFound := map[Finding]bool{}, map[Finding]bool{}
		got, want := apply(n, sc.redactRules, gotFound), applyPlain(n, sc.redactRules, wantFound)
		if got != want || !maps.Equal(gotFound, wantFound) {
			t.Errorf("redaction of %q = %q %v; without prefilters %q %v", n, got, gotFound, want, wantFound)
		}
	})
}
