// Package prefiltertest checks prefiltered regexps against their plain
// form: on made-up matches of each pattern and on texts a test supplies.
package prefiltertest

import (
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// Samples is how many made-up texts Check tries per pattern.
const Samples = 400

// Check fails t when a prefiltered regexp and its plain form disagree on
// any text: the given ones, and for each pattern Samples texts built from
// the pattern itself (its literals in random case, Unicode case variants
// such as the Kelvin sign for "k" included, with text around them and
// with a rune dropped). It also fails when no made-up text matches a
// pattern, since then the check proved little.
func Check(t testing.TB, texts []string, res ...*prefilter.Regexp) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, re := range res {
		for _, s := range texts {
			agree(t, re, s)
		}
		tree, err := syntax.Parse(re.String(), syntax.Perl)
		if err != nil {
			t.Fatalf("parse %q: %v", re.String(), err)
		}
		matched := 0
		for range Samples {
			var b strings.Builder
			b.WriteString(around[rnd.IntN(len(around))])
			sample(tree, rnd, &b)
			b.WriteString(around[rnd.IntN(len(around))])
			s := b.String()
			if rnd.IntN(4) == 0 {
				s = strings.ToUpper(s)
			}
			if agree(t, re, s) {
				matched++
			}
			if rs := []rune(s); len(rs) > 1 {
				i := rnd.IntN(len(rs))
				agree(t, re, string(rs[:i])+string(rs[i+1:]))
			}
		}
		if matched == 0 {
			t.Errorf("no made-up text matched %q; the check proved nothing", re.String())
		}
	}
}

var around = []string{"", " ", "hi, ", "the ", "ok. ", "\n", " please", " now!", "x"}

// agree checks one text and reports whether the plain regexp matched.
func agree(t testing.TB, re *prefilter.Regexp, s string) bool {
	t.Helper()
	plain := re.Regexp.MatchString(s)
	if got := re.MatchString(s); got != plain {
		t.Errorf("prefiltered %q on %q = %v; the plain regexp says %v (needs %q, folded text %q)",
			re.String(), s, got, plain, re.Needs(), prefilter.Fold(s))
	}
	if got := re.MatchFolded(s, prefilter.Fold(s)); got != plain {
		t.Errorf("MatchFolded %q on %q = %v; want %v", re.String(), s, got, plain)
	}
	if got, want := re.ReplaceAllString(s, "<>"), re.Regexp.ReplaceAllString(s, "<>"); got != want {
		t.Errorf("ReplaceAllString %q on %q = %q; want %q", re.String(), s, got, want)
	}
	return plain
}

// sample writes a random text the pattern (very likely) matches.
func sample(re *syntax.Regexp, rnd *rand.Rand, b *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				r = variant(r, rnd)
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) < 2 {
			return
		}
		i := 2 * rnd.IntN(len(re.Rune)/2)
		lo, hi := re.Rune[i], re.Rune[i+1]
		b.WriteRune(lo + rune(rnd.IntN(int(min(hi-lo, 300))+1)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte("abcxyz 09'"[rnd.IntN(10)])
	case syntax.OpCapture:
		sample(re.Sub[0], rnd, b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 2
		switch re.Op {
		case syntax.OpPlus:
			lo, hi = 1, 3
		case syntax.OpQuest:
			lo, hi = 0, 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 || hi > lo+2 {
				hi = lo + 2
			}
		}
		for range lo + rnd.IntN(hi-lo+1) {
			sample(re.Sub[0], rnd, b)
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			sample(sub, rnd, b)
		}
	case syntax.OpAlternate:
		sample(re.Sub[rnd.IntN(len(re.Sub))], rnd, b)
	}
}

// variant is r or another member of its case-folding orbit.
func variant(r rune, rnd *rand.Rand) rune {
	orbit := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		orbit = append(orbit, f)
	}
	return orbit[rnd.IntN(len(orbit))]
}
