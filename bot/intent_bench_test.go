package bot

import "testing"

// BenchmarkIntents is the intent checks converse makes on a question that
// none of them claims (the common case), plus the urgency check after the
// answer.
func BenchmarkIntents(b *testing.B) {
	texts := []string{
		"the projector isn't showing my laptop",
		"printer jammed",
		"how do I reset my password",
		"my chromebook won't charge",
		"how do I share a google doc with my class",
		"the wifi keeps dropping on my laptop",
		"how do I connect to the printer in the workroom",
		"my email is not syncing on my phone",
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t := texts[i%len(texts)]
		_ = placeholderRe.ReplaceAllString(t, "")
		_ = isGreeting(t) || isStatus(t) || isThanks(t) || wantsPerson(t) || stillBroken(t)
		_ = isUrgent(t)
		i++
	}
}
