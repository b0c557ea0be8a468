package knowledge

import (
	"regexp"
	"slices"
	"sort"
	"sync"

	"github.com/helpbot/helpbot/bot"
)

// SearchOptions tune one search.
type SearchOptions struct {
	K        int          // hits to return; 0 means 3
	Audience bot.Audience // who asks; "" counts as staff, who never see tech articles
}

// Hit is one article found, with the section that best answers.
type Hit struct {
	Article    *Article
	Section    *Section // best-matching section; never nil
	Score      float64  // raw ranking score, only comparable within one search
	Confidence float64  // 0..1; see DefaultThreshold. Never higher than an earlier hit's.
	// Matched is the IDF-weighted share of the question's words found in
	// the article (0..1): "how much of what was asked it talks about".
	Matched float64
}

// Source is how the hit is cited.
func (h Hit) Source() bot.Source { return h.Article.Source(h.Section) }

// Text is what to show for the hit: the best section, with its subsections
// when it is only an introduction, cut at a line end to at most max bytes
// (plus a final "…" line when cut).
func (h Hit) Text(max int) string { return answerText(h.Article, h.Section, max) }

// Search returns up to K articles for the question, best first. Only
// articles sharing at least one term with the question are returned.
func (ix *Index) Search(question string, opts SearchOptions) []Hit {
	if opts.K <= 0 {
		opts.K = 3
	}
	q := ix.parseQuery(question)
	cands := ix.rank(q, opts.Audience, opts.K+1)
	hits := make([]Hit, 0, min(opts.K, len(cands)))
	for i, c := range cands {
		if i == opts.K {
			break
		}
		a := ix.articles[c.doc]
		f := ix.features(q, cands, i)
		conf := ix.confidence(q, f)
		if i > 0 {
			conf = min(conf, hits[i-1].Confidence)
		}
		hits = append(hits, Hit{
			Article:    a,
			Section:    &a.Sections[ix.secNum[c.sec]],
			Score:      c.score,
			Confidence: conf,
			Matched:    f.coverage,
		})
	}
	return hits
}

// candidate is an article in the running, with its best section.
type candidate struct {
	doc      int32
	sec      int32 // global section index
	score    float64
	secScore float64
	coverage float64 // IDF-weighted share of query words matched
	// secCoverage is the same within the best section alone: an answer
	// sits in one place, while words spread over an article may be chance.
	secCoverage float64
	ask         float64 // how nearly the question says the title or a listed question (0..1)
}

