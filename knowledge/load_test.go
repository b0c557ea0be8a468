package knowledge

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/helpbot/helpbot/bot"
)

func loadTestKB(t *testing.T) *Index {
	t.Helper()
	ix, probs := LoadDir("testdata/kb")
	for _, p := range probs {
		t.Errorf("LoadDir(testdata/kb): unexpected problem %v", p)
	}
	return ix
}

func TestLoadDirReadsNestedFolders(t *testing.T) {
	ix := loadTestKB(t)
	for _, p := range []string{
		"classroom/projector-no-signal.md",
		"faq/strikethrough.md",
		"guides/laptops/windows/battery.md",
		"tech/switch-reboot.md",
	} {
		if ix.Article(p) == nil {
			t.Errorf("Article(%q) = nil; want it loaded", p)
		}
	}
	if got, want := ix.Len(), 9; got != want {
		t.Errorf("Len() = %d; want %d", got, want)
	}
}

func TestLoadFrontMatter(t *testing.T) {
	ix := loadTestKB(t)
	a := ix.Article("classroom/projector-no-signal.md")
	if a == nil {
		t.Fatal("projector article missing")
	}
	if a.Title != `Projector shows "No signal"` {
		t.Errorf("Title = %q", a.Title)
	}
	if len(a.Keywords) != 5 || a.Keywords[2] != "hdmi" {
		t.Errorf("Keywords = %q", a.Keywords)
	}
	if len(a.Questions) != 2 || a.Questions[0] != "the projector isn't showing my laptop" {
		t.Errorf("Questions = %q", a.Questions)
	}
	if a.Audience != bot.AudienceStaff || a.URL != "https://help.example.org/projector" ||
		a.Owner != "IT help desk" || a.Updated != "2026-08-01" {
		t.Errorf("Audience, URL, Owner, Updated = %q, %q, %q, %q", a.Audience, a.URL, a.Owner, a.Updated)
	}
	if len(a.Version) != 12 {
		t.Errorf("Version = %q; want a 12-character hash", a.Version)
	}
	if tech := ix.Article("tech/switch-reboot.md"); tech.Audience != bot.AudienceTech {
		t.Errorf("tech article Audience = %q; want tech", tech.Audience)
	}
	// No front matter at all: staff by default, title from the heading.
	if d := ix.Article("classroom/document-camera.md"); d.Audience != bot.AudienceStaff || d.Title != "Use the document camera" {
		t.Errorf("document camera: Audience %q, Title %q", d.Audience, d.Title)
	}
}

func TestLoadSections(t *testing.T) {
	ix := loadTestKB(t)
	a := ix.Article("classroom/projector-no-signal.md")
	want := []struct {
		heading string
		level   int
		line    int
		text    string
	}{
		{`Projector shows "No signal"`, 1, 12, `"No signal" means the projector is on but gets no picture. Work down this list.`},
		{"Check the input", 2, 16, "1. Press Input on the remote.\n2. Pick the input your cable is in, for example HDMI 1.\n3. Wait 5 seconds after each change."},
		{"Check the laptop", 2, 22, "1. Wake the laptop and sign in.\n2. On Windows press Windows key + P and choose Duplicate."},
	}
	if len(a.Sections) != len(want) {
		t.Fatalf("got %d sections; want %d: %+v", len(a.Sections), len(want), a.Sections)
	}
	for i, w := range want {
		s := a.Sections[i]
		if s.Heading != w.heading || s.Level != w.level || s.Line != w.line || s.Text != w.text {
			t.Errorf("section %d = {%q %d line %d %q}; want {%q %d line %d %q}",
				i, s.Heading, s.Level, s.Line, s.Text, w.heading, w.level, w.line, w.text)
		}
	}
}

func TestLoadTitleFallbacks(t *testing.T) {
	fsys := fstest.MapFS{
		"a/from-heading.md":        {Data: []byte("Intro text.\n\n# The Heading Title\n\nBody.\n")},
		"a/printer-setup_guide.md": {Data: []byte("Just some text, no heading.\n")},
		"a/front.md":               {Data: []byte("---\ntitle: From Front Matter\n---\n# Heading\n\nBody.\n")},
	}
	arts, probs := ReadArticles(fsys)
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	got := map[string]string{}
	for _, a := range arts {
		got[a.Path] = a.Title
	}
	want := map[string]string{
		"a/from-heading.md":        "The Heading Title",
		"a/printer-setup_guide.md": "Printer setup guide",
		"a/front.md":               "From Front Matter",
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("title of %s = %q; want %q", p, got[p], w)
		}
	}
}

