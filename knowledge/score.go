package knowledge

// params are the ranking knobs, in one place so tuning touches one file.
type params struct {
	k1     float64
	weight [numFields]float64
	b      [numFields]float64

	// Section-level BM25 (heading, body).
	secK1     float64
	secWeight [2]float64
	secB      [2]float64
	// secMix is how much the best section adds to the article score: an
	// article whose answer sits in one section beats one that mentions the
	// words all over.
	secMix float64
	// perField saturates each field on its own and adds them up, instead
	// of BM25F's one saturation over the weighted sum: a word in the
	// title then counts on top of the same word all over the body, which
	// is what tells the article about X from articles that mention X.
	perField bool

	// askBoost is the bonus for saying an article's title or one of its
	// listed questions nearly word for word (times the question's IDF mass
	// and the square of the match, so only close matches count much).
	askBoost float64
	// headingBoost is askBoost for choosing the section to show: a
	// heading that says the question picks its section.
	headingBoost float64
	// pairBoost weighs two question words found side by side.
	pairBoost float64
	// whBoost rewards an article whose title or a listed question asks
	// with the same question word as the question ("where", "who", "when"):
	// "where do archived emails go" and "can I see archived emails" share
	// every content word and ask different things. Times the question's
	// IDF mass, like askBoost.
	whBoost float64

	// Query expansion weights: below the typed word's 1 so an article in
	// the asker's own words still wins, high enough to bridge the gap
	// between how people ask and how articles are written.
	synonymWeight, spellingWeight, compoundWeight, splitWeight float64
	// assocWeight weighs the words the KB associates with the question's
	// (assoc.go), times how strongly.
	assocWeight float64
	// wordnetWeight weighs the English synonyms WordNet gives for the
	// question's words (wordnet.go); wordnetHyper scales it for a verb's
	// direct hypernyms.
	wordnetWeight, wordnetHyper float64
}

var defaultParams = params{
	k1: 2,
	weight: [numFields]float64{
		fTitle:     4,
		fQuestions: 4,
		fKeywords:  3,
		fHeadings:  1.5,
		fSummary:   1,
		fName:      1,
		fBody:      0.5,
	},
	b: [numFields]float64{
		fTitle:     0.5,
		fQuestions: 0.5,
		fKeywords:  0.3,
		fHeadings:  0.5,
		fSummary:   0.5,
		fName:      0.3,
		fBody:      0.75,
	},
	secK1:        1.2,
	secWeight:    [2]float64{2, 1},
	secB:         [2]float64{0.5, 0.75},
	secMix:       0.3,
	perField:     true,
	askBoost:     1,
	pairBoost:    0.1,
	headingBoost: 1,

	synonymWeight:  0.6,
	spellingWeight: 0.8,
	compoundWeight: 0.8,
	splitWeight:    0.5,

	whBoost:     0.15,
	assocWeight: 0.8,

	wordnetWeight: 0.3,
	wordnetHyper:  0.5,
}

// bm25 is the saturating term score for a length-normalised frequency.
func bm25(tfn, k1 float64) float64 {
	return tfn * (k1 + 1) / (k1 + tfn)
}

// articleTF is the BM25F pseudo-frequency of one term in one article: each
// field's count, normalised by the field's length and weighted.
func (ix *Index) articleTF(p *posting) float64 {
	var tfn float64
	lens := &ix.fieldLen[p.doc]
	for f := field(0); f < numFields; f++ {
		if p.tf[f] == 0 {
			continue
		}
		norm := 1 - ix.params.b[f] + ix.params.b[f]*float64(lens[f])/ix.avgLen[f]
		tfn += ix.params.weight[f] * float64(p.tf[f]) / norm
	}
	return tfn
}

// perFieldScale brings per-field sums back to about the range of one
// BM25F term score, so secMix and the expansion weights mean the same in
// both modes.
const perFieldScale = 4

// articleScore is one term's BM25 contribution to an article, before IDF.
func (ix *Index) articleScore(p *posting) float64 {
	if !ix.params.perField {
		return bm25(ix.articleTF(p), ix.params.k1)
	}
	var sc float64
	lens := &ix.fieldLen[p.doc]
	for f := field(0); f < numFields; f++ {
		if p.tf[f] == 0 {
			continue
		}
		norm := 1 - ix.params.b[f] + ix.params.b[f]*float64(lens[f])/ix.avgLen[f]
		sc += ix.params.weight[f] * bm25(float64(p.tf[f])/norm, ix.params.k1)
	}
	return sc / perFieldScale
}

// sectionTF is the BM25F pseudo-frequency of one term in one section.
func (ix *Index) sectionTF(p *secPosting) float64 {
	var tfn float64
	lens := &ix.secLen[p.sec]
	for j, tf := range [2]uint16{p.heading, p.body} {
		if tf == 0 {
			continue
		}
		norm := 1 - ix.params.secB[j] + ix.params.secB[j]*float64(lens[j])/ix.secAvg[j]
		tfn += ix.params.secWeight[j] * float64(tf) / norm
	}
	return tfn
}
