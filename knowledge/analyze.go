package knowledge

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/kljensen/snowball/english"

	"github.com/helpbot/helpbot/knowledge/internal/spelling"
)

// The analyzer turns text into index terms: unicode-aware tokens, lowercase,
// no stop words, American spelling ("colour" → "color"), Snowball English
// stems. Articles and questions go through
// the same code so that their terms meet.

// token is one word of the input, before and after stemming.
type token struct {
	word string // lowercased surface form
	stem string
}

// tokenize splits s into lowercase words. Apostrophes inside words vanish
// ("don't" → "dont", "teacher's" → "teachers"), and a hyphenated word is
// also emitted joined ("wi-fi" → "wi", "fi", "wifi") so either spelling in
// a question meets either spelling in an article.
func tokenize(s string, emit func(word string)) {
	var (
		word   []rune
		joined []rune // the current hyphenated compound, if any
		parts  int
		start  int // index in rs of the current word's first rune
	)
	rs := []rune(s)
	// "IT" in capitals, in text that is not all capitals, is the IT
	// department, not the pronoun: "what's the IT phone number".
	itDept := strings.Contains(s, "IT") && strings.ContainsFunc(s, unicode.IsLower)
	endWord := func() {
		if len(word) > 0 {
			if itDept && len(word) == 2 && rs[start] == 'I' && rs[start+1] == 'T' {
				word = append(word[:0], []rune(itWord)...)
			}
			emit(string(word))
			parts++
			joined = append(joined, word...)
			word = word[:0]
		}
	}
	endCompound := func() {
		endWord()
		if parts > 1 {
			emit(string(joined))
		}
		joined, parts = joined[:0], 0
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if len(word) == 0 {
				start = i
			}
			word = append(word, unicode.ToLower(r))
		case (r == '\'' || r == '’') && len(word) > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
			// inside a word: drop it
		case r == '-' && len(word) > 0 && i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.IsDigit(rs[i+1])):
			endWord()
		default:
			endCompound()
		}
	}
	endCompound()
}

// itWord is the index word for "IT" the department (see tokenize).
const itWord = "itdept"

// maxWordLen drops "words" that are really URLs, hashes or base64 noise.
const maxWordLen = 40

// analyze returns the index terms of s in order (stop words removed).
func analyze(s string) []string {
	var out []string
	tokenize(s, func(w string) {
		if len(w) > maxWordLen || stopWords[w] {
			return
		}
		out = append(out, stem(w))
	})
	return out
}

// analyzeTokens is analyze keeping the surface forms, for query handling.
func analyzeTokens(s string) []token {
	var out []token
	tokenize(s, func(w string) {
		if len(w) > maxWordLen || stopWords[w] {
			return
		}
		out = append(out, token{word: w, stem: stem(w)})
	})
	return out
}

// stemCache maps word → stem. A KB's vocabulary is small, but questions
// come from anyone, so the cache stops growing at maxCachedStems.
var (
	stemCache      sync.Map
	cachedStems    atomic.Int64
	maxCachedStems int64 = 200_000
)

func stem(w string) string {
	if s, ok := stemCache.Load(w); ok {
		return s.(string)
	}
	s := w
	if isASCIIWord(w) {
		s = english.Stem(spelling.American(w), true)
		if s == w {
			s = abbrevSingular(w)
		}
	}
	if cachedStems.Load() < maxCachedStems {
		if _, loaded := stemCache.LoadOrStore(w, s); !loaded {
			cachedStems.Add(1)
		}
	}
	return s
}

// abbrevSingular is the singular of an abbreviation's plural ("pcs",
// "dvds", "pm's" typed as "pms"), which Snowball leaves alone because it
// has no vowel to stem against. The same rule runs on articles and
// questions, so "gps" → "gp" still meets itself.
func abbrevSingular(w string) string {
	n := len(w)
	if n < 3 || n > 5 || w[n-1] != 's' || w[n-2] == 's' {
		return w
	}
	for i := 0; i < n; i++ {
		c := w[i]
		if strings.IndexByte("aeiouy", c) >= 0 || c < 'a' || c > 'z' {
			return w
		}
	}
	return w[:n-1]
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			return false
		}
	}
	return true
}

// stopWords are dropped from articles and questions alike. Besides the usual
// English function words the list has the filler of help requests ("how do
// I", "is there a way", "please help") which says nothing about the topic.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
a about above after again against all also am an and any are aren arent as at
be because been before being below between both but by
can cannot cant could couldnt
did didnt do does doesnt doing dont during
each either else etc ever every
few for from further
had hadnt has hasnt have havent having he hed hes her here hers herself him himself his how
i id ill im ive if in into is isnt it its itself
just
let lets
may me might more most must mustnt my myself
no nor not now
of off on once only or other ought our ours ourselves out over own
per
quite
rather really
same shall shant she shed shes should shouldnt so some such
than that thats the their theirs them themselves then there theres these they theyd theyll theyre theyve this those through thru to too
under until up upon us
very
was wasnt we wed well were weve werent what whats when where wheres whether which while who whos whom why will with within without wont would wouldnt
yet you youd youll youre youve your yours yourself yourselves
anyone anybody someone somebody anything something everything
hi hello hey please thanks thank pls plz
able possible way ways want wants wanted wanna need needs needed
know go going get gets got getting
tell help trying try tried
one ones
still nothing anymore
`) {
		m[w] = true
	}
	return m
}()
