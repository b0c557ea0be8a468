package knowledge

import (
	"hash/maphash"
	"math"
	"strings"
	"time"

	"github.com/helpbot/helpbot/knowledge/internal/wordnet"
)

// field is a part of an article that is scored with its own weight.
type field uint8

const (
	fTitle     field = iota
	fQuestions       // front-matter "questions": phrasings the article answers
	fKeywords        // front-matter "keywords"
	fHeadings        // all section headings
	fSummary         // front-matter or "summary:" line
	fName            // words of the file path ("printing-paperjam.md")
	fBody            // all section text
	numFields
)

// posting is one article's term frequencies for one term, per field.
type posting struct {
	doc int32
	tf  [numFields]uint16
}

// pairSeed hashes stems for pairKey; one per process, so every index and
// query of the process agree.
var pairSeed = maphash.MakeSeed()

// pairKey names two neighbouring stems (by their hashes) in ix.pairs.
// Hashing keeps the build from making a string per pair of words; a
// collision, at 64 bits, would only add a small phrase bonus.
func pairKey(a, b uint64) uint64 {
	return a*0x9E3779B97F4A7C15 ^ (b + 0x632BE59BD9B4E019 + a<<6 + a>>2)
}

// pairPosting is one article's count of a pair of neighbouring words in
// what says what it is about (every field but the body) and in the body.
type pairPosting struct {
	doc        int32
	head, body uint16
}

// secPosting is one section's term frequencies for one term.
type secPosting struct {
	sec           int32
	heading, body uint16
}

// Index is an immutable, searchable KB. Build one with NewIndex or LoadFS;
// it is safe for concurrent Search calls.
type Index struct {
	articles []*Article
	byPath   map[string]int

	// Article level (BM25F over fields).
	postings map[string][]posting
	fieldLen [][numFields]float32
	avgLen   [numFields]float64

	// Section level (BM25 over heading + body), to find the part of an
	// article that answers and to reward answers concentrated in one place.
	secPostings map[string][]secPosting
	secDoc      []int32 // section → article
	secStart    []int32 // article → its first section; sections are contiguous
	secNum      []int32 // section → index in Article.Sections
	secLen      [][2]float32
	secAsk      []ask  // section → its heading, as an ask
	fallback    []bool // section → its heading is for when earlier steps failed ("If it still doesn't work")
	secAvg      [2]float64

	// Pairs of neighbouring content words, so that a question's phrases
	// ("paper jam", "sound output") count more where they appear as such.
	pairs map[uint64][]pairPosting // by pairKey

	// Asks are the article's title and front-matter questions, each as a
	// set of stems: a question that matches one of them (nearly) word for
	// word is what the article was written for.
	asks [][]ask

	words     map[string]string // surface word → stem, for spelling correction
	speller   *speller
	thesaurus *thesaurus
	params    params

	BuildTime time.Duration
}

// IndexOptions tune how a KB is indexed.
type IndexOptions struct {
	// Synonyms are the KB's own groups of words or phrases meaning the
	// same thing ("smartboard", "interactive panel"), added to the
	// built-in help-desk vocabulary.
	Synonyms [][]string
}

// NewIndex indexes articles with the default options; see BuildIndex.
func NewIndex(articles []*Article) *Index { return BuildIndex(articles, IndexOptions{}) }