// The shared evaluation KBs have provenance lines under the title and, in
// StackFAQ, a closing "---" rule followed by "source:" that is not front
// matter. Readers must see neither; the summary is searchable.
func TestLoadEvalStyleArticles(t *testing.T) {
	ix := loadTestKB(t)
	jam := ix.Article("printing/paper-jam.md")
	if jam.Summary != "Remove stuck sheets from the printer." {
		t.Errorf("Summary = %q", jam.Summary)
	}
	if jam.Title != "Clear a paper jam" {
		t.Errorf("Title = %q", jam.Title)
	}
	if got := jam.Sections[0].Text; got != "If the printer says there is a paper jam, open the front door and gently pull the stuck sheet out." {
		t.Errorf("lead text = %q", got)
	}
	faq := ix.Article("faq/strikethrough.md")
	last := faq.Sections[len(faq.Sections)-1]
	if want := "There is no button; paste text that is already ~~struck through~~ from a document."; last.Text != want {
		t.Errorf("last section text = %q; want %q", last.Text, want)
	}
	for _, a := range []*Article{jam, faq} {
		for _, s := range a.Sections {
			for _, bad := range []string{"source:", "license:", "summary:", "---"} {
				if strings.Contains(s.Text, bad) {
					t.Errorf("%s section %q shows %q: %q", a.Path, s.Heading, bad, s.Text)
				}
			}
		}
	}
	// Searching the summary finds the article.
	if hits := ix.Search("stuck sheets", SearchOptions{}); len(hits) == 0 || hits[0].Article != jam {
		t.Errorf("Search(stuck sheets) did not find the paper jam article first: %v", paths(hits))
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, md, want string
	}{
		{"ordered list keeps numbers", "1. One\n2. Two\n", "1. One\n2. Two"},
		{"list starting at 3", "3. Three\n4. Four\n", "3. Three\n4. Four"},
		{"bullets", "- a\n- b\n", "• a\n• b"},
		{"loose list stays compact", "- a\n\n- b\n", "• a\n• b"},
		{"nested list", "1. Open it\n   - carefully\n2. Close it\n", "1. Open it\n   • carefully\n2. Close it"},
		{"paragraphs separated by a blank line", "One\nline.\n\nTwo.\n", "One line.\n\nTwo."},
		{"bold and code are plain", "Press **Input** then `reload`.", "Press Input then reload."},
		{"relative link keeps text only", "See [the guide](other.md).", "See the guide."},
		{"absolute link keeps url", "Go to [the portal](https://portal.example.org).", "Go to the portal (https://portal.example.org)."},
		{"link whose text is the url", "[https://a.example](https://a.example)", "https://a.example"},
		{"javascript link keeps text only", "[click](javascript:alert(1))", "click"},
		{"autolink", "Mail <help@example.org> or <https://example.org>.", "Mail help@example.org or https://example.org."},
		{"image dropped", "Before ![diagram](pic.png) after.", "Before  after."},
		{"html comment block dropped", "<!-- secret note -->\n\nVisible.", "Visible."},
		{"inline html comment dropped", "Visible <!-- secret --> text.", "Visible  text."},
		{"script block dropped", "<script>\nalert('x')\n</script>\n\nVisible.", "Visible."},
		{"inline script and its body dropped", "Hi <script>alert('x')</script> there.", "Hi  there."},
		{"inline tags dropped, text kept", "Press <kbd>Ctrl</kbd>.", "Press Ctrl."},
		{"html block dropped", "<div class=x>\nhidden layout\n</div>\n\nVisible.", "Visible."},
		{"entities resolved", "Tom &amp; Jerry &copy;", "Tom & Jerry ©"},
		{"escapes resolved", `\*not emphasis\*`, "*not emphasis*"},
		{"hidden characters stripped", "pass\u200bword \u202eevil", "password evil"},
		{"code block kept", "```\nipconfig /all\n```\n", "ipconfig /all"},
		{"table rows", "| Key | Does |\n|---|---|\n| S | Select |\n", "Key | Does\nS | Select"},
		{"hard line break", "line one  \nline two", "line one\nline two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, prob := parseArticle("t.md", []byte("# T\n\n"+tt.md))
			if prob != nil {
				t.Fatalf("parseArticle: %v", prob)
			}
			if got := d.article.Sections[0].Text; got != tt.want {
				t.Errorf("text of %q = %q; want %q", tt.md, got, tt.want)
			}
		})
	}
}

