package knowledge

import (
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// FuzzLoad: the markdown and front-matter loader never panics, and what it
// loads is valid UTF-8 with no hidden characters. Seeds live in
// testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("# T\n\nbody\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"a/x.md": {Data: data}, "b/ok.md": {Data: []byte("# OK\n\nfine\n")}}
		ix, probs := LoadFS(fsys)
		if ix.Article("b/ok.md") == nil {
			t.Fatal("a bad neighbour stopped a good article loading")
		}
		for _, p := range probs {
			if p.Path != "a/x.md" || p.Message == "" {
				t.Fatalf("problem %+v: want one about a/x.md with a message", p)
			}
		}
		if a := ix.Article("a/x.md"); a != nil {
			for _, s := range append([]string{a.Title, a.Summary}, texts(a)...) {
				if !utf8.ValidString(s) || strings.IndexFunc(s, isHidden) >= 0 {
					t.Fatalf("loaded text %q is not clean", s)
				}
			}
			ix.Search(a.Title, SearchOptions{})
		}
		Check(fsys)
	})
}

func texts(a *Article) []string {
	var out []string
	for _, s := range a.Sections {
		out = append(out, s.Heading, s.Text)
	}
	return out
}
