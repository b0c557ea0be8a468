package knowledge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The question sets in testdata name the articles that answer them; a
// renamed or deleted article would quietly turn a question into a miss.
// Each set must parse, and every article it expects must exist.
func TestQuestionSetsPointAtArticles(t *testing.T) {
	sample := sampleKB(t)
	var office *Index
	if root := evalRootOrEmpty(); root != "" {
		office, _ = LoadDir(filepath.Join(root, "kb", "office"))
	}
	files, _ := filepath.Glob("testdata/*questions*.jsonl")
	if len(files) < 5 {
		t.Fatalf("question sets found: %v", files)
	}
	for _, name := range files {
		ix := sample
		switch {
		case strings.HasPrefix(filepath.Base(name), "office-"):
			if office == nil {
				continue // shared/eval absent
			}
			ix = office
		case !strings.HasPrefix(filepath.Base(name), "sample-"):
			continue // the small test KB's own set
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		qs, err := ReadQuestions(f, name)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, q := range qs {
			for _, p := range q.Expect {
				if ix.Article(p) == nil {
					t.Errorf("%s: %q expects %s, which is not in the KB", name, q.Q, p)
				}
			}
		}
	}
}
