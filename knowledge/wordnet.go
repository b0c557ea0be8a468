package knowledge

import (
	"strings"

	"github.com/helpbot/helpbot/knowledge/internal/wordnet"
)

// wordnetExpand adds, for each word of the question, the English synonyms
// WordNet lists for its commonest senses ("cease" → "stop", "recipient" →
// "receiver") and, at a lower weight, a verb's direct hypernyms
// ("download" → "transfer"). Like associations they are evidence of their
// own (no group): they never count as a word of the question for coverage
// or confidence, and only words some article uses are added.
func (ix *Index) wordnetExpand(q *query, addTerm func(st string, w float64, g int)) {
	p := &ix.params
	add := func(ws []string, w float64) {
		for _, s := range ws {
			if strings.IndexByte(s, '-') >= 0 || stopWords[s] {
				continue
			}
			st := stem(s)
			if _, known := ix.postings[st]; !known {
				continue
			}
			if _, have := q.byStem[st]; have {
				continue
			}
			addTerm(st, w, -1)
		}
	}
	for g := range q.groups {
		if q.inPhrase[g] {
			continue
		}
		syns, hypers := wordnet.Lookup(q.groups[g].word)
		add(syns, p.wordnetWeight)
		if p.wordnetHyper > 0 {
			add(hypers, p.wordnetWeight*p.wordnetHyper)
		}
	}
}
