// Package prefilter skips a regular expression when the text lacks every
// literal the expression needs, which for chat messages is most of the time.
//
// From a pattern's syntax tree it derives literals a match must contain
// (for `\b(need|want)\s+a\s+(tech|person)\b`: one of "need", "want", and
// one of "tech", "person"), case-folded. A text whose folded form lacks
// them cannot match, so the regexp never runs on it. The filter only ever
// says "cannot match" when that is certain; otherwise the regexp decides.
package prefilter

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Regexp is a compiled regular expression with its literal prefilter. The
// embedded regexp's other methods are its own, unfiltered.
type Regexp struct {
	*regexp.Regexp
	// need lists sets of folded literals, most selective first: a match
	// contains at least one literal of every set. Empty: no filter.
	need [][]string
}

// maxSets bounds how many literal sets a text is checked against; the
// first (most selective) ones do nearly all the skipping.
const maxSets = 3

// MustCompile compiles expr and its prefilter; it panics on a bad pattern.
func MustCompile(expr string) *Regexp { return New(regexp.MustCompile(expr)) }

// New adds a prefilter to re, which regexp.Compile made (Perl syntax).
func New(re *regexp.Regexp) *Regexp {
	p := &Regexp{Regexp: re}
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil { // cannot happen for a compiled regexp; no filter then
		return p
	}
	var sets [][]string
	for _, set := range rankedSets(needs(tree)) {
		// A set with a one-byte literal (a space, a digit) skips almost
		// nothing and costs a scan; leave it out, and any set kept already.
		if len(set[0]) > 1 && !slices.ContainsFunc(sets, func(s []string) bool { return slices.Equal(s, set) }) {
			sets = append(sets, set)
		}
	}
	if len(sets) > maxSets {
		sets = sets[:maxSets]
	}
	p.need = sets
	return p
}

// Needs returns the literal sets the filter checks (folded; a match holds
// one of each set), for tests and for reading.
func (p *Regexp) Needs() [][]string { return p.need }

