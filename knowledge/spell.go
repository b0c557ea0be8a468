package knowledge

import "hash/maphash"

// speller finds the KB word one edit away from a misspelt one
// ("chromebok" → "chromebook", "projecter" → "projector") without scanning
// the vocabulary: every known word is filed under itself and each of its
// one-letter deletions, so a typo and its correction always share a key
// (a deletion of one, the other, or both). Keys are hashes, so the table
// costs a few bytes per entry; candidates are verified, so a collision
// costs nothing but a comparison.
type speller struct {
	seed  maphash.Seed
	words []string           // surface words, by id
	keys  map[uint64][]int32 // hash of a word or one-deletion → word ids
}

// minSpellLen is the shortest word that is corrected: at four letters, one
// edit away is usually another real word.
const minSpellLen = 5

func newSpeller(words map[string]string) *speller {
	sp := &speller{seed: maphash.MakeSeed(), keys: make(map[uint64][]int32, len(words)*6)}
	for w := range words {
		// A typo of length ≥ minSpellLen is one edit from words one letter shorter.
		if len(w) < minSpellLen-1 || !isASCIIWord(w) {
			continue
		}
		id := int32(len(sp.words))
		sp.words = append(sp.words, w)
		sp.variants(w, func(h uint64) {
			ids := sp.keys[h]
			if n := len(ids); n > 0 && ids[n-1] == id {
				return // "committee" minus either "t" is the same key
			}
			sp.keys[h] = append(ids, id)
		})
	}
	return sp
}

// variants calls f with the hash of w and of each one-letter deletion of w.
func (sp *speller) variants(w string, f func(uint64)) {
	f(maphash.String(sp.seed, w))
	var h maphash.Hash
	h.SetSeed(sp.seed)
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] {
			continue // deleting either letter of a double gives the same word
		}
		h.Reset()
		h.WriteString(w[:i])
		h.WriteString(w[i+1:])
		f(h.Sum64())
	}
}

// lookup calls f with each known word within one edit (insertion,
// deletion, substitution or swap of neighbours) of w, w itself excluded.
func (sp *speller) lookup(w string, f func(word string)) {
	if sp == nil || len(w) < minSpellLen || !isASCIIWord(w) {
		return
	}
	var seen map[int32]bool
	sp.variants(w, func(h uint64) {
		for _, id := range sp.keys[h] {
			if seen[id] {
				continue
			}
			if seen == nil {
				seen = map[int32]bool{}
			}
			seen[id] = true
			if c := sp.words[id]; c != w && withinOneEdit(w, c) {
				f(c)
			}
		}
	})
}