type scratch struct {
	doc, gdoc      []float64 // per article: total, current group's best
	cov, gw        []float64 // per article: matched IDF, current group's best term weight
	scov, gsw      []float64 // per section: matched IDF, current group's best term weight
	sec, gsec      []float64 // per section: total, current group's best
	touched, gdocs []int32
	secs, gsecs    []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// rank scores every article that shares a term with q and returns the best
// n that audience may see, best first.
func (ix *Index) rank(q *query, audience bot.Audience, n int) []candidate {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	if len(s.doc) < len(ix.articles) {
		s.doc = make([]float64, len(ix.articles))
	}
	if len(s.sec) < len(ix.secDoc) {
		s.sec = make([]float64, len(ix.secDoc))
	}
	s.touched, s.secs = s.touched[:0], s.secs[:0]

	// A question word and its synonyms are one concept: each article gets
	// the best of them, not the sum, or articles that happen to use every
	// synonym would outrank the one that uses the asker's word.
	if len(s.gdoc) < len(ix.articles) {
		s.gdoc = make([]float64, len(ix.articles))
		s.cov = make([]float64, len(ix.articles))
		s.gw = make([]float64, len(ix.articles))
	}
	var totalIDF float64
	for _, g := range q.groups {
		totalIDF += g.idf
	}
	if len(s.gsec) < len(ix.secDoc) {
		s.gsec = make([]float64, len(ix.secDoc))
		s.scov = make([]float64, len(ix.secDoc))
		s.gsw = make([]float64, len(ix.secDoc))
	}
	p := &ix.params
	for g := range q.groups {
		s.gdocs, s.gsecs = s.gdocs[:0], s.gsecs[:0]
		for _, t := range q.terms {
			if t.group != g {
				continue
			}
			ps := ix.postings[t.stem]
			if len(ps) == 0 {
				continue
			}
			w := t.weight * ix.idf(len(ps))
			for i := range ps {
				d := ps[i].doc
				c := w * ix.articleScore(&ps[i])
				if s.gdoc[d] == 0 {
					s.gdocs = append(s.gdocs, d)
					if s.doc[d] == 0 {
						s.touched = append(s.touched, d)
					}
				}
				if c > s.gdoc[d] {
					s.doc[d] += c - s.gdoc[d]
					s.gdoc[d] = c
				}
				s.gw[d] = max(s.gw[d], t.weight)
			}
			for _, sp := range ix.secPostings[t.stem] {
				c := w * bm25(ix.sectionTF(&sp), p.secK1)
				if s.gsec[sp.sec] == 0 {
					s.gsecs = append(s.gsecs, sp.sec)
					if s.sec[sp.sec] == 0 {
						s.secs = append(s.secs, sp.sec)
					}
				}
				if c > s.gsec[sp.sec] {
					s.sec[sp.sec] += c - s.gsec[sp.sec]
					s.gsec[sp.sec] = c
				}
				s.gsw[sp.sec] = max(s.gsw[sp.sec], t.weight)
			}
		}
		for _, d := range s.gdocs {
			s.cov[d] += q.groups[g].idf * s.gw[d]
			s.gdoc[d], s.gw[d] = 0, 0
		}
		for _, sec := range s.gsecs {
			s.scov[sec] += q.groups[g].idf * s.gsw[sec]
			s.gsec[sec], s.gsw[sec] = 0, 0
		}
	}

	// Terms of no group (associations) add evidence to the articles
	// already found, without counting as a word of the question.
	for _, t := range q.terms {
		if t.group >= 0 {
			continue
		}
		ps := ix.postings[t.stem]
		w := t.weight * ix.idf(len(ps))
		for i := range ps {
			if d := ps[i].doc; s.doc[d] != 0 {
				s.doc[d] += w * ix.articleScore(&ps[i])
			}
		}
	}

	// Phrases: the question's neighbouring words side by side in the
	// article (stop words between them do not count).
	for _, k := range q.pairs {
		ps := ix.pairs[k]
		if len(ps) == 0 {
			continue
		}
		w := p.pairBoost * ix.idf(len(ps))
		for _, pp := range ps {
			if s.doc[pp.doc] == 0 {
				continue
			}
			s.doc[pp.doc] += w * (2*bm25(float64(pp.head), 1.2) + bm25(float64(pp.body), 1.2))
		}
	}

	cands := make([]candidate, 0, len(s.touched))
	for _, d := range s.touched {
		c := candidate{doc: d, sec: ix.secStart[d], score: s.doc[d], coverage: s.cov[d] / totalIDF}
		s.cov[d] = 0
		for sec := ix.secStart[d]; sec < ix.secStart[d+1]; sec++ {
			if s.sec[sec] > c.secScore {
				c.sec, c.secScore = sec, s.sec[sec]
			}
		}
		c.score += p.secMix * c.secScore
		c.secCoverage = s.scov[c.sec] / totalIDF
		s.doc[d] = 0
		if !visible(ix.articles[d], audience) {
			continue
		}
		cands = append(cands, c)
	}
	// The leaders get a second look: a question that says one of an
	// article's asks (its title or a listed question) nearly word for word
	// is what that article was written for.
	cands = topCandidates(cands, rerankDepth)
	if len(cands) > rerankDepth {
		cands = cands[:rerankDepth]
	}
	for i := range cands {
		c := &cands[i]
		c.ask = ix.askMatch(q, c.doc)
		c.score += p.askBoost * totalIDF * c.ask * c.ask
		if p.whBoost > 0 && q.wh != 0 {
			for _, k := range ix.asks[c.doc] {
				if k.wh&q.wh != 0 {
					c.score += p.whBoost * totalIDF
					break
				}
			}
		}
		ix.pickSection(q, c, s.sec, totalIDF)
	}
	for _, sec := range s.secs {
		s.sec[sec], s.scov[sec] = 0, 0
	}
	sortCandidates(cands)
	if len(cands) > n {
		cands = cands[:n]
	}
	return cands
}

// rerankDepth is how many leading articles are re-scored with the costlier
// signals; the right article is almost always among them.
const rerankDepth = 40

func sortCandidates(cands []candidate) {
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return int(a.doc - b.doc)
	})
}

