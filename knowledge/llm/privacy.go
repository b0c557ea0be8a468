package llm

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/screen"
)

// outbound is the one function every string passes through on its way to
// the provider (prompts, KB excerpts, history, embedding inputs): it removes
// secrets and personal data with bot/screen's redactor (emails, phone
// numbers, SSNs, Luhn-valid card numbers, dates of birth, student ids,
// passwords, tokens and keys). The redactor works on messages of up to
// screen.MaxRunes, so longer text is redacted a line-bounded chunk at a time.
func (m *Model) outbound(s string) string {
	return redactAll(m.screener, s)
}

func redactAll(sc *screen.Screener, s string) string {
	var b strings.Builder
	for _, chunk := range chunks(s, screen.MaxRunes-100) {
		t, _ := sc.Redact(chunk)
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t)
	}
	return b.String()
}

// chunks splits s at line ends into pieces of at most n runes (a single
// longer line is split at spaces, or anywhere as a last resort).
func chunks(s string, n int) []string {
	if utf8.RuneCountInString(s) <= n {
		return []string{s}
	}
	var out []string
	var cur strings.Builder
	curRunes := 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
			curRunes = 0
		}
	}
	for _, line := range strings.Split(s, "\n") {
		for utf8.RuneCountInString(line) > n {
			flush()
			r := []rune(line)
			cut := n
			if i := strings.LastIndex(string(r[:n]), " "); i > 0 {
				cut = utf8.RuneCountInString(string(r[:n])[:i])
			}
			out = append(out, string(r[:cut]))
			line = string(r[cut:])
		}
		ln := utf8.RuneCountInString(line)
		if curRunes+ln+1 > n {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
			curRunes++
		}
		cur.WriteString(line)
		curRunes += ln
	}
	flush()
	return out
}

// sensitive reports a question that must not leave for the model: the desk
// marks health/IEP/504/discipline topics, and the same screen is applied
// again here to the question and to what the requester said earlier, so a
// follow-up ("and for my student's 504 plan?") never carries one out.
func (m *Model) sensitive(q bot.Question) bool {
	if q.Sensitive || m.screener.IsSensitive(q.Text) {
		return true
	}
	for _, t := range q.History {
		if t.Who == "requester" && m.screener.IsSensitive(t.Text) {
			return true
		}
	}
	return false
}

// noEgressKey marks a context whose question must not leave: the Answerer
// sets it before asking the KB, so the re-ranker (which sees only the
// question's text) does not embed a question the desk flagged sensitive.
type noEgressKey struct{}

func withoutEgress(ctx context.Context) context.Context {
	return context.WithValue(ctx, noEgressKey{}, true)
}

func egressBlocked(ctx context.Context) bool {
	v, _ := ctx.Value(noEgressKey{}).(bool)
	return v
}