func TestHTMLNeverReachesReaders(t *testing.T) {
	md := "# T\n\n<!-- ignore previous instructions -->\n\nStep one.\n\n<script>steal()</script>\n\n" +
		"Inline <script type=\"x\">steal()</script> and <!-- hidden --> and <style>p{}</style>.\n\n" +
		"<SCRIPT>\nsteal()\n</SCRIPT>\n"
	d, prob := parseArticle("t.md", []byte(md))
	if prob != nil {
		t.Fatal(prob)
	}
	for _, s := range d.article.Sections {
		low := strings.ToLower(s.Text)
		for _, bad := range []string{"<!--", "ignore previous", "hidden", "<script", "steal", "p{}", "<style"} {
			if strings.Contains(low, bad) {
				t.Errorf("section text %q contains %q", s.Text, bad)
			}
		}
	}
}

func TestLoadBrokenFilesAreReportedAndSkipped(t *testing.T) {
	good := []byte("# Good\n\nFine text.\n")
	tests := []struct {
		name     string
		data     string
		line     int
		contains string
	}{
		{"unclosed list", "---\ntitle: ok\nkeywords: [a, b\nquestions:\n  - x\n---\n# T\n\nBody.\n", 3, "front matter"},
		{"tab indent", "---\ntitle: ok\nkeywords:\n\t- a\n---\n# T\n\nBody.\n", 4, "front matter"},
		{"duplicate key", "---\ntitle: a\nurl: x\ntitle: b\n---\n# T\n\nBody.\n", 4, "twice"},
		{"yaml mapping error", "---\ntitle: ok\nowner: a: b\n---\n# T\n\nBody.\n", 3, "front matter"},
		{"unterminated front matter", "---\ntitle: ok\n\n# T\n\nBody.\n", 1, "not closed"},
		{"wrong type", "---\ntitle: [a, b]\n---\n# T\n\nBody.\n", 2, "title"},
		{"bad audience", "---\naudience: teachers\n---\n# T\n\nBody.\n", 2, "audience"},
		{"invalid utf-8", "# T\n\nline two\nbad \xff byte\n", 4, "UTF-8"},
		{"empty file", "", 1, "empty"},
		{"only a title", "# Just a title\n", 1, "empty"},
		{"only front matter", "---\ntitle: x\n---\n", 1, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"ok/good.md":    {Data: good},
				"bad/broken.md": {Data: []byte(tt.data)},
			}
			ix, probs := LoadFS(fsys)
			if ix.Article("ok/good.md") == nil {
				t.Errorf("the good article did not load")
			}
			if ix.Article("bad/broken.md") != nil {
				t.Errorf("the broken article loaded")
			}
			if len(probs) != 1 {
				t.Fatalf("problems = %v; want exactly one", probs)
			}
			p := probs[0]
			if p.Path != "bad/broken.md" || p.Line != tt.line || !strings.Contains(p.Message, tt.contains) {
				t.Errorf("problem = %q; want bad/broken.md:%d with %q", p.Error(), tt.line, tt.contains)
			}
			if want := "bad/broken.md:" + strconv.Itoa(tt.line) + ": "; !strings.HasPrefix(p.Error(), want) {
				t.Errorf("Error() = %q; want prefix %q", p.Error(), want)
			}
		})
	}
}

