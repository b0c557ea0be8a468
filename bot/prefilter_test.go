package bot

import (
	"testing"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
	"github.com/helpbot/helpbot/bot/internal/prefilter/prefiltertest"
)

// intentPatterns are every pattern in the package: each is prefiltered,
// and the filter must never skip one that would have matched.
func intentPatterns() []*prefilter.Regexp {
	res := []*prefilter.Regexp{wantsPersonRe, urgentRe, stillBrokenRe, thanksRe, solvedRe, yesNoRe, yesRe, noRe, skipRe, cancelRe,
		helpRe, statusRe, roomRe, placeRe, buildingRe, deviceRe, possessiveRe, linkRe, placeholderRe, deviceOrLoginRe}
	for _, t := range topics {
		res = append(res, t.re)
	}
	return res
}

var intentTexts = []string{
	"", "hi", "Thanks!", "thank you so much", "get a tech", "I need to talk to a person",
	"can someone come look at my projector", "open a ticket please", "someone's email got hacked",
	"the whole building has no wifi", "students can’t log in to the testing app", "URGENT projector dead",
	"still not working", "that didn't help", "nope", "skip", "never mind", "status", "what's the status of my request?",
	"Lincoln MS room 204", "asset tag CB-2291", "[password removed]", "my [secret removed] leaked",
	"the WI-FI is down in the entire school", "state testing app won't load", "my chromebook won't charge",
	"printer jammed", "the projector isn't showing my laptop", "CAN'T LOG IN", "ﬁle won't print",
	"\u212Aeyboard is broken", "paſſword expired", "no one can log in", "the phones are out in the building",
	"that fixed it", "ok it works now, thanks!", "yep that did the trick", "I need help", "can you help me?", "not really", "see https://example.org/x", "it's working now", "it works on my laptop but not the projector",
}

func TestIntentPrefilters(t *testing.T) {
	prefiltertest.Check(t, intentTexts, intentPatterns()...)
}

func FuzzIntentPrefilters(f *testing.F) {
	for _, s := range intentTexts {
		f.Add(s)
	}
	res := intentPatterns()
	f.Fuzz(func(t *testing.T, s string) {
		for _, re := range res {
			if got, want := re.MatchString(s), re.Regexp.MatchString(s); got != want {
				t.Errorf("%q on %q = %v; plain %v", re.String(), s, got, want)
			}
		}
	})
}
