package wordnet

import (
	"slices"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, tt := range []struct{ word, syn, hyper string }{
		{"cease", "stop", ""},
		{"ceased", "stop", ""},         // regular inflection
		{"recipients", "receiver", ""}, // plural
		{"showing", "display", ""},     // the verb, not the film screening
		{"ran", "", ""},                // irregular form: found, whatever it lists
		{"download", "", "transfer"},   // verb hypernym
	} {
		syns, hypers := Lookup(tt.word)
		if len(syns)+len(hypers) == 0 {
			t.Errorf("Lookup(%q) found nothing", tt.word)
		}
		if tt.syn != "" && !slices.Contains(syns, tt.syn) {
			t.Errorf("Lookup(%q) synonyms = %v; want %q among them", tt.word, syns, tt.syn)
		}
		if tt.hyper != "" && !slices.Contains(hypers, tt.hyper) {
			t.Errorf("Lookup(%q) hypernyms = %v; want %q among them", tt.word, hypers, tt.hyper)
		}
	}
	if s, h := Lookup("zzxq"); len(s)+len(h) != 0 {
		t.Errorf("Lookup(zzxq) = %v, %v", s, h)
	}
}
