package bot

import (
	"context"
	"strings"
)

// Summarizer writes the two-line brief a tech reads on the case card before
// anything else. It is optional: the LLM summariser in knowledge/llm
// implements it; without one (or when it fails) the desk uses CodeBrief.
type Summarizer interface {
	// Summarize returns at most two short lines about the conversation.
	// turns are already redacted of secrets, oldest first.
	Summarize(ctx context.Context, turns []Turn) (string, error)
}

// briefLine caps each line of a brief: it sits at the top of a card.
const briefLine = 160

// CodeBrief is the summary built without a model: what the requester first
// reported, then what the bot offered and what they said last. It always
// returns two lines, so every card reads the same.
func CodeBrief(turns []Turn) string {
	first, from := problemLine(turns, "")
	last := ""
	var offered []string
	for _, t := range turns[min(from, len(turns)):] {
		text := strings.Join(strings.Fields(t.Text), " ")
		switch t.Who {
		case "requester":
			if text != "" && !isGreeting(text) && !isSkip(text) && !(wantsPerson(text) && len(text) < 40) {
				last = text
			}
		case "bot":
			if titles, ok := strings.CutPrefix(text, "answered from: "); ok {
				for _, title := range strings.Split(titles, "; ") {
					if title != "" && !contains(offered, title) {
						offered = append(offered, title)
					}
				}
			}
		}
	}
	line1 := "Reported: (nothing described yet)"
	if first != "" {
		line1 = "Reported: " + first
	}
	line2 := "No help article matched"
	if len(offered) > 0 {
		line2 = "Tried: " + strings.Join(offered, "; ")
	}
	if last != "" && last != first {
		line2 += `. Last said: "` + last + `"`
	}
	return capRunes(line1, briefLine) + "\n" + capRunes(line2, briefLine)
}

// brief asks the configured Summarizer and falls back to CodeBrief: a card
// never waits on, or shows, a failed model call.
func (d *Desk) brief(ctx context.Context, turns []Turn) string {
	if d.summarizer != nil {
		s, err := d.summarizer.Summarize(ctx, turns)
		s = strings.TrimSpace(s)
		if err == nil && s != "" {
			return s
		}
		if err != nil {
			d.log.Debug("summarizer failed; using the code brief", "err", err)
		}
	}
	return CodeBrief(turns)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