// topCandidates puts the best n candidates first, in order, without
// sorting the rest: a common word touches most of a large KB.
func topCandidates(cands []candidate, n int) []candidate {
	if len(cands) <= 4*n {
		sortCandidates(cands)
		return cands
	}
	// Keep a sorted window of the best n seen so far.
	top := make([]candidate, 0, n+1)
	for _, c := range cands {
		if len(top) == n && !better(c, top[n-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, c, func(a, b candidate) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, c)
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}

func better(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// visible reports whether audience may see a. Unknown audiences are staff:
// failing closed keeps tech-only steps (admin consoles, network gear) from
// reaching teachers.
func visible(a *Article, audience bot.Audience) bool {
	return a.Audience != bot.AudienceTech || audience == bot.AudienceTech
}

// pickSection chooses the section to show: the best by section score, with
// a bonus for a heading that says the question ("Paper keeps jamming").
// When the question is one the article lists (or its title) and no heading
// says it as well, the article's start is shown: the question is about the
// whole article, whose introduction says where to begin.
func (ix *Index) pickSection(q *query, c *candidate, secScore []float64, totalIDF float64) {
	best, bestScore, bestHead := c.sec, -1.0, 0.0
	for sec := ix.secStart[c.doc]; sec < ix.secStart[c.doc+1]; sec++ {
		h := ix.matchAsk(q, &ix.secAsk[sec])
		sc := secScore[sec] + ix.params.headingBoost*totalIDF*h*h
		if !q.again && ix.fallback[sec] {
			// "If there's still no sound" is where to go when the steps
			// before it failed, not where to start: its heading says the
			// problem, not this question.
			h, sc = 0, secScore[sec]*fallbackShare
		}
		if sc > bestScore {
			best, bestScore, bestHead = sec, sc, h
		}
	}
	if intro := ix.secStart[c.doc]; best == intro {
		best = ix.listedProblem(q, c.doc, best, secScore, totalIDF)
	}
	c.sec = best
	if c.ask >= leadAsk && bestHead < c.ask/2 {
		c.sec = ix.secStart[c.doc]
	}
}

// fallbackShare is how much of its score a fallback section ("If it still
// doesn't work") keeps in the pick when the question does not say the
// person has tried things already.
const fallbackShare = 0.5

// fallbackHeadingRe is a heading for what to do when the steps before it
// failed.
var fallbackHeadingRe = regexp.MustCompile(`(?i)^\s*(if\b[^.?!]{0,40}\bstill\b|still (not|no|doesn'?t|won'?t|can'?t|broken)\b|if nothing (else )?(works|worked|helps|helped)|none of (this|these|the above)|nothing (worked|works|helped)|when to (get|call|contact|ask)|(get|getting) (a tech|help|more help)\b|if you need (more )?help)`)

// againRe is a question that says the person has tried things already
// ("still no sound", "tried that", "again").
var againRe = regexp.MustCompile(`(?i)\b(still|again|already|tried|nothing (works|worked|helps|helped)|didn'?t (help|work)|doesn'?t help)\b`)

// leadAsk is how nearly a question must say the article's title or a
// listed question for the answer to start at the top of the article.
const leadAsk = 0.8

// listedProblem handles a title that lists several problems, each with its
// section ("Document camera shows no image, is blurry or freezes"): the
// introduction, whose heading is the title, matches every one of them. When
// the question names one ("my document camera is blurry") that a later
// heading has and the introduction's text does not, that section is
// shown; otherwise the introduction (intro) stays.
func (ix *Index) listedProblem(q *query, doc, intro int32, secScore []float64, totalIDF float64) int32 {
	a := ix.articles[doc]
	if len(a.Sections) < 2 || a.Sections[0].Heading != a.Title {
		return intro
	}
	best, bestScore := intro, -1.0
	for _, t := range q.terms {
		if t.group < 0 {
			continue
		}
		ps := ix.secPostings[t.stem]
		j := sort.Search(len(ps), func(k int) bool { return ps[k].sec >= intro })
		if j == len(ps) || ps[j].sec != intro || ps[j].heading == 0 || ps[j].body > 0 {
			continue // not in the title, or the introduction's text has it too
		}
		for k := j + 1; k < len(ps) && ps[k].sec < ix.secStart[doc+1]; k++ {
			if ps[k].heading == 0 || (ix.fallback[ps[k].sec] && !q.again) {
				continue
			}
			h := ix.matchAsk(q, &ix.secAsk[ps[k].sec])
			if sc := secScore[ps[k].sec] + ix.params.headingBoost*totalIDF*h*h; sc > bestScore {
				best, bestScore = ps[k].sec, sc
			}
		}
	}
	return best
}
