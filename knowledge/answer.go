package knowledge

import (
	"context"
	"strings"

	"github.com/helpbot/helpbot/bot"
)

var _ bot.Answerer = (*Answerer)(nil)

// AnswererOptions tune the KB answerer; zero values mean the defaults.
type AnswererOptions struct {
	Threshold float64 // confidence needed to answer; default DefaultThreshold
	MaxChars  int     // longest answer text; default 700 (a chat message read with a class waiting)
	// Rerank, when set, may reorder the hits of each question (the optional
	// embedding re-ranker in knowledge/llm). question is the text searched:
	// for a short follow-up ("still nothing") read with the asker's previous
	// message, both together. It must return the hits it was
	// given, in any order, without raising any hit's Confidence above an
	// earlier one's. Nil keeps the lexical order.
	Rerank func(ctx context.Context, question string, hits []Hit) []Hit
}

// Answerer answers from the KB alone: the best section of the best article,
// cited, when confident; otherwise the closest articles and no text.
type Answerer struct {
	lib  *Library
	opts AnswererOptions
}

// NewAnswerer answers from whatever lib serves at the time of each question.
func NewAnswerer(lib *Library, opts AnswererOptions) *Answerer {
	if opts.Threshold <= 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.MaxChars <= 0 {
		opts.MaxChars = 700
	}
	return &Answerer{lib: lib, opts: opts}
}

// A second article is cited too when it scores at least this share of the
// first: two articles that answer equally well are both worth a look.
const secondSourceRatio = 0.85

// relatedFloor keeps suggestions to articles with some bearing on the
// question (a third of what was asked, by word weight): an unrelated
// "closest" article is noise.
const relatedFloor = 0.34

// Answer implements bot.Answerer.
func (a *Answerer) Answer(ctx context.Context, q bot.Question) (bot.Answer, error) {
	if err := ctx.Err(); err != nil {
		return bot.Answer{}, err
	}
	ix := a.lib.Index()
	opts := SearchOptions{K: 4, Audience: audienceOf(q)}
	text := q.Text
	hits := ix.Search(text, opts)

	// "still no sound" or "what about on a Mac?" mean little alone: read
	// them with the asker's previous message, and keep that reading only
	// if it is the better one.
	if prev := previousRequesterText(q); prev != "" && contentWords(q.Text) < 3 &&
		(len(hits) == 0 || hits[0].Confidence < a.opts.Threshold) {
		if more := ix.Search(prev+"\n"+q.Text, opts); len(more) > 0 &&
			(len(hits) == 0 || more[0].Confidence > hits[0].Confidence) {
			hits, text = more, prev+"\n"+q.Text
		}
	}
	if a.opts.Rerank != nil && len(hits) > 1 {
		// The re-ranker reads the question the hits were found for: with
		// a follow-up, that is the earlier message and this one together.
		hits = a.opts.Rerank(ctx, text, hits)
	}
	if len(hits) == 0 {
		return bot.Answer{}, nil
	}

	best := hits[0]
	if best.Confidence < a.opts.Threshold {
		ans := bot.Answer{Confidence: best.Confidence}
		for _, h := range hits {
			if len(ans.Related) == 3 || h.Matched < relatedFloor {
				break
			}
			ans.Related = append(ans.Related, h.Source())
		}
		return ans, nil
	}
	ans := bot.Answer{
		Confident:  true,
		Confidence: best.Confidence,
		Text:       best.Text(a.opts.MaxChars),
		Sources:    []bot.Source{best.Source()},
	}
	if len(hits) > 1 && hits[1].Score >= secondSourceRatio*best.Score {
		ans.Sources = append(ans.Sources, hits[1].Source())
	}
	return ans, nil
}

// previousRequesterText is the asker's last message before this one.
func previousRequesterText(q bot.Question) string {
	cur := strings.TrimSpace(q.Text)
	for i := len(q.History) - 1; i >= 0; i-- {
		t := q.History[i]
		if t.Who != "requester" {
			continue
		}
		if s := strings.TrimSpace(t.Text); s != "" && s != cur {
			return s
		}
	}
	return ""
}

func contentWords(s string) int { return len(analyze(s)) }

// answerText is what to show for sec: its heading and its steps. The
// article's introduction (the text before the first heading) is shown only
// when it is the match, and then, if it is only a lead-in ("Work down this
// list:"), with the sections after it, since the steps are the answer. The
// result is cut at a step or paragraph boundary to fit max.
func answerText(a *Article, sec *Section, max int) string {
	text := sec.Text
	lead := sec.Heading == "" || sec.Heading == a.Title
	if !lead {
		text = sec.Heading + "\n" + sec.Text
	}
	i := sectionIndex(a, sec)
	if i >= 0 && len(sec.Text) < max/4 {
		for _, sub := range a.Sections[i+1:] {
			if sub.Level <= sec.Level && sec.Level > 0 || len(text) >= max {
				break
			}
			part := sub.Heading
			if sub.Text != "" {
				part += "\n" + sub.Text
			}
			if text != "" {
				text += "\n\n"
			}
			text += part
		}
	}
	if strings.TrimSpace(text) == "" {
		text = sec.Heading
	}
	return truncate(strings.TrimSpace(text), max)
}

func sectionIndex(a *Article, sec *Section) int {
	for i := range a.Sections {
		if &a.Sections[i] == sec {
			return i
		}
	}
	return -1
}

// truncate cuts s to at most max bytes (plus the "…" line) before a step
// or paragraph: never in the middle of a numbered step, whose continuation
// lines are indented. Failing that it cuts at a line end, then a space.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := s[:max]
	best := -1
	for i := len(cut) - 1; i > max/3; i-- {
		if cut[i] != '\n' {
			continue
		}
		if next := s[i+1:]; next == "" || next[0] != ' ' {
			best = i // the next line starts a step, a bullet or a paragraph
			break
		}
	}
	switch {
	case best > 0:
		cut = cut[:best]
	case strings.LastIndexByte(cut, '\n') > max/3:
		cut = cut[:strings.LastIndexByte(cut, '\n')]
	case strings.LastIndexByte(cut, ' ') > 0:
		cut = cut[:strings.LastIndexByte(cut, ' ')]
	default:
		// One enormous word: back up to a rune boundary.
		for len(cut) > 0 && cut[len(cut)-1]&0xC0 == 0x80 {
			cut = cut[:len(cut)-1]
		}
		if len(cut) > 0 && cut[len(cut)-1] >= 0xC0 {
			cut = cut[:len(cut)-1]
		}
	}
	return strings.TrimRight(cut, " \n") + "\n…"
}
