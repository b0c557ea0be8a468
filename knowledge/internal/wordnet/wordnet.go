// Package wordnet is a compact synonym table taken from Princeton WordNet
// 3.0 (see LICENSE): for each common English word, the other single words
// of its commonest senses, and for verbs their direct hypernyms
// ("download" → "transfer"). gen/ rebuilds wordnet.txt.gz.
package wordnet

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed wordnet.txt.gz
var data []byte

// The table stays one string (about 1.6 MB); lines are found by binary
// search over their offsets, which costs far less memory than a map.
var (
	once  sync.Once
	text  string
	words []uint32 // offsets of "word syn syn | hyper" lines, sorted by word
	forms []uint32 // offsets of "~form base" lines, sorted by form
)

func load() {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		panic("wordnet: " + err.Error())
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("wordnet: " + err.Error())
	}
	text = string(b)
	words = make([]uint32, 0, 45000)
	for off := 0; off < len(text); {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text) - off
		}
		switch text[off] {
		case '#', '\n':
		case '~':
			forms = append(forms, uint32(off+1))
		default:
			words = append(words, uint32(off))
		}
		off += end + 1
	}
}

// Load parses the table now rather than on the first Lookup.
func Load() { once.Do(load) }

// line returns the rest of the line in idx whose first word is w.
func line(idx []uint32, w string) (string, bool) {
	key := func(i int) (string, string) {
		l := text[idx[i]:]
		if e := strings.IndexByte(l, '\n'); e >= 0 {
			l = l[:e]
		}
		k, rest, _ := strings.Cut(l, " ")
		return k, rest
	}
	i := sort.Search(len(idx), func(i int) bool { k, _ := key(i); return k >= w })
	if i == len(idx) {
		return "", false
	}
	k, rest := key(i)
	return rest, k == w
}

// Lookup returns the synonyms and (verb) hypernyms of w, a lowercased word
// in any inflected form: it is reduced to a base form WordNet's way
// (irregular forms, then the regular suffixes).
func Lookup(w string) (syns, hypers []string) {
	once.Do(load)
	for _, base := range baseForms(w) {
		rest, _ := line(words, base)
		s, h, _ := strings.Cut(rest, "|")
		syns = append(syns, strings.Fields(s)...)
		hypers = append(hypers, strings.Fields(h)...)
	}
	return syns, hypers
}

// suffixes are WordNet's detachment rules (morphy), all parts of speech.
var suffixes = [][2]string{
	{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"},
	{"men", "man"}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""},
	{"ing", "e"}, {"ing", ""}, {"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"},
}

// baseForms reduces w to the table's lemmas: an irregular or regular
// inflection of a lemma is read as that lemma ("showing" is "show", not
// the film screening); otherwise w itself.
func baseForms(w string) []string {
	if b, ok := line(forms, w); ok {
		return []string{b}
	}
	for _, sf := range suffixes {
		if strings.HasSuffix(w, sf[0]) && len(w) > len(sf[0])+1 {
			b := w[:len(w)-len(sf[0])] + sf[1]
			if _, ok := line(words, b); ok {
				return []string{b}
			}
		}
	}
	if _, ok := line(words, w); ok {
		return []string{w}
	}
	return nil
}
