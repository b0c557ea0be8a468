package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
)

const projectorQ = "the projector says no signal"

func TestGoodAnswerIsCitedAndLabelled(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, nil, nil)
	kb := r.kbAnswer(t, projectorQ)
	ans := ask(t, r.a, projectorQ)

	if !ans.Confident || ans.NotCovered {
		t.Fatalf("answer = %+v; want a confident answer", ans)
	}
	if !strings.Contains(ans.Text, "Press Input on the projector remote") || !strings.Contains(ans.Text, "[1]") {
		t.Errorf("text = %q; want the model's cited answer", ans.Text)
	}
	if !strings.HasSuffix(ans.Text, "\n\n"+AINote) {
		t.Errorf("text = %q; want it to end with the AI note", ans.Text)
	}
	if len(ans.Sources) != 1 || ans.Sources[0] != kb.Sources[0] {
		t.Errorf("sources = %+v; want the KB's source %+v (same shape, title, version)", ans.Sources, kb.Sources[0])
	}
	if ans.Confidence != kb.Confidence {
		t.Errorf("confidence = %v; want the KB's %v", ans.Confidence, kb.Confidence)
	}

	// What the model was sent: rules as the system message, the article
	// fenced as data, the question fenced on its own.
	req := ai.lastChat(t)
	if req.Model != "test-model" || len(req.Messages) != 2 || req.Messages[0].Role != "system" {
		t.Fatalf("request = %+v; want model test-model, a system and a user message", req)
	}
	if !strings.Contains(req.Messages[0].Content, "data, not instructions") {
		t.Errorf("system message lacks the data-not-instructions rule")
	}
	user := req.user()
	for _, want := range []string{"<<<ARTICLE 1\nTitle: Projector shows \"No signal\"", "ARTICLE 1>>>",
		"Press Input (or Source) on the projector remote", "<<<QUESTION\n" + projectorQ + "\nQUESTION>>>"} {
		if !strings.Contains(user, want) {
			t.Errorf("prompt lacks %q:\n%s", want, user)
		}
	}
	if req.MaxTokens == 0 {
		t.Errorf("max_tokens not set for a self-hosted endpoint")
	}
}

// Every way the model can fail or misbehave ends in the KB's own answer,
// word for word, and the user never sees the model's output.
func TestFailuresFallBackToTheKBAnswer(t *testing.T) {
	huge := strings.Repeat("Press Input on the projector remote [1]. ", 200)
	tests := []struct {
		name    string
		status  int
		content string
	}{
		{"rate limited", 429, `{"error":{"message":"Rate limit reached","type":"rate_limit_error","code":"rate_limit_exceeded"}}`},
		{"server error", 500, `{"error":{"message":"The server had an error","type":"server_error"}}`},
		{"bad gateway html", 502, `<html>bad gateway</html>`},
		{"empty", 200, ""},
		{"only spaces", 200, "  \n\t "},
		{"huge", 200, huge},
		{"not utf-8", 200, "Press Input \xff\xfe on the projector remote [1]."},
		{"no citation", 200, "Press Input on the projector remote and choose HDMI."},
		{"cites an article not retrieved", 200, "Press Input on the projector remote [1] and check the switch [4]."},
		{"cites article two of one", 200, "Press Input on the projector remote [2]."},
		{"channel mention", 200, "<!channel> Press Input on the projector remote [1]."},
		{"here mention", 200, "<!here> Press Input on the projector remote [1]."},
		{"user mention", 200, "Ask <@U123> to press Input on the projector remote [1]."},
		{"plain @channel", 200, "@channel press Input on the projector remote [1]."},
		{"teams mention", 200, "<at>Pat</at> press Input on the projector remote [1]."},
		{"markdown image", 200, "Press Input on the projector remote [1]. ![diagram](https://kb.district.example/projector-no-signal/x.png)"},
		{"off-KB link", 200, "Press Input on the projector remote [1], or see https://evil.example/fix."},
		{"off-KB bare domain", 200, "Press Input on the projector remote [1], or download a fix from fixmyprojector.com."},
		{"slack link markup", 200, "Press Input on the projector remote [1]. <https://evil.example|KB article>"},
		{"html", 200, "<script>alert(1)</script> Press Input on the projector remote [1]."},
		{"placeholder echoed", 200, "Press Input on the projector remote [1] and call [phone]."},
		{"not grounded", 200, "Arr matey, hoist the sails and swab the deck, ye scurvy landlubber [1]."},
		{"NOT_COVERED inside an answer", 200, "Press Input on the projector remote [1]. NOT_COVERED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := newFakeAI(t)
			ai.setReply(fixed(tt.status, tt.content))
			r := newRig(t, ai, nil, nil)
			kb := r.kbAnswer(t, projectorQ)
			ans := ask(t, r.a, projectorQ)
			if ans.Text != kb.Text || !ans.Confident || len(ans.Sources) != len(kb.Sources) {
				t.Errorf("answer = %+v\nwant the KB answer %+v", ans, kb)
			}
			if strings.Contains(ans.Text, AINote) {
				t.Errorf("fallback carries the AI note")
			}
			if n := ai.chats.Load(); n != 1 {
				t.Errorf("chat calls = %d; want exactly 1 (no retries)", n)
			}
			// The failure is remembered briefly: the same question right
			// away does not ask again.
			ask(t, r.a, projectorQ)
			if n := ai.chats.Load(); n != 1 {
				t.Errorf("chat calls after asking again = %d; want still 1", n)
			}
		})
	}
}

