package knowledge

import (
	"hash/maphash"
	"strings"
)

// A query is the analyzed question: one group per distinct content word the
// person typed, each with the terms that may stand for it in an article
// (the word's stem, then synonyms, spelling fixes and compounds at lower
// weight). Groups are what confidence counts: "how much of what was asked
// does this article talk about".
type query struct {
	terms  []qterm
	groups []qgroup
	byStem map[string]int // stem → index in terms
	pairs  []uint64       // neighbouring typed content words, by pairKey
	wh     uint8          // question words, see whMask
	again  bool           // says the person tried things already (againRe)
	// inPhrase marks the words (groups) a thesaurus phrase of two or more
	// words covers ("big screen"): their own English synonyms ("big" →
	// "large") do not apply.
	inPhrase []bool
	// unknown is the IDF-weighted share of the question's words that no
	// article uses and no expansion found: words the KB has never heard of.
	unknown float64
}

type qterm struct {
	stem   string
	weight float64 // 1 for the typed word; less for expansions
	group  int
}

type qgroup struct {
	word string  // as typed (lowercased)
	idf  float64 // of the typed word's stem; unknown words get the maximum
}

// Limits that keep a pasted essay (or an attack) from costing more than a
// normal question: words past maxQueryWords are ignored, and only the first
// few unknown words are spell-checked.
const (
	maxQueryWords    = 64
	maxSpellingFixes = 6
)

func (ix *Index) parseQuery(s string) *query {
	seen := map[string]int{} // stem → index in q.terms
	q := &query{byStem: seen, wh: whMask(s), again: againRe.MatchString(s)}
	addTerm := func(st string, w float64, g int) {
		if i, ok := seen[st]; ok {
			if w > q.terms[i].weight {
				q.terms[i].weight, q.terms[i].group = w, g
			}
			return
		}
		seen[st] = len(q.terms)
		q.terms = append(q.terms, qterm{stem: st, weight: w, group: g})
	}

	// Raw words, stop words included, for compounds ("strike through").
	var raw []string
	tokenize(s, func(w string) {
		if len(w) <= maxWordLen && len(raw) < maxQueryWords {
			raw = append(raw, w)
		}
	})

	var stems []string
	var groupOf []int // per entry of stems
	groupByStem := map[string]int{}
	for _, w := range raw {
		if stopWords[w] {
			continue
		}
		st := stem(w)
		g, ok := groupByStem[st]
		if !ok {
			g = len(q.groups)
			groupByStem[st] = g
			q.groups = append(q.groups, qgroup{word: w, idf: ix.idf(len(ix.postings[st]))})
			addTerm(st, 1, g)
		}
		stems = append(stems, st)
		groupOf = append(groupOf, g)
	}

	for i := 1; i < len(stems); i++ {
		if stems[i] != stems[i-1] {
			q.pairs = append(q.pairs, pairKey(maphash.String(pairSeed, stems[i-1]), maphash.String(pairSeed, stems[i])))
		}
	}

	// Spelling: a word no article uses is most likely a typo of one that is.
	fixes := 0
	for _, w := range raw {
		if stopWords[w] {
			continue
		}
		st := stem(w)
		if _, known := ix.postings[st]; known || fixes == maxSpellingFixes {
			continue
		}
		fixes++
		g := groupByStem[st]
		// "brighter", "louder", "bigger": Snowball keeps comparatives, so
		// the KB's "brightness" and "loud" would look like other words.
		if base := ix.comparativeBase(w); base != "" {
			// The same word, as rare as its base: not a word the KB has
			// never seen.
			q.groups[g].idf = ix.idf(len(ix.postings[base]))
			addTerm(base, ix.params.spellingWeight, g)
			continue
		}
		if fix := ix.correct(w); fix != "" {
			addTerm(fix, ix.params.spellingWeight, g)
			continue
		}
		// "signin", "screenshots": split into two known words.
		for _, part := range ix.split(w) {
			addTerm(part, ix.params.splitWeight, g)
		}
	}

	// Compounds: "wi fi", "strike through", "screen shot" → the joined word.
	for i := 0; i+1 < len(raw); i++ {
		a, b := raw[i], raw[i+1]
		if stopWords[a] && stopWords[b] {
			continue
		}
		for _, c := range []string{a + b, stem(a) + b} {
			st := stem(c)
			if _, ok := ix.postings[st]; !ok {
				continue
			}
			g := -1
			if !stopWords[a] {
				g = groupByStem[stem(a)]
			} else {
				g = groupByStem[stem(b)]
			}
			addTerm(st, ix.params.compoundWeight, g)
			break
		}
	}

	// Synonyms, on stems so "printers" finds the group of "printer".
	q.inPhrase = make([]bool, len(q.groups))
	for _, m := range ix.thesaurus.match(stems) {
		for _, st := range m.stems {
			addTerm(st, ix.params.synonymWeight, groupOf[m.spanWord(stems)])
		}
		for j := m.at; m.n > 1 && j < m.at+m.n; j++ {
			q.inPhrase[groupOf[j]] = true
		}
	}
	if ix.params.assocWeight > 0 {
		ix.associate(q, addTerm)
	}
	if ix.params.wordnetWeight > 0 {
		ix.wordnetExpand(q, addTerm)
	}
	var found = make([]bool, len(q.groups))
	for _, t := range q.terms {
		if t.group >= 0 && len(ix.postings[t.stem]) > 0 {
			found[t.group] = true
		}
	}
	var miss, total float64
	for g, gr := range q.groups {
		total += gr.idf
		if !found[g] {
			miss += gr.idf
		}
	}
	if total > 0 {
		q.unknown = miss / total
	}
	return q
}

