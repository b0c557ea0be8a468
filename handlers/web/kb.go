package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/knowledge"
)

// KBResult is the KB panel's answer: the articles the bot's search finds,
// with the numbers that decide whether the bot answers.
type KBResult struct {
	Query     string  `json:"query"`
	Audience  string  `json:"audience"`
	Articles  int     `json:"articles"`  // in the KB being served
	Threshold float64 `json:"threshold"` // confidence needed to answer
	Answers   bool    `json:"answers"`   // the top hit clears the threshold
	Hits      []KBHit `json:"hits"`
}

// KBHit is one article found.
type KBHit struct {
	Rank        int     `json:"rank"`
	Title       string  `json:"title"`
	Path        string  `json:"path"`
	Section     string  `json:"section,omitempty"`
	Line        int     `json:"line,omitempty"`
	Audience    string  `json:"audience,omitempty"`
	Confidence  float64 `json:"confidence"`
	Score       float64 `json:"score"`
	Matched     float64 `json:"matched"`
	AboveThresh bool    `json:"aboveThreshold"`
	Excerpt     string  `json:"excerpt"`
}

// kbSearch searches the KB as the bot would:
// GET /api/kb/search?q=…&audience=staff|tech&k=5.
func (p *Playground) kbSearch(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	aud := bot.Audience(q.Get("audience"))
	k := 5
	if s := q.Get("k"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxKBHits {
			writeError(w, http.StatusBadRequest, "k must be a number from 1 to "+strconv.Itoa(maxKBHits))
			return
		}
		k = n
	}
	switch {
	case text == "":
		writeError(w, http.StatusBadRequest, "q is required")
		return
	case !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxQuery:
		writeError(w, http.StatusBadRequest, "q must be UTF-8 text of at most "+strconv.Itoa(maxQuery)+" characters")
		return
	case aud == "":
		aud = bot.AudienceStaff
	case aud != bot.AudienceStaff && aud != bot.AudienceTech:
		writeError(w, http.StatusBadRequest, "audience must be staff or tech")
		return
	}
	if p.lib == nil {
		writeError(w, http.StatusNotFound, "no knowledge base is loaded")
		return
	}
	// Search what the bot searches: the normalised, redacted text.
	if p.desk != nil {
		text = p.desk.Screener().Screen(text).Text
	}
	ix := p.lib.Index()
	hits := ix.Search(text, knowledge.SearchOptions{K: k, Audience: aud})
	res := KBResult{Query: text, Audience: string(aud), Articles: ix.Len(), Threshold: p.threshold, Hits: []KBHit{}}
	for i, h := range hits {
		kh := KBHit{
			Rank: i + 1, Title: h.Article.Title, Path: h.Article.Path, Line: h.Section.Line,
			Audience: string(h.Article.Audience), Confidence: h.Confidence, Score: h.Score,
			Matched: h.Matched, AboveThresh: h.Confidence >= p.threshold, Excerpt: h.Text(excerptSize),
		}
		if h.Section.Heading != h.Article.Title {
			kh.Section = h.Section.Heading
		}
		res.Hits = append(res.Hits, kh)
	}
	res.Answers = len(res.Hits) > 0 && res.Hits[0].AboveThresh
	writeJSON(w, http.StatusOK, res)
}
