package llm

import (
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/screen"
)

// FuzzCheckAnswer: whatever a model writes, the check never panics, and
// what it accepts has a citation in range and no mention or foreign link.
func FuzzCheckAnswer(f *testing.F) {
	for _, s := range []string{
		goodProjectorAnswer, "NOT_COVERED", "<!channel> [1]", "[1, 2] press Input",
		"Press Input [1] https://evil.example", "![x](y) [1]", "\xff[1]", "[999999999999]",
		"Press Input on the remote [1][1][1]", "press input on the projector remote [ 1 ]",
	} {
		f.Add(s)
	}
	sc, _ := screen.New(screen.Options{})
	refs := []reference{{
		src:  bot.Source{Title: "Projector shows No signal", Path: "p.md", URL: "https://kb.district.example/p"},
		text: "Press Input on the projector remote and choose the HDMI input.",
	}}
	f.Fuzz(func(t *testing.T, out string) {
		ans, nc, err := checkAnswer(out, refs, 900, sc)
		if err != nil || nc {
			return
		}
		if len(ans.cited) == 0 || ans.cited[0] != 0 || !strings.Contains(ans.text, "[1]") {
			t.Errorf("accepted %q with citations %v", out, ans.cited)
		}
		if mentionRe.MatchString(ans.text) || strings.Contains(ans.text, "evil") {
			t.Errorf("accepted %q", out)
		}
	})
}
