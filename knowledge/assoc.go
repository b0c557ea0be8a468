package knowledge

import "sort"

// associate adds, for each word of the question, the words that say what
// the articles using it are about: the words of their titles and listed
// questions that are concentrated among them ("twitter", found in the
// answers about tweets, points to "tweet"). The KB teaches these itself;
// they are added as extra evidence of their own (no group), so they never
// count as a word of the question for coverage or confidence, and at a
// low weight, so an article in the asker's words still wins.
func (ix *Index) associate(q *query, addTerm func(st string, w float64, g int)) {
	n := float64(len(ix.articles))
	p := &ix.params
	type cand struct {
		stem string
		p    float64
	}
	var (
		count = map[string]int{}
		seen  = map[string]bool{}
		cs    []cand
	)
	for g := range q.groups {
		a := stem(q.groups[g].word)
		ps := ix.postings[a]
		df := len(ps)
		// A word in one article teaches nothing; one in most of them
		// (the product's name) is about everything.
		if df < 2 || float64(df) > assocMaxDF*n && df > 3 {
			continue
		}
		clear(count)
		for _, pp := range ps {
			clear(seen)
			for _, k := range ix.asks[pp.doc] {
				for _, t := range k.terms {
					if t != a && !seen[t] {
						seen[t] = true
						count[t]++
					}
				}
			}
		}
		cs = cs[:0]
		for t, c := range count {
			pb := float64(c) / float64(df)
			// In at least two of a's articles and a third of them, and
			// three times commoner there than in the KB at large.
			if c < 2 || pb < assocMinShare || pb < 3*float64(len(ix.postings[t]))/n {
				continue
			}
			cs = append(cs, cand{t, pb})
		}
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].p != cs[j].p {
				return cs[i].p > cs[j].p
			}
			return cs[i].stem < cs[j].stem
		})
		for i, c := range cs {
			if i == assocTop {
				break
			}
			if _, typed := q.byStem[c.stem]; !typed {
				addTerm(c.stem, p.assocWeight*c.p, -1)
			}
		}
	}
}

// Limits of associate.
const (
	assocMaxDF    = 0.1 // share of the KB's articles a word may be in
	assocMinShare = 0.3 // share of the word's articles an associate must be in
	assocTop      = 3   // associates per word
)