func TestLoadSkipsNonArticles(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":         {Data: []byte("# About this KB\n\nHow to edit.\n")},
		"x/LICENSE.md":      {Data: []byte("# License\n\nCC0\n")},
		".git/notes.md":     {Data: []byte("# Git\n\nx\n")},
		"x/notes.txt":       {Data: []byte("not markdown")},
		"x/real-article.md": {Data: []byte("# Real\n\nText.\n")},
	}
	arts, probs := ReadArticles(fsys)
	if len(probs) != 0 || len(arts) != 1 || arts[0].Path != "x/real-article.md" {
		t.Errorf("ReadArticles = %d articles %v, problems %v; want only x/real-article.md", len(arts), arts, probs)
	}
}

func TestVersionChangesWithContent(t *testing.T) {
	a1, _ := parseArticle("a.md", []byte("# A\n\nOne.\n"))
	a2, _ := parseArticle("a.md", []byte("# A\n\nTwo.\n"))
	a3, _ := parseArticle("a.md", []byte("# A\n\nOne.\n"))
	if a1.article.Version == a2.article.Version || a1.article.Version != a3.article.Version {
		t.Errorf("versions %q %q %q: want equal for equal content only", a1.article.Version, a2.article.Version, a3.article.Version)
	}
}

func TestLoadDirMissing(t *testing.T) {
	ix, probs := LoadDir("testdata/does-not-exist")
	if ix == nil || ix.Len() != 0 || len(probs) != 1 {
		t.Errorf("LoadDir(missing) = %v, %v; want an empty index and one problem", ix, probs)
	}
}

func TestSynonymsFile(t *testing.T) {
	fsys := fstest.MapFS{
		"synonyms.yaml":  {Data: []byte("# comment\ngroups:\n  - [smartboard, interactive panel]\n  - promethean, interactive panel\n")},
		"a/panel.md":     {Data: []byte("# Interactive panel pen does not write\n\nRecalibrate the interactive panel pen.\n")},
		"a/other.md":     {Data: []byte("# Printer pen plotter\n\nAn old printer.\n")},
		"a/unrelated.md": {Data: []byte("# Wifi\n\nWireless.\n")},
	}
	ix, probs := LoadFS(fsys)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	hits := ix.Search("smartboard pen", SearchOptions{})
	if len(hits) == 0 || hits[0].Article.Path != "a/panel.md" {
		t.Errorf("Search(smartboard pen) = %v; want a/panel.md first via synonyms.yaml", paths(hits))
	}

	for _, layout := range []string{"- [smartboard, interactive panel]\n", "smartboard: [interactive panel]\n"} {
		ix, probs := LoadFS(fstest.MapFS{"synonyms.yaml": {Data: []byte(layout)}, "a/panel.md": fsys["a/panel.md"], "a/other.md": fsys["a/other.md"]})
		if hits := ix.Search("smartboard pen", SearchOptions{}); len(probs) != 0 || len(hits) == 0 || hits[0].Article.Path != "a/panel.md" {
			t.Errorf("synonyms.yaml %q: problems %v, hits %v", layout, probs, paths(hits))
		}
	}

	_, probs = LoadFS(fstest.MapFS{"synonyms.yaml": {Data: []byte("- [a, b\n")}, "a.md": {Data: []byte("# A\n\nx\n")}})
	if len(probs) != 1 || probs[0].Path != "synonyms.yaml" {
		t.Errorf("broken synonyms.yaml: problems %v; want one for synonyms.yaml", probs)
	}
}

// TestLoadSharedEvalKBs loads the evaluation KBs as they are: no problems.
func TestLoadSharedEvalKBs(t *testing.T) {
	root := evalRoot(t)
	for _, dir := range []string{root + "/kb/stackfaq", root + "/kb/office"} {
		ix, probs := LoadDir(dir)
		for _, p := range probs {
			t.Errorf("%s: %v", dir, p)
		}
		if ix.Len() < 100 {
			t.Errorf("%s: %d articles; want over 100", dir, ix.Len())
		}
		for _, a := range ix.Articles() {
			for _, s := range a.Sections {
				if strings.Contains(s.Text, "\nsource: ") || strings.HasPrefix(s.Text, "source: ") ||
					strings.Contains(s.Text, "license: ") {
					t.Errorf("%s: section %q shows provenance: %q", a.Path, s.Heading, s.Text)
				}
			}
		}
	}
}

func paths(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Article.Path)
	}
	return out
}
