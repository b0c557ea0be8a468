package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"
	"github.com/sony/gobreaker/v2"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/knowledge"
)

// AINote ends every LLM answer, so nobody mistakes it for a person's words
// or for the article itself.
const AINote = "Written by AI from the cited help articles."

// maxRefs is how many article sections the model sees.
const maxRefs = 3

// Answerer is a bot.Answerer that phrases the KB answer with the model. The
// KB answers first; only a confident KB answer on a question that may leave
// is given to the model, and anything that goes wrong returns the KB answer
// unchanged. It never fails where the KB answerer would not.
type Answerer struct {
	m   *Model
	kb  bot.Answerer
	lib *knowledge.Library
}

var _ bot.Answerer = (*Answerer)(nil)

// Answerer wraps kb, the extractive answerer over lib.
func (m *Model) Answerer(kb bot.Answerer, lib *knowledge.Library) *Answerer {
	return &Answerer{m: m, kb: kb, lib: lib}
}

// Answer implements bot.Answerer.
func (a *Answerer) Answer(ctx context.Context, q bot.Question) (bot.Answer, error) {
	if a.m.sensitive(q) {
		return a.kb.Answer(withoutEgress(ctx), q)
	}
	kb, err := a.kb.Answer(ctx, q)
	if err != nil || !kb.Confident || kb.NotCovered || len(kb.Sources) == 0 {
		return kb, err
	}
	refs := a.references(q, kb)
	if len(refs) == 0 {
		return kb, nil
	}
	history := recentTurns(q)
	user, n := answerPrompt(refs, history, q.Text, a.m.cfg.MaxPromptChars)
	if n == 0 {
		a.m.log.Info("llm skipped: prompt over the size cap")
		a.m.metrics.get().LLMFallback("prompt_too_large")
		return kb, nil
	}
	refs = refs[:n]
	id := a.m.answerKey(q.Audience, q.Text, history, refs)
	o, err := a.m.once(ctx, id, func(ctx context.Context) (outcome, error) {
		return a.m.callAnswer(ctx, id, user, refs)
	})
	if err == nil && o.Kind == kindFailed {
		err = errFailedRecently
	}
	if err != nil {
		a.m.logFallback(id, err)
		return kb, nil
	}
	return finish(kb, refs, o), nil
}

// references are the sections the KB answer cites, then other good hits,
// up to maxRefs: the model may combine them, and must cite what it uses.
func (a *Answerer) references(q bot.Question, kb bot.Answer) []reference {
	ix := a.lib.Index()
	var refs []reference
	seen := map[string]bool{}
	for _, s := range kb.Sources {
		art := ix.Article(s.Path)
		if art == nil || seen[s.Path] || len(refs) == maxRefs {
			continue
		}
		sec := section(art, s.Section)
		seen[s.Path] = true
		refs = append(refs, reference{src: s, text: knowledge.Hit{Article: art, Section: sec}.Text(maxRefRunes)})
	}
	if len(refs) == 0 {
		return nil
	}
	// Later hits must talk about most of the question, or they only
	// distract the model.
	for _, h := range ix.Search(q.Text, knowledge.SearchOptions{K: maxRefs + 1, Audience: q.Audience}) {
		if len(refs) == maxRefs {
			break
		}
		if seen[h.Article.Path] || h.Matched < 0.5 {
			continue
		}
		seen[h.Article.Path] = true
		refs = append(refs, reference{src: h.Source(), text: h.Text(maxRefRunes)})
	}
	return refs
}

// section finds the cited section by heading. A Source names no section
// when the KB answered from the lead (untitled, or headed by the title).
func section(a *knowledge.Article, heading string) *knowledge.Section {
	for i := range a.Sections {
		h := a.Sections[i].Heading
		if h == heading || heading == "" && h == a.Title {
			return &a.Sections[i]
		}
	}
	return &a.Sections[0]
}

