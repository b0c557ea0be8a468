package knowledge

import (
	"context"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/helpbot/helpbot/bot"
)

func sampleKB(t *testing.T) *Index {
	t.Helper()
	ix, probs := LoadDir("../kb")
	if len(probs) != 0 {
		t.Fatalf("sample KB problems: %v", probs)
	}
	return ix
}

func TestSampleKBRanking(t *testing.T) {
	ix := sampleKB(t)
	tests := []struct{ name, q, want string }{
		// A listed question, said (nearly) word for word, wins.
		{"listed question", "the projector isn't showing my laptop", "classroom/projector-no-signal.md"},
		{"listed question, no apostrophe", "the projector isnt showing my laptop", "classroom/projector-no-signal.md"},
		// Typos in rare words.
		{"typo deletion", "chromebok wont charge", "chromebooks/chromebook-wont-charge.md"},
		{"typo substitution", "projecter says no signal", "classroom/projector-no-signal.md"},
		{"typo swap", "paper jma in the copier", "printing/paper-jam.md"},
		// Built-in and KB synonyms (kb/synonyms.yaml).
		{"kb synonym elmo", "the elmo is blurry", "classroom/document-camera.md"},
		{"kb synonym 2fa", "set up 2fa", "accounts/mfa-setup.md"},
		{"kb synonym smartboard", "smartboard pen stopped writing", "classroom/panel-touch-not-working.md"},
		{"built-in synonym", "my lanyard microphone squeals", "classroom/teacher-microphone.md"},
		// "down" is not filler: the wifi being down is an outage.
		{"outage", "the wifi is down", "network/wifi-slow-or-dropping.md"},
		// "big screen" is the projector, not a file that is too big.
		{"built-in phrase", "how do I get my laptop on the big screen", "classroom/mirror-windows-laptop.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.q, SearchOptions{})
			if len(hits) == 0 || hits[0].Article.Path != tt.want {
				t.Errorf("Search(%q) = %v; want %s first", tt.q, paths(hits), tt.want)
			}
		})
	}
}

// Words teachers use and KBs don't ("kids", "tap") must not make the bot
// unsure of an answer it ranks right: it would decline and offer a tech.
func TestSampleKBAnswersInStaffWords(t *testing.T) {
	wantFirst(t, sampleKB(t), map[string]string{
		"my kids can't get on the wifi with their chromebooks": "network/which-wifi-network.md",
		"kids' chromebook keys are popping off":                "chromebooks/chromebook-keyboard-trackpad.md",
		"board won't respond when I tap it":                    "classroom/panel-touch-not-working.md",
	}, true)
}

func TestSpellerFindsOneEditNeighbours(t *testing.T) {
	sp := newSpeller(map[string]string{"chromebook": "chromebook", "projector": "projector", "printer": "printer", "print": "print"})
	tests := []struct {
		typo string
		want []string
	}{
		{"chromebok", []string{"chromebook"}},   // deletion
		{"chromebbook", []string{"chromebook"}}, // insertion
		{"projecter", []string{"projector"}},    // substitution
		{"porjector", []string{"projector"}},    // swap
		{"printr", []string{"print", "printer"}},
		{"zzzzzz", nil},
		{"prin", nil}, // too short to correct
	}
	for _, tt := range tests {
		var got []string
		sp.lookup(tt.typo, func(w string) { got = append(got, w) })
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("lookup(%q) = %v; want %v", tt.typo, got, tt.want)
		}
	}
}

func TestSynonymsFromKBFile(t *testing.T) {
	ix, probs := LoadFS(mapFS(map[string]string{
		"synonyms.yaml":  "groups:\n  - [promethean, interactive panel]\n",
		"a/panel.md":     "# Interactive panel touch not working\n\nRecalibrate the interactive panel.\n",
		"a/projector.md": "# Projector bulb\n\nReplace the lamp.\n",
	}))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	if hits := ix.Search("promethean touch broken", SearchOptions{}); len(hits) == 0 || hits[0].Article.Path != "a/panel.md" {
		t.Errorf("KB synonym: hits = %v; want a/panel.md", paths(hits))
	}
}

