package knowledge

import (
	"math"
	"sort"
)

// DefaultThreshold separates "answer" from "say I'm not sure": a hit with
// Confidence at or above it is presented as the answer.
const DefaultThreshold = 0.5

// features are the signals confidence is computed from. Each is a share
// or a ratio, never a raw score, so that they mean the same in a KB of 50
// short articles and in one of 1,000 long ones.
type features struct {
	coverage float64 // IDF-weighted share of the question's words the article has
	head     float64 // the same, counting only the title, questions, keywords, file name and section heading
	ask      float64 // how nearly the question says the title or a listed question (F1 of weighted overlap)
	margin   float64 // lead over the next article, relative to own score
	words    float64 // number of content words in the question
	unknown  float64 // IDF-weighted share of the question's words no article uses, even after spelling fixes
	section  float64 // coverage within the best section alone
	known    float64 // coverage of the words the KB knows (those not in unknown)
	expanded float64 // share of the matched IDF that only a synonym, spelling fix or compound found
	pairs    float64 // share of the question's neighbouring-word pairs the article has
	typed    float64 // head, counting only words as typed (no synonyms or fixes)
}

func (f features) vector() []float64 {
	return []float64{f.coverage, f.head, f.ask, f.margin, math.Log1p(f.words), f.unknown, f.section, f.known, f.expanded, f.pairs, f.typed}
}

// calibration maps features to a probability-like confidence with a
// logistic function. The weights were fitted (HELPBOT_TUNE=calibrate) on
// labelled questions from three unrelated KBs (web-app FAQ, desktop and
// office help, the sample school KB), each question also asked of the two
// KBs that do not cover it; the bias was then set so that DefaultThreshold
// answers ≥ 95% of the questions ranked right on each KB while declining
// ≥ 80% of the uncovered ones. Only four signals carry weight: the others
// were collinear with them and made the fit swing from one KB to the next,
// which is the opposite of one threshold for every KB.
var calibration = [...]float64{
	0,      // coverage: carried by known
	4.44,   // head
	0,      // ask: does not transfer between KBs with and without listed questions
	0,      // margin
	5.79,   // log(1 + words)
	0,      // unknown: carried by known
	5.77,   // section
	0.88,   // known
	0,      // expanded
	0,      // pairs
	0,      // typed
	-12.98, // bias
}

// singleWordCap keeps one-word questions ("printer", "still") below the
// threshold: one word rarely says which of several articles is wanted, so
// the bot offers the closest ones instead of picking.
const singleWordCap = DefaultThreshold - 0.05

func (ix *Index) confidence(q *query, f features) float64 {
	x := f.vector()
	z := calibration[len(x)]
	for i, v := range x {
		z += calibration[i] * v
	}
	conf := 1 / (1 + math.Exp(-z))
	if len(q.groups) < 2 {
		conf = min(conf, singleWordCap)
	}
	return conf
}

func (ix *Index) features(q *query, cands []candidate, i int) features {
	var f features
	c := cands[i]
	f.coverage, f.head = c.coverage, ix.headCoverage(q, c)
	f.expanded, f.typed = ix.matchKinds(q, c)
	if len(q.pairs) > 0 {
		var got float64
		for _, k := range q.pairs {
			ps := ix.pairs[k]
			j := sort.Search(len(ps), func(m int) bool { return ps[m].doc >= c.doc })
			if j < len(ps) && ps[j].doc == c.doc {
				got++
			}
		}
		f.pairs = got / float64(len(q.pairs))
	}
	f.ask = c.ask
	f.words = float64(len(q.groups))
	f.unknown = q.unknown
	f.section = c.secCoverage
	if q.unknown < 1 {
		f.known = c.coverage / (1 - q.unknown)
	}
	// The lead over the runner-up only means something for the leader;
	// later hits lead nothing.
	if c.score > 0 && i == 0 {
		next := 0.0
		if len(cands) > 1 {
			next = cands[1].score
		}
		f.margin = (c.score - next) / c.score
	}
	return f
}

// headCoverage is the IDF-weighted share of query words found in what
// says what the article is about (title, questions, keywords, file name,
// the matched section's heading), each word credited with its best term (a
// synonym counts less). Words only in the body may be there in passing.
func (ix *Index) headCoverage(q *query, c candidate) float64 {
	credit := make([]float64, len(q.groups))
	for _, t := range q.terms {
		if t.group < 0 || t.weight <= credit[t.group] {
			continue
		}
		ps := ix.postings[t.stem]
		j := sort.Search(len(ps), func(k int) bool { return ps[k].doc >= c.doc })
		if j == len(ps) || ps[j].doc != c.doc {
			continue
		}
		tf := &ps[j].tf
		if tf[fTitle]+tf[fQuestions]+tf[fKeywords]+tf[fName] > 0 || ix.inHeading(t.stem, c.sec) {
			credit[t.group] = t.weight
		}
	}
	var got, total float64
	for g, gr := range q.groups {
		got += gr.idf * credit[g]
		total += gr.idf
	}
	if total == 0 {
		return 0
	}
	return got / total
}

func (ix *Index) inHeading(stem string, sec int32) bool {
	ps := ix.secPostings[stem]
	j := sort.Search(len(ps), func(k int) bool { return ps[k].sec >= sec })
	return j < len(ps) && ps[j].sec == sec && ps[j].heading > 0
}

// matchKinds is, for the article, the share of the matched IDF that only
// an expansion found (a synonym, a spelling fix, a compound), and the
// IDF share of the question found as typed in what says what the article
// is about (title, questions, keywords, file name, the section heading).
func (ix *Index) matchKinds(q *query, c candidate) (expanded, typedHead float64) {
	var (
		typed, any [maxQueryWords]bool
		head       [maxQueryWords]bool
	)
	for _, t := range q.terms {
		g := t.group
		if g < 0 || g >= maxQueryWords {
			continue
		}
		ps := ix.postings[t.stem]
		j := sort.Search(len(ps), func(k int) bool { return ps[k].doc >= c.doc })
		if j == len(ps) || ps[j].doc != c.doc {
			continue
		}
		any[g] = true
		if t.weight == 1 {
			typed[g] = true
			tf := &ps[j].tf
			if tf[fTitle]+tf[fQuestions]+tf[fKeywords]+tf[fName] > 0 || ix.inHeading(t.stem, c.sec) {
				head[g] = true
			}
		}
	}
	var matched, viaExp, total, th float64
	for g, gr := range q.groups {
		if g >= maxQueryWords {
			break
		}
		total += gr.idf
		if any[g] {
			matched += gr.idf
			if !typed[g] {
				viaExp += gr.idf
			}
		}
		if head[g] {
			th += gr.idf
		}
	}
	if matched > 0 {
		expanded = viaExp / matched
	}
	if total > 0 {
		typedHead = th / total
	}
	return expanded, typedHead
}
