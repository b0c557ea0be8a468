// Package spelling maps British, Canadian and Australian spellings to the
// American ones ("colour" → "color", "organise" → "organize", "centre" →
// "center"), so that a question and an article written on either side of
// the Atlantic meet. The table is generated from SCOWL (see LICENSE) by
// gen/; no word in it was chosen by hand.
package spelling

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed variants.txt
var data string

var table = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 4000)
	for _, line := range strings.Split(data, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if from, to, ok := strings.Cut(line, " "); ok {
			m[from] = to
		}
	}
	return m
})

// American returns the American spelling of the lowercase word w, or w
// itself when it has none.
func American(w string) string {
	if a, ok := table()[w]; ok {
		return a
	}
	return w
}