// answerKey identifies a question for the cache: the same words (after
// redaction and case folding), the same recent turns, the same model and
// prompt, and the same versions of the same article sections.
func (m *Model) answerKey(aud bot.Audience, question string, history []bot.Turn, refs []reference) string {
	parts := []string{promptVersion, m.cfg.Model, string(aud), normalise(m.outbound(question))}
	for _, t := range history {
		parts = append(parts, t.Who+":"+normalise(m.outbound(t.Text)))
	}
	for _, r := range refs {
		parts = append(parts, r.src.Path+"#"+r.src.Section+"@"+r.src.Version)
	}
	return hashKey(parts...)
}

// normalise folds case, spacing and end punctuation: "Printer jammed!" and
// "printer  jammed" are one question.
func normalise(s string) string {
	return strings.TrimRight(strings.ToLower(strings.Join(strings.Fields(s), " ")), ".!?…")
}

// callAnswer asks the model and caches what came of it, good or bad, so
// the next identical question does not ask again.
func (m *Model) callAnswer(ctx context.Context, id, user string, refs []reference) (outcome, error) {
	res, err := m.ask(ctx, "answer", answerRules, user, m.cfg.MaxOutputTokens, func(raw string) (any, error) {
		ans, nc, err := checkAnswer(raw, refs, m.cfg.MaxAnswerChars, m.screener)
		if err != nil {
			return nil, err
		}
		if nc {
			return outcome{Kind: kindNotCovered}, nil
		}
		o := outcome{Kind: kindAnswered, Text: ans.text}
		for _, i := range ans.cited {
			o.Cited = append(o.Cited, refs[i].src.Path)
		}
		return o, nil
	})
	switch {
	case err == nil:
		o := res.(outcome)
		m.remember(ctx, id, o, m.cfg.CacheTTL)
		return o, nil
	case errors.Is(err, errInvalid):
		m.remember(ctx, id, outcome{Kind: kindFailed}, invalidTTL)
	case errors.Is(err, errBudgetSpent), errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		// Not about this question: the next one may try again.
	default:
		m.remember(ctx, id, outcome{Kind: kindFailed}, failedTTL)
	}
	return outcome{}, err
}

// finish turns an outcome into the Answer the desk shows.
func finish(kb bot.Answer, refs []reference, o outcome) bot.Answer {
	switch o.Kind {
	case kindNotCovered:
		// The model read the articles and says they do not answer: treat
		// it as low confidence (the desk offers a tech), and show the
		// articles found as related, since they were the KB's best.
		return bot.Answer{NotCovered: true, Confidence: kb.Confidence, Related: kb.Sources}
	case kindAnswered:
		var src []bot.Source
		for _, p := range o.Cited {
			for _, r := range refs {
				if r.src.Path == p {
					src = append(src, r.src)
					break
				}
			}
		}
		if len(src) == 0 {
			return kb
		}
		return bot.Answer{
			Confident:  true,
			Confidence: kb.Confidence,
			Text:       o.Text + "\n\n" + AINote,
			Sources:    src,
		}
	}
	return kb
}

// logFallback records why the KB answered alone: the cache key's prefix
// and a reason class, never the question, the prompt or the output.
func (m *Model) logFallback(id string, err error) {
	m.metrics.get().LLMFallback(fallbackReason(err))
	reason := classify(err)
	switch reason {
	case "failed_recently", "breaker_open", "budget_spent":
		m.log.Debug("llm answer not used; KB answer instead", "key", id[:12], "reason", reason)
	default:
		m.log.Warn("llm answer not used; KB answer instead", "key", id[:12], "reason", reason)
	}
}

// classify names an error without quoting it: a provider's message can
// echo what it was sent.
func classify(err error) string {
	var inv *invalidError
	var api *openai.APIError
	var req *openai.RequestError
	switch {
	case errors.As(err, &inv):
		return "invalid: " + inv.reason
	case errors.Is(err, errFailedRecently):
		return "failed_recently"
	case errors.Is(err, errBudgetSpent):
		return "budget_spent"
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return "breaker_open"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &api):
		return fmt.Sprintf("http %d", api.HTTPStatusCode)
	case errors.As(err, &req):
		return fmt.Sprintf("http %d", req.HTTPStatusCode)
	case errors.Is(err, errTooLarge):
		return "response too large"
	}
	return "error"
}