// BuildIndex indexes articles. Articles with a duplicate Path are dropped
// (first wins), so the path stays a usable ID.
func BuildIndex(articles []*Article, opts IndexOptions) *Index {
	start := time.Now()
	if defaultParams.wordnetWeight > 0 {
		go wordnet.Load() // decompress the table while the index builds
	}
	th := builtinThesaurus
	if len(opts.Synonyms) > 0 {
		th = newThesaurus(append(parseGroups(builtinSynonyms), opts.Synonyms...))
	}
	ix := &Index{
		byPath:      make(map[string]int, len(articles)),
		postings:    make(map[string][]posting),
		pairs:       make(map[uint64][]pairPosting),
		secPostings: make(map[string][]secPosting),
		words:       make(map[string]string),
		thesaurus:   th,
		params:      defaultParams,
	}
	vocab := vocabulary(articles)
	var (
		tfs    = make(map[string]*[numFields]uint16)
		secTF  = make(map[string]*[2]uint16)
		pairTF = make(map[uint64]*[2]uint16)
		count  [numFields]int
		secN   [2]int
	)
	for _, a := range articles {
		if a == nil {
			continue
		}
		if _, dup := ix.byPath[a.Path]; dup {
			continue
		}
		doc := int32(len(ix.articles))
		ix.byPath[a.Path] = int(doc)
		ix.articles = append(ix.articles, a)

		clear(tfs)
		clear(pairTF)
		var (
			lens  [numFields]float32
			sl    [2]float32 // current section's heading and body lengths
			toArt bool
		)
		// add indexes s into field f of the article (when toArt) and into
		// slot (0 heading, 1 body) of the current section (when slot ≥ 0),
		// in one pass over the text.
		add := func(f field, s string, slot int) {
			var prev uint64
			havePrev := false
			indexTerms(s, vocab, func(w, st string) {
				if slot >= 0 {
					t := secTF[st]
					if t == nil {
						t = new([2]uint16)
						secTF[st] = t
					}
					if t[slot] < math.MaxUint16 {
						t[slot]++
					}
					sl[slot]++
				}
				if !toArt {
					return
				}
				if w != "" {
					if _, ok := ix.words[w]; !ok {
						ix.words[w] = st
					}
					h := maphash.String(pairSeed, st)
					if havePrev && prev != h {
						k := pairKey(prev, h)
						t := pairTF[k]
						if t == nil {
							t = new([2]uint16)
							pairTF[k] = t
						}
						j := 0
						if f == fBody {
							j = 1
						}
						if t[j] < math.MaxUint16 {
							t[j]++
						}
					}
					prev, havePrev = h, true
				}
				t := tfs[st]
				if t == nil {
					t = new([numFields]uint16)
					tfs[st] = t
				}
				if t[f] < math.MaxUint16 {
					t[f]++
				}
				lens[f]++
			})
		}
		toArt = true
		add(fTitle, a.Title, -1)
		for _, q := range a.Questions {
			add(fQuestions, q, -1)
		}
		var asks []ask
		for _, s := range append([]string{a.Title}, a.Questions...) {
			if k := newAsk(s, vocab); len(k.terms) > 0 {
				asks = append(asks, k)
			}
		}
		ix.asks = append(ix.asks, asks)
		for _, k := range a.Keywords {
			add(fKeywords, k, -1)
		}
		add(fSummary, a.Summary, -1)
		add(fName, strings.TrimSuffix(a.Path, ".md"), -1)
		ix.secStart = append(ix.secStart, int32(len(ix.secDoc)))
		for i := range a.Sections {
			s := &a.Sections[i]
			clear(secTF)
			sl = [2]float32{}
			// A heading that repeats the title is not a heading field of
			// the article, but it is its section's heading.
			toArt = s.Heading != a.Title
			add(fHeadings, s.Heading, 0)
			toArt = true
			add(fBody, s.Text, 1)

			sec := int32(len(ix.secDoc))
			ix.secDoc = append(ix.secDoc, doc)
			ix.secAsk = append(ix.secAsk, newAsk(s.Heading, vocab))
			ix.fallback = append(ix.fallback, fallbackHeadingRe.MatchString(s.Heading))
			ix.secNum = append(ix.secNum, int32(i))
			ix.secLen = append(ix.secLen, sl)
			for j := range sl {
				if sl[j] > 0 {
					ix.secAvg[j] += float64(sl[j])
					secN[j]++
				}
			}
			for st, t := range secTF {
				ix.secPostings[st] = append(ix.secPostings[st], secPosting{sec: sec, heading: t[0], body: t[1]})
			}
		}
		for st, t := range tfs {
			ix.postings[st] = append(ix.postings[st], posting{doc: doc, tf: *t})
		}
		for k, t := range pairTF {
			ix.pairs[k] = append(ix.pairs[k], pairPosting{doc: doc, head: t[0], body: t[1]})
		}
		ix.fieldLen = append(ix.fieldLen, lens)
		for f, l := range lens {
			if l > 0 {
				ix.avgLen[f] += float64(l)
				count[f]++
			}
		}
	}
	ix.secStart = append(ix.secStart, int32(len(ix.secDoc)))
	// Averages over the articles that have the field: a KB where only a
	// few articles list questions must not make those few look long.
	for f := range ix.avgLen {
		if count[f] > 0 {
			ix.avgLen[f] /= float64(count[f])
		} else {
			ix.avgLen[f] = 1
		}
	}
	for j := range ix.secAvg {
		if secN[j] > 0 {
			ix.secAvg[j] /= float64(secN[j])
		} else {
			ix.secAvg[j] = 1
		}
	}
	for _, asks := range ix.asks {
		for i := range asks {
			asks[i].weigh(ix)
		}
	}
	for i := range ix.secAsk {
		ix.secAsk[i].weigh(ix)
	}
	ix.speller = newSpeller(ix.words)
	ix.BuildTime = time.Since(start)
	return ix
}

// vocabulary is every word the articles use, for joining split compounds.
func vocabulary(articles []*Article) map[string]bool {
	v := map[string]bool{}
	add := func(s string) { tokenize(s, func(w string) { v[w] = true }) }
	for _, a := range articles {
		if a == nil {
			continue
		}
		add(a.Title)
		add(a.Summary)
		for _, q := range a.Questions {
			add(q)
		}
		for _, k := range a.Keywords {
			add(k)
		}
		for _, s := range a.Sections {
			add(s.Heading)
			add(s.Text)
		}
	}
	return v
}

// indexTerms emits the index terms of s: each content word with its stem,
// and, where two neighbouring words are written as one word elsewhere in
// the KB ("back up" / "backup", "log in" / "login"), the joined word too
// (with an empty surface form), so either spelling finds the other.
func indexTerms(s string, vocab map[string]bool, emit func(word, stem string)) {
	prev := ""
	tokenize(s, func(w string) {
		if len(w) > maxWordLen {
			prev = ""
			return
		}
		if j := prev + w; prev != "" && len(j) >= 5 && vocab[j] && !stopWords[j] {
			emit("", stem(j))
		}
		prev = w
		if !stopWords[w] {
			emit(w, stem(w))
		}
	})
}

// Len is the number of articles.
func (ix *Index) Len() int { return len(ix.articles) }

// Articles returns the indexed articles, sorted by path. Callers must not
// modify them.
func (ix *Index) Articles() []*Article { return ix.articles }

// Article returns the article at path, or nil.
func (ix *Index) Article(path string) *Article {
	if i, ok := ix.byPath[path]; ok {
		return ix.articles[i]
	}
	return nil
}

// idf is the BM25 inverse document frequency; a term no article has gets
// the largest value, which is what makes unknown words lower confidence.
func (ix *Index) idf(df int) float64 {
	n := float64(len(ix.articles))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}
