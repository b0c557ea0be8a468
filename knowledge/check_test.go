package knowledge

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCheckCleanKB(t *testing.T) {
	fsys := fstest.MapFS{
		"a/one.md": {Data: []byte("---\ntitle: One\nkeywords: [x]\n---\nSee [two](../b/two.md#steps).\n")},
		"b/two.md": {Data: []byte("# Two\n\n## Steps\n\n1. Do it. See [one](/a/one.md) or [the web](https://example.org/x.md).\n")},
	}
	n, probs := checkErrors(fsys)
	if n != 2 || len(probs) != 0 {
		t.Errorf("Check = %d, %v; want 2 articles and no problems", n, probs)
	}
}

func TestCheckReportsProblems(t *testing.T) {
	fsys := fstest.MapFS{
		"a/no-title.md":  {Data: []byte("Text without any heading.\n")},
		"a/dup1.md":      {Data: []byte("# Printer help\n\nOne.\n")},
		"a/dup2.md":      {Data: []byte("\n# printer HELP\n\nTwo.\n")},
		"a/empty.md":     {Data: []byte("   \n\n")},
		"a/links.md":     {Data: []byte("# Links\n\nSee [missing](missing.md) and [ok](dup1.md).\n")},
		"a/html.md":      {Data: []byte("# HTML\n\n<!-- note -->\n\nText <b>bold</b>.\n\n<script>x()</script>\n")},
		"a/hidden.md":    {Data: []byte("# Hidden\n\nZero\u200bwidth.\n\nBidi \u202e here.\n\nTag \U000E0041.\n")},
		"a/keys.md":      {Data: []byte("---\ntitle: Keys\ntags: [a]\n---\nBody.\n")},
		"a/badyaml.md":   {Data: []byte("---\ntitle: [\n---\nBody.\n")},
		"a/bad-utf8.md":  {Data: []byte("# X\n\n\xc3\x28\n")},
		"synonyms.yaml":  {Data: []byte("{{{")},
		"a/fine.md":      {Data: []byte("# Fine\n\nAll good.\n")},
		"a/README.md":    {Data: []byte("<!-- not an article -->")},
		"a/unrelated.go": {Data: []byte("package x")},
	}
	n, probs := checkErrors(fsys)
	var lines []string
	for _, p := range probs {
		lines = append(lines, p.Error())
	}
	got := strings.Join(lines, "\n")
	want := []string{
		"a/bad-utf8.md:3: invalid UTF-8",
		"a/badyaml.md:2: front matter",
		"a/dup2.md:2: duplicate title \"printer HELP\" (also a/dup1.md)",
		"a/empty.md:1: empty article",
		"a/hidden.md:3: hidden character U+200B",
		"a/hidden.md:5: hidden character U+202E",
		"a/hidden.md:7: hidden character U+E0041",
		"a/html.md:3: HTML comment",
		"a/html.md:5: raw HTML <b>",
		"a/html.md:7: <script> in article",
		"a/keys.md:3: front matter: unknown key \"tags\"",
		"a/links.md:3: broken link: a/missing.md does not exist",
		"a/no-title.md:1: no title",
		"synonyms.yaml",
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("Check output lacks %q; got:\n%s", w, got)
		}
	}
	if strings.Contains(got, "dup1.md: duplicate") || strings.Contains(got, "fine.md") || strings.Contains(got, "README") {
		t.Errorf("Check reported a file that is fine:\n%s", got)
	}
	if n != 8 {
		t.Errorf("Check counted %d loadable articles; want 8", n)
	}
	for i := 1; i < len(probs); i++ {
		a, b := probs[i-1], probs[i]
		if a.Path > b.Path || a.Path == b.Path && a.Line > b.Line {
			t.Errorf("problems not sorted: %v before %v", a, b)
		}
	}
}

func TestCheckAdvice(t *testing.T) {
	steps := "## Steps\n\n1. Open the tray and remove the torn paper from the fuser area.\n2. Close every door firmly and print a test page from the copier panel.\n"
	fsys := fstest.MapFS{
		"a/jam.md":       {Data: []byte("# Clear a paper jam\n\n" + steps)},
		"a/jam-again.md": {Data: []byte("# Clearing paper jams\n\n" + steps)},
		"b/policy.md":    {Data: []byte("# Printing policy\n\nColour printing needs approval.\n")},
		"b/asked.md":     {Data: []byte("---\ntitle: Printing rules\nquestions: [can I print in colour]\n---\nColour needs approval.\n")},
	}
	n, probs := Check(fsys)
	if n != 4 {
		t.Fatalf("Check loaded %d articles; want 4", n)
	}
	var dup, statement bool
	for _, p := range probs {
		if !p.Advice {
			t.Errorf("unexpected problem %v", p)
			continue
		}
		switch {
		case p.Path == "a/jam.md" && strings.Contains(p.Message, "near-duplicate of a/jam-again.md"),
			p.Path == "a/jam-again.md" && strings.Contains(p.Message, "near-duplicate of a/jam.md"):
			dup = true
		case p.Path == "b/policy.md" && strings.Contains(p.Message, "questions:"):
			statement = true
		default:
			t.Errorf("unexpected advice %v", p)
		}
		if !strings.Contains(p.Error(), "warning: ") {
			t.Errorf("advice %q does not say it is a warning", p.Error())
		}
	}
	if !dup || !statement {
		t.Errorf("advice = %v; want a near-duplicate and a statement title", probs)
	}
}

// checkErrors is Check without the advice, for tests of what is broken.
func checkErrors(fsys fstest.MapFS) (int, []Problem) {
	n, all := Check(fsys)
	var probs []Problem
	for _, p := range all {
		if !p.Advice {
			probs = append(probs, p)
		}
	}
	return n, probs
}
