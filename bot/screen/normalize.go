// Package screen makes incoming text safe before anything stores, searches or
// sends it: Unicode normalisation, secret and PII redaction, policy screening.
package screen

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxRunes caps a message; chat messages longer than this are pasted logs or
// documents, and searching or storing them helps nobody.
const MaxRunes = 2000

// Normalize applies NFKC (fullwidth digits become ASCII, ligatures split),
// strips invisible characters that hide words from filters (zero-width,
// bidi controls, Unicode tags, variation selectors), maps odd whitespace to a
// space, collapses runs of spaces, and caps the length. It reports whether
// the text was cut. Invalid UTF-8 becomes U+FFFD first.
func Normalize(s string) (string, bool) {
	// A long paste is cut to MaxRunes anyway: normalise a prefix first and
	// keep its result when it already fills the cap. The prefix ends just
	// before an ASCII byte, where nothing (invalid-UTF-8 runs, NFKC
	// composition or reordering, whitespace runs) joins across, so the
	// result is the one the whole text gives.
	for n := prefixBytes; n < len(s); n *= 4 {
		if i := asciiBefore(s, n); i > 0 {
			if t, cut := normalize(s[:i]); cut {
				return t, true
			}
		}
	}
	return normalize(s)
}

// prefixBytes is the first prefix of a long text Normalize tries: MaxRunes
// runes of ordinary text, with room for spaces and multi-byte letters.
const prefixBytes = 3 * MaxRunes

// asciiBefore returns the index of an ASCII byte at or before n (and not
// more than 64 bytes before), where a prefix may end; 0 when there is none.
func asciiBefore(s string, n int) int {
	for i := n; i > 0 && i > n-64; i-- {
		if s[i] < utf8.RuneSelf && norm.NFKC.PropertiesString(s[i:]).BoundaryBefore() {
			return i
		}
	}
	return 0
}

func normalize(s string) (string, bool) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = stripInvisible(s)
	s = norm.NFKC.String(s)
	// NFKC can produce new invisible characters from compatibility forms;
	// strip once more so the result is a fixed point.
	s = stripInvisible(s)

	var b strings.Builder
	b.Grow(len(s))
	space := false
	n := 0
	cut := false
	for _, r := range s {
		if r == '\n' {
			// Keep line breaks (people paste steps) but trim trailing spaces.
			trimTrailingSpace(&b)
			b.WriteRune('\n')
			space = false
			n++
		} else if unicode.IsSpace(r) {
			space = true
			continue
		} else {
			if space && b.Len() > 0 && !endsWithNewline(&b) {
				b.WriteByte(' ')
				n++
			}
			space = false
			b.WriteRune(r)
			n++
		}
		if n >= MaxRunes {
			cut = true
			break
		}
	}
	return strings.TrimSpace(b.String()), cut
}

func endsWithNewline(b *strings.Builder) bool {
	s := b.String()
	return len(s) > 0 && s[len(s)-1] == '\n'
}

func trimTrailingSpace(b *strings.Builder) {
	s := b.String()
	t := strings.TrimRight(s, " ")
	if len(t) != len(s) {
		b.Reset()
		b.WriteString(t)
	}
}

func stripInvisible(s string) string {
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

// invisible reports characters that render as nothing (or reorder text) and
// are used to smuggle words past filters.
func invisible(r rune) bool {
	if r < utf8.RuneSelf { // the common case: only ASCII controls are invisible
		return (r < 0x20 || r == 0x7F) && r != '\t' && r != '\n' && r != '\r'
	}
	switch {
	case r == '\u00AD', // soft hyphen
		r == '\u034F',                  // combining grapheme joiner
		r == '\u061C',                  // Arabic letter mark
		r == '\u180E',                  // Mongolian vowel separator
		r >= '\u200B' && r <= '\u200F', // zero-width space/joiners, LRM, RLM
		r >= '\u202A' && r <= '\u202E', // bidi embeddings and overrides
		r >= '\u2060' && r <= '\u206F', // word joiner, invisible operators, bidi isolates
		r == '\uFEFF',                  // BOM / zero-width no-break space
		r >= '\uFE00' && r <= '\uFE0F', // variation selectors
		r >= 0xE0000 && r <= 0xE007F,   // Unicode tag characters
		r >= 0xE0100 && r <= 0xE01EF:   // variation selectors supplement
		return true
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case unicode.Is(unicode.Cc, r): // other control characters
		return true
	}
	return false
}
