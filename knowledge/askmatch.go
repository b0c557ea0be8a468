package knowledge

import "math"

// ask is one phrasing an article answers: its title or one of its
// front-matter questions, as distinct stems.
type ask struct {
	terms []string
	idf   []float64 // per term, once the index is built
	norm  float64   // sum of idf
	wh    uint8     // question words (whMask)
}

var whWords = map[string]uint8{"who": 1, "whom": 1, "whose": 1, "what": 2, "when": 4, "where": 8, "why": 16, "which": 32}

// whMask is the set of question words ("who", "where", …) in s: stop
// words everywhere else, but "where do my emails go" and "can I see my
// emails" ask different things.
func whMask(s string) uint8 {
	var m uint8
	tokenize(s, func(w string) { m |= whWords[w] })
	return m
}

func newAsk(s string, vocab map[string]bool) ask {
	k := ask{wh: whMask(s)}
	indexTerms(s, vocab, func(_, st string) {
		for _, t := range k.terms {
			if t == st {
				return
			}
		}
		k.terms = append(k.terms, st)
	})
	return k
}

func (k *ask) weigh(ix *Index) {
	k.idf = make([]float64, len(k.terms))
	k.norm = 0
	for i, t := range k.terms {
		k.idf[i] = ix.idf(len(ix.postings[t]))
		k.norm += k.idf[i]
	}
}

// askMatch is how nearly the question says one of the article's asks:
// the F1 of IDF-weighted word overlap (question words found in the ask,
// ask words found in the question), best over the asks. 1 means the same
// content words; a synonym or spelling fix counts at its weight.
func (ix *Index) askMatch(q *query, doc int32) float64 {
	best := 0.0
	for i := range ix.asks[doc] {
		best = max(best, ix.matchAsk(q, &ix.asks[doc][i]))
	}
	return best
}

// matchAsk is the F1 match of the question with one ask.
func (ix *Index) matchAsk(q *query, k *ask) float64 {
	if len(q.groups) == 0 || len(k.terms) == 0 {
		return 0
	}
	var total float64
	for _, g := range q.groups {
		total += g.idf
	}
	var credit [maxQueryWords]float64
	var inAsk float64
	for i, t := range k.terms {
		j, ok := q.byStem[t]
		if !ok || q.terms[j].group < 0 {
			continue // not found, or only an association
		}
		w := q.terms[j].weight
		inAsk += w * k.idf[i]
		if g := q.terms[j].group; g >= 0 && g < maxQueryWords && w > credit[g] {
			credit[g] = w
		}
	}
	if inAsk == 0 {
		return 0
	}
	var inQ float64
	for g := range q.groups {
		if g < maxQueryWords {
			inQ += credit[g] * q.groups[g].idf
		}
	}
	r, p := inQ/total, math.Min(1, inAsk/k.norm)
	return 2 * p * r / (p + r)
}
