package screen

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizeWhole is Normalize without the prefix shortcut: the whole text
// is normalised, then capped.
func normalizeWhole(s string) (string, bool) { return normalize(s) }

var longTexts = []string{
	strings.Repeat("step 3 failed: printer offline, error 0x0000011b\n", 2000),
	strings.Repeat("word ", 5000),
	strings.Repeat(" \t\n", 9000) + strings.Repeat("late text ", 3000), // the prefix is all space
	strings.Repeat("e\u0301\u200B", 9000),                              // combining marks, zero-width
	strings.Repeat("ｆｕｌｌｗｉｄｔｈ ", 4000),                                 // NFKC changes length
	strings.Repeat("\xff\xfeab", 8000),                                 // invalid UTF-8
	strings.Repeat("한국어 ", 9000),                                       // Hangul composition
	strings.Repeat("x", MaxRunes-1) + strings.Repeat(" ", 30000) + "y",
	// The MaxRunes-th rune ends exactly where the first prefix would, and
	// the next character combines with it (ｅ + ◌́ → é): no cut there.
	strings.Repeat("한", MaxRunes-1) + "ｅ\u0301" + strings.Repeat("b", 10),
}

func TestNormalizeLongSameAsWhole(t *testing.T) {
	for i, in := range longTexts {
		got, gotCut := Normalize(in)
		want, wantCut := normalizeWhole(in)
		if got != want || gotCut != wantCut {
			t.Errorf("long text %d: Normalize (%d runes, cut %v) differs from the whole text's result (%d runes, cut %v)",
				i, len([]rune(got)), gotCut, len([]rune(want)), wantCut)
		}
	}
}

// FuzzNormalizeLong repeats the input past the prefix Normalize tries
// first, with a random-looking offset, and compares with the whole-text
// result.
func FuzzNormalizeLong(f *testing.F) {
	for _, s := range []string{"a", "e\u0301", "\u200B x", "ﬁ ", "\xff", "한", " \n", "ｆ", "a\u0308\u0301", "\u1100\u1161"} {
		f.Add(s, uint16(0))
	}
	f.Fuzz(func(t *testing.T, unit string, shift uint16) {
		if unit == "" {
			return
		}
		in := strings.Repeat("z", int(shift)%97) + strings.Repeat(unit, prefixBytes/len(unit)+MaxRunes)
		got, gotCut := Normalize(in)
		want, wantCut := normalizeWhole(in)
		if got != want || gotCut != wantCut {
			t.Errorf("Normalize(%q × n) differs from the whole-text result (cut %v vs %v)", unit, gotCut, wantCut)
		}
	})
}

// Every ASCII character starts an NFKC boundary, so a long text always
// has a place to cut its prefix (asciiBefore checks it anyway).
func TestASCIIIsBoundary(t *testing.T) {
	for c := rune(0); c < 0x80; c++ {
		if !norm.NFKC.PropertiesString(string(c)).BoundaryBefore() {
			t.Errorf("%q: no NFKC boundary before it", c)
		}
	}
}

// The ASCII shortcut in invisible agrees with the general rule.
func TestInvisibleASCII(t *testing.T) {
	for r := rune(0); r < 0x80; r++ {
		want := r != '\t' && r != '\n' && r != '\r' && unicode.Is(unicode.Cc, r)
		if got := invisible(r); got != want {
			t.Errorf("invisible(%q) = %v; want %v", r, got, want)
		}
	}
}
