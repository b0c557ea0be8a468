package llm

import (
	"regexp"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/screen"
)

// foreignHost finds "evil" used as a host name a chat client would
// link ("evil.example", "evil.com",
// "www.x"), not as a word at the end of a sentence.
// A scheme link ("ab://y", two letters or more, as real schemes have)
// counts whatever letters precede it.
var foreignHost = regexp.MustCompile(`evil\.(example|com|net|org|io)\b|www\.[a-z0-9]|[a-z][a-z0-9+.\-]+://[^\s<>()\[\]"'|]`)

// FuzzCheckAnswer: whatever a model writes, the check never panics, and
// what it accepts has a citation in range and no mention or foreign link.
func FuzzCheckAnswer(f *testing.F) {
	for _, s := range []string{
		goodProjectorAnswer, "NOT_COVERED", "<!channel> [1]", "[1, 2] press Input",
		"Press Input [1] https://evil.example", "![x](y) [1]", "\xff[1]", "[999999999999]",
		"Press Input on the remote [1][1][1]", "press input on the projector remote [ 1 ]",
		"00 000 000 00 Input [1]00evil0", "Input [1] evil.example/x", "Input [1] 0http://x", "Input [1] https://kb.district.example/p",
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
		// "evil" as a word is harmless; a link to it is not. The only
		// link an accepted answer may carry is the cited article's own.
		text := strings.ReplaceAll(strings.ToLower(ans.text), "https://kb.district.example/p", "")
		if mentionRe.MatchString(ans.text) || foreignHost.MatchString(text) {
			t.Errorf("accepted %q", out)
		}
	})
}