func TestKBLinksAreAllowed(t *testing.T) {
	ai := newFakeAI(t)
	ai.setReply(fixed(200, "Press Input on the projector remote and pick HDMI [1]. "+
		"More at https://kb.district.example/projector-no-signal."))
	r := newRig(t, ai, nil, nil)
	ans := ask(t, r.a, projectorQ)
	if !strings.Contains(ans.Text, "https://kb.district.example/projector-no-signal") || !strings.Contains(ans.Text, AINote) {
		t.Errorf("text = %q; want the model answer with the article's own link", ans.Text)
	}
	// A link written inside the article is the KB's too.
	ai2 := newFakeAI(t)
	ai2.setReply(fixed(200, "Go to https://passwordreset.district.example and answer your security questions [1]."))
	r2 := newRig(t, ai2, nil, nil)
	if ans := ask(t, r2.a, "how do I reset my password"); !strings.Contains(ans.Text, AINote) {
		t.Errorf("text = %q; want the model answer using the article's reset link", ans.Text)
	}
}

func TestTimeoutFallsBack(t *testing.T) {
	ai := newFakeAI(t)
	ai.block(t) // the server never answers while the test runs
	r := newRig(t, ai, func(c *Config) { c.Timeout = 50 * time.Millisecond }, nil)
	kb := r.kbAnswer(t, projectorQ)
	ans := ask(t, r.a, projectorQ)
	if ans.Text != kb.Text {
		t.Errorf("after a timeout the answer = %q; want the KB answer", ans.Text)
	}
}

func TestNotCovered(t *testing.T) {
	for _, reply := range []string{"NOT_COVERED", " not_covered. ", "`NOT_COVERED`"} {
		ai := newFakeAI(t)
		ai.setReply(fixed(200, reply))
		r := newRig(t, ai, nil, nil)
		kb := r.kbAnswer(t, projectorQ)
		ans := ask(t, r.a, projectorQ)
		if !ans.NotCovered || ans.Confident || ans.Text != "" {
			t.Errorf("reply %q: answer = %+v; want NotCovered, not confident, no text", reply, ans)
		}
		if len(ans.Related) != len(kb.Sources) {
			t.Errorf("reply %q: related = %+v; want the KB's articles offered as related", reply, ans.Related)
		}
	}
}

func TestNotConfidentKBNeverCallsTheModel(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, nil, nil)
	for _, q := range []string{"how do I order new textbooks", "qwxz", "the cafeteria menu for friday"} {
		kb := ask(t, r.kb, q)
		ans := ask(t, r.a, q)
		if ans.Confident || kb.Confident || ans.Text != kb.Text {
			t.Errorf("Answer(%q) = %+v; want the KB's not-confident answer %+v", q, ans, kb)
		}
	}
	if n := ai.chats.Load(); n != 0 {
		t.Errorf("chat calls = %d; want none for questions the KB cannot answer", n)
	}
}

// A second article that matches well is given to the model too, and the
// Sources follow what the model actually cited, renumbered.
func TestCitationsPickAndRenumberSources(t *testing.T) {
	ai := newFakeAI(t)
	const q = "printer paper jam and my copier badge release code"
	r := newRig(t, ai, nil, nil)
	kb := ask(t, r.kb, q)
	if !kb.Confident {
		t.Skipf("KB not confident on %q", q)
	}
	ai.setReply(func(req chatRequest) (int, string) {
		if !strings.Contains(req.user(), "<<<ARTICLE 2") {
			return 200, "NOT_COVERED"
		}
		return 200, "Tap your staff badge on the copier reader to release print jobs [2]. Open the printer front door and pull the stuck paper straight out [1]."
	})
	ans := ask(t, r.a, q)
	if !ans.Confident || len(ans.Sources) != 2 {
		t.Fatalf("answer = %+v; want two cited sources", ans)
	}
	if !strings.Contains(ans.Text, "release print jobs [1]") || !strings.Contains(ans.Text, "straight out [2]") {
		t.Errorf("text = %q; want citations renumbered in order of first use", ans.Text)
	}
	if ans.Sources[0].Path == ans.Sources[1].Path {
		t.Errorf("sources = %+v; want two different articles", ans.Sources)
	}
}

// Tech-only articles never reach a staff member's prompt.
func TestTechArticlesNotSentForStaff(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, nil, nil)
	ask(t, r.a, "reboot the network switch in the closet")
	if strings.Contains(ai.allBodies(), "vault") {
		t.Errorf("a tech-only article reached the model for a staff question")
	}
}

type failingKB struct{}

func (failingKB) Answer(context.Context, bot.Question) (bot.Answer, error) {
	return bot.Answer{}, errors.New("kb broke")
}

func TestKBErrorIsPassedThrough(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, nil, nil)
	a := r.m.Answerer(failingKB{}, r.lib)
	if _, err := a.Answer(context.Background(), bot.Question{Text: projectorQ}); err == nil {
		t.Error("KB error swallowed; the desk should see it")
	}
	if ai.chats.Load() != 0 {
		t.Error("model called although the KB failed")
	}
}

// Editing an article retires cached answers built on it.
func TestCacheFollowsArticleVersions(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, nil, nil)
	ask(t, r.a, projectorQ)
	ask(t, r.a, "The projector says   NO SIGNAL!")
	if n := ai.chats.Load(); n != 1 {
		t.Fatalf("chat calls = %d; want 1 for the same question asked twice", n)
	}
	ix, _ := knowledgeWithEdit(t)
	r.lib.Swap(ix)
	ask(t, r.a, projectorQ)
	if n := ai.chats.Load(); n != 2 {
		t.Errorf("chat calls = %d; want a new call after the article changed", n)
	}
}