// MayMatch reports false when a text whose Fold is folded cannot match.
func (p *Regexp) MayMatch(folded string) bool {
	for _, set := range p.need {
		found := false
		for _, lit := range set {
			if strings.Contains(folded, lit) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// MatchString is the regexp's MatchString, skipped when the literals are
// missing.
func (p *Regexp) MatchString(s string) bool {
	return p.MayMatch(Fold(s)) && p.Regexp.MatchString(s)
}

// MatchFolded is MatchString for a caller that already has Fold(s).
func (p *Regexp) MatchFolded(s, folded string) bool {
	return p.MayMatch(folded) && p.Regexp.MatchString(s)
}

// ReplaceAllString is the regexp's, returning s itself when nothing can match.
func (p *Regexp) ReplaceAllString(s, repl string) string {
	if !p.MayMatch(Fold(s)) {
		return s
	}
	return p.Regexp.ReplaceAllString(s, repl)
}

// Fold maps s to its case-folded form: every rune to one representative
// of its case-folding orbit (the lowercase ASCII letter where the orbit has
// one, so "K", "k" and the Kelvin sign all become "k"). It is the folding
// regexp's (?i) uses, so a case-insensitive match's literal always appears
// in the folded text. Lowercase ASCII text is returned as is.
func Fold(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return foldRune(f)
		}
		least = min(least, f)
	}
	return least
}

func foldString(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// smallClass is the largest character class taken as a set of literals.
const smallClass = 4

// needs returns literal sets every match of re contains one of (an AND of
// ORs); nil when nothing is certain.
func needs(re *syntax.Regexp) [][]string {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil
		}
		return [][]string{{foldString(re.Rune)}}
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo >= smallClass || len(set)+int(hi-lo)+1 > 2*smallClass {
				return nil
			}
			for r := lo; r <= hi; r++ {
				set = append(set, string(foldRune(r)))
			}
		}
		if len(set) == 0 {
			return nil
		}
		return [][]string{set}
	case syntax.OpCapture, syntax.OpPlus:
		return needs(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return needs(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		// Runs of children with a few exact strings each are one set (their
		// products): "pass ?words?" needs "password" or "pass word", not
		// just "p" and "ass" as the parser factors it.
		var out [][]string
		run := []string{""}
		flush := func() {
			if len(run) > 1 || run[0] != "" {
				out = append(out, run)
			}
			run = []string{""}
		}
		for _, sub := range re.Sub {
			if ex := exact(sub); ex != nil {
				if prod := product(run, ex); prod != nil {
					run = prod
					continue
				}
				flush()
				run = ex
				continue
			}
			flush()
			out = append(out, needs(sub)...)
		}
		flush()
		return out
	case syntax.OpAlternate:
		if ex := exact(re); ex != nil {
			return [][]string{ex}
		}
		// A match needs one of every branch's sets, so for each way of
		// picking one set per branch, one of the picked literals. Take the
		// branches' best sets together, then their second best, and so on.
		var ranked [][][]string
		for _, sub := range re.Sub {
			sets := rankedSets(needs(sub))
			if sets == nil {
				return nil // this branch needs nothing certain
			}
			ranked = append(ranked, sets)
		}
		var out [][]string
		for t := range maxSets {
			var any []string
			for _, sets := range ranked {
				if t < len(sets) {
					any = append(any, sets[t]...)
				} else {
					any = append(any, sets[0]...)
				}
			}
			out = append(out, any)
		}
		return out
	}
	// Empty matches, anchors, word boundaries, any-char, stars, quests:
	// nothing a match must contain.
	return nil
}

// maxExact bounds the strings exact and product enumerate.
const maxExact = 32

// exact returns every string re can match (folded), when they are few;
// nil otherwise. Anchors and word boundaries match the empty string.
func exact(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{foldString(re.Rune)}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}
	case syntax.OpCharClass:
		if n := needs(re); n != nil {
			return n[0]
		}
		return nil
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpQuest:
		if ex := exact(re.Sub[0]); ex != nil && len(ex) < maxExact {
			return append(ex, "")
		}
		return nil
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			ex := exact(sub)
			if ex == nil {
				return nil
			}
			if out = product(out, ex); out == nil {
				return nil
			}
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			ex := exact(sub)
			if ex == nil || len(out)+len(ex) > maxExact {
				return nil
			}
			out = append(out, ex...)
		}
		return out
	}
	return nil
}

// product is every a+b, or nil when there would be too many.
func product(as, bs []string) []string {
	if len(as)*len(bs) > maxExact {
		return nil
	}
	out := make([]string, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, a+b)
		}
	}
	return out
}

// rankedSets is sets made minimal, most selective first; nil when none is left.
func rankedSets(sets [][]string) [][]string {
	var out [][]string
	for _, set := range sets {
		if set = minimal(set); len(set) > 0 {
			out = append(out, set)
		}
	}
	slices.SortStableFunc(out, func(a, b []string) int { return selectivity(b) - selectivity(a) })
	return out
}

// selectivity ranks a set: its shortest literal's length counts most
// (short literals occur everywhere), then fewer literals.
func selectivity(set []string) int {
	shortest := len(set[0])
	for _, s := range set {
		shortest = min(shortest, len(s))
	}
	return shortest*1000 - len(set)
}

// minimal drops duplicates and every literal that contains another one of
// the set: where it occurs, so does the shorter one.
func minimal(set []string) []string {
	s := slices.Clone(set)
	slices.SortFunc(s, func(a, b string) int { return len(a) - len(b) })
	var out []string
	for _, lit := range s {
		if lit == "" {
			return nil // the empty string is in every text
		}
		redundant := false
		for _, kept := range out {
			if strings.Contains(lit, kept) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, lit)
		}
	}
	return out
}