// comparativeBase is the stem of the adjective a comparative or superlative
// is made of ("brighter" → "bright", "bigger" → "big", "easier" → "easi",
// "larger" → "larg"), when the KB uses it; "" otherwise.
func (ix *Index) comparativeBase(w string) string {
	var base string
	switch {
	case strings.HasSuffix(w, "iest") && len(w) > 6:
		base = w[:len(w)-4] + "y"
	case strings.HasSuffix(w, "ier") && len(w) > 5:
		base = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "est") && len(w) > 5:
		base = w[:len(w)-3]
	case strings.HasSuffix(w, "er") && len(w) > 4:
		base = w[:len(w)-2]
	default:
		return ""
	}
	cands := []string{base, base + "e"}
	if n := len(base); n > 2 && base[n-1] == base[n-2] { // "bigg" → "big"
		cands = append(cands, base[:n-1])
	}
	for _, c := range cands {
		if st := stem(c); len(ix.postings[st]) > 0 {
			return st
		}
	}
	return ""
}

// correct returns the stem of the known word one edit away from w, or "".
// Short words are left alone: at four letters, one edit is another word.
func (ix *Index) correct(w string) string {
	best, bestN := "", 0
	ix.speller.lookup(w, func(cand string) {
		// Changing the first and the last letter at once is rarer than a
		// real word nobody in the KB used.
		if cand[0] != w[0] && cand[len(cand)-1] != w[len(w)-1] {
			return
		}
		st := ix.words[cand]
		// Prefer the commoner word: it is the likelier intended one.
		if n := len(ix.postings[st]); n > bestN || n == bestN && st < best {
			best, bestN = st, n
		}
	})
	return best
}

// split finds two known words that make up w ("screenshots" → "screen",
// "shot"; both at least three letters), or else a known word of five
// letters or more that w ends with.
func (ix *Index) split(w string) []string {
	if len(w) < 6 || !isASCIIWord(w) {
		return nil
	}
	for i := 3; i <= len(w)-3; i++ {
		a, b := w[:i], w[i:]
		if stopWords[a] || stopWords[b] {
			continue
		}
		sa, okA := ix.words[a]
		sb, okB := ix.words[b]
		if okA && okB {
			return []string{sa, sb}
		}
	}
	// A known word behind a short prefix: "interdependencies" → "dependencies".
	for i := 1; i <= 5 && len(w)-i >= 5; i++ {
		if st, ok := ix.words[w[i:]]; ok {
			return []string{st}
		}
	}
	return nil
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or swap of neighbours.
func withinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return a[i:] == b[i+1:]
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// String shows the analyzed query; `kb search` prints it for debugging.
func (q *query) String() string {
	var b strings.Builder
	for i, t := range q.terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.stem)
		if t.weight != 1 {
			b.WriteString("~")
		}
	}
	return b.String()
}
