package screen

import (
	"strings"
	"testing"
)

// benchTexts are typical staff messages (bench/slackload's questions), one
// with a password, one policy request and one pasted log.
var benchTexts = []string{
	"the projector isn't showing my laptop",
	"printer jammed",
	"how do I reset my password",
	"my chromebook won't charge",
	"how do I share a google doc with my class",
	"the wifi keeps dropping on my laptop",
	"how do I connect to the printer in the workroom",
	"my email is not syncing on my phone",
	"I changed my password to Spring2026! and now gmail won't let me in",
	"how do I get around the web filter",
}

// BenchmarkScreen is the per-message screen: normalise, redact secrets,
// policy and sensitive-topic checks.
func BenchmarkScreen(b *testing.B) {
	s := mustNew(b)
	b.Run("typical", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.Screen(benchTexts[i%len(benchTexts)])
			i++
		}
	})
	long := strings.Repeat("step 3 failed: printer offline, error 0x0000011b on \\\\printsrv\\room204 \n", 2000) // ~150 KB pasted log
	b.Run("long", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Screen(long)
		}
	})
}

// BenchmarkRedact is the full redaction (stats' unanswered questions, LLM input).
func BenchmarkRedact(b *testing.B) {
	s := mustNew(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Redact(benchTexts[i%len(benchTexts)])
		i++
	}
}