func TestAudienceSampleKB(t *testing.T) {
	ix := sampleKB(t)
	tech := map[string]bool{}
	for _, a := range ix.Articles() {
		if a.Audience == bot.AudienceTech {
			tech[a.Path] = true
		}
	}
	if len(tech) == 0 {
		t.Fatal("sample KB has no tech articles to test with")
	}
	qs := []string{"how do I re-image a chromebook", "panel firmware update steps", "push the testing kiosk app to chromebooks", "chromebook recovery usb developer mode"}
	a := NewAnswerer(NewLibrary(ix), AnswererOptions{})
	for _, q := range qs {
		for _, aud := range []bot.Audience{bot.AudienceStaff, "", "student"} {
			for _, h := range ix.Search(q, SearchOptions{K: 50, Audience: aud}) {
				if tech[h.Article.Path] {
					t.Errorf("Search(%q) as %q returned tech article %s", q, aud, h.Article.Path)
				}
			}
			ans, err := a.Answer(context.Background(), bot.Question{Text: q, Audience: aud})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range append(ans.Sources, ans.Related...) {
				if tech[s.Path] {
					t.Errorf("Answer(%q) as %q cited or related tech article %s", q, aud, s.Path)
				}
			}
		}
		ans, _ := a.Answer(context.Background(), bot.Question{Text: q, Audience: bot.AudienceTech})
		if got := append(ans.Sources, ans.Related...); len(got) == 0 || !tech[got[0].Path] {
			t.Errorf("Answer(%q) as tech = %+v; want a tech article first", q, ans)
		}
	}
}

func TestAnswerTextIsTheMatchingSection(t *testing.T) {
	a := NewAnswerer(NewLibrary(sampleKB(t)), AnswererOptions{})
	tests := []struct {
		q, wantStart string
		wantIntro    bool
	}{
		// A section heading says the question: that section, heading first.
		{"paper keeps jamming in the copier", "Paper keeps jamming\n1. ", false},
		// Three articles (Mac, Windows, Chromebook) have such a section; any will do.
		{"the board only shows my wallpaper", "The board shows only ", false},
		// A listed question: the article's start, intro and first steps.
		{"the projector isn't showing my laptop", `"No signal" means`, true},
	}
	for _, tt := range tests {
		ans, err := a.Answer(context.Background(), bot.Question{Text: tt.q})
		if err != nil || !ans.Confident {
			t.Fatalf("Answer(%q) = %+v, %v; want confident", tt.q, ans, err)
		}
		if !strings.HasPrefix(ans.Text, tt.wantStart) {
			t.Errorf("Answer(%q).Text = %q; want it to start %q", tt.q, ans.Text, tt.wantStart)
		}
		if len(ans.Text) > 700+len("\n…") {
			t.Errorf("Answer(%q).Text is %d bytes; want ≤ 700", tt.q, len(ans.Text))
		}
		if strings.HasSuffix(ans.Text, "…") {
			// Cut at a step: the line before "…" is whole.
			lines := strings.Split(ans.Text, "\n")
			if last := lines[len(lines)-2]; strings.HasPrefix(last, "   ") {
				t.Errorf("Answer(%q) cut inside a step: %q", tt.q, ans.Text)
			}
		}
		if s := ans.Sources[0]; s.Title == "" || s.Path == "" {
			t.Errorf("Answer(%q) source = %+v; want title and path", tt.q, s)
		}
	}
}

func TestTruncateAtStep(t *testing.T) {
	s := "Heading\n1. First step that is long\n   and wraps here.\n2. Second step.\n3. Third step."
	got := truncate(s, 60)
	if got != "Heading\n1. First step that is long\n   and wraps here.\n…" {
		t.Errorf("truncate = %q", got)
	}
}

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}
