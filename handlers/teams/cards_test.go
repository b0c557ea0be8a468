package teams

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

func cardJSON(t *testing.T, c card) map[string]any {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

// Nothing a user, the KB or an LLM writes becomes live markup in a card:
// no disguised links, no mentions, no formatting.
func TestCardsEscapeText(t *testing.T) {
	hostile := "click [district.org](https://evil.example/login) **now** <at>Everyone</at> _x_ `code` ![img](https://evil.example/p.png)"
	r := bot.Reply{Kind: bot.KindAnswer, Text: hostile + "\nsecond line",
		Sources: []bot.Source{{Title: "Reset [your](https://evil.example) password", URL: "javascript:alert(1)"}}}
	e := bot.Escalation{ID: "IT-1", Status: bot.StatusOpen, Summary: hostile, Location: "<at>Room</at> 5",
		Requester: bot.Person{ID: "x", Name: "**Boss** [admin](https://evil.example)"}, CreatedAt: time.Now(),
		Transcript: []bot.Turn{{Who: "requester", Text: hostile}, {Who: "requester", Report: "IT-2", From: hostile, Text: "x"}}}
	for name, c := range map[string]card{"reply": replyCard(r, ""), "case": caseCard(e, time.Now(), "x")} {
		m := cardJSON(t, c)
		text := teamstest.CardText(m)
		for _, raw := range []string{"[district.org]", "](https://", "**", "<at>", "![", "`code`", "_x_"} {
			if live(text, raw) {
				t.Errorf("%s card has live markup %q:\n%s", name, raw, text)
			}
		}
		if !strings.Contains(text, `\[district.org\](https://evil.example/login)`) {
			t.Errorf("%s card lost the user's text instead of escaping it:\n%s", name, text)
		}
		for _, a := range teamstest.CardActions(m) {
			if strings.HasPrefix(a, "Action.OpenUrl:Open article") {
				t.Errorf("%s card offers a javascript: link as an article", name)
			}
		}
	}
	// One TextBlock per line: line breaks survive whatever the client does
	// with single newlines.
	m := cardJSON(t, replyCard(r, ""))
	if body := m["body"].([]any); body[1].(map[string]any)["text"] != "second line" {
		t.Errorf("second block = %v; want the second line on its own", body[1])
	}
}

func TestArticleLinksOnlyHTTPS(t *testing.T) {
	for in, want := range map[string]string{
		"https://kb.district.org/printing/jam": "https://kb.district.org/printing/jam",
		"http://kb.district.org/x":             "",
		"javascript:alert(1)":                  "",
		"/printing/jam":                        "",
		"https://user:pw@kb.district.org/":     "",
	} {
		if got := articleURL(in); got != want {
			t.Errorf("articleURL(%q) = %q; want %q", in, got, want)
		}
	}
}

// After a press the card shows what happened and offers nothing stale.
func TestStatusReplacesButtons(t *testing.T) {
	r := bot.Reply{Kind: bot.KindAnswer, Text: "Open the tray.", Sources: []bot.Source{{Title: "Clear a paper jam", URL: "https://kb.example/jam"}},
		Choices: []bot.Choice{{Action: bot.ActionSolved, Label: "That fixed it"}, {Action: bot.ActionEscalate, Label: "Get a tech"}}}
	before := cardJSON(t, replyCard(r, ""))
	if a := teamstest.CardActions(before); len(a) != 3 {
		t.Fatalf("fresh answer actions %v; want two buttons and the article link", a)
	}
	after := cardJSON(t, replyCard(r, "✅ Pat said this fixed it."))
	if a := teamstest.CardActions(after); len(a) != 0 {
		t.Fatalf("answered card actions %v; want none", a)
	}
	text := teamstest.CardText(after)
	if !strings.Contains(text, "Open the tray.") || !strings.Contains(text, "Pat said this fixed it") {
		t.Fatalf("answered card:\n%s", text)
	}
}

func TestCaseCardFollowsStatus(t *testing.T) {
	base := bot.Escalation{ID: "IT-9", Requester: bot.Person{ID: "a", Name: "Pat"}, Claimer: bot.Person{ID: "b", Name: "Alex"}, Summary: "jam", CreatedAt: time.Now()}
	tests := []struct {
		status  bot.Status
		verdict string
		actions string
		line    string
	}{
		{bot.StatusOpen, "", "Action.Execute:Claim", "Waiting for a tech"},
		{bot.StatusClaimed, "", "Action.Execute:Resolve,Action.Execute:Release,Action.OpenUrl:Chat with Pat", "Claimed by Alex"},
		{bot.StatusResolved, bot.VerdictFixed, "", "Resolved by Alex · requester confirmed fixed"},
		{bot.StatusCancelled, "", "", "Cancelled by the requester"},
		{bot.StatusOpen, bot.VerdictNotFixed, "Action.Execute:Claim", "Reopened"},
	}
	for _, tt := range tests {
		e := base
		e.Status, e.Satisfaction = tt.status, tt.verdict
		m := cardJSON(t, caseCard(e, time.Now(), "pat@district.org"))
		if got := strings.Join(teamstest.CardActions(m), ","); got != tt.actions {
			t.Errorf("%s card actions %q; want %q", tt.status, got, tt.actions)
		}
		if !strings.Contains(teamstest.CardText(m), tt.line) {
			t.Errorf("%s card lacks %q", tt.status, tt.line)
		}
		if m["version"] != "1.4" {
			t.Errorf("card version %v; want 1.4 (Action.Execute)", m["version"])
		}
	}
}

// live reports whether token occurs in text without a backslash before it.
func live(text, token string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], token)
		if j < 0 {
			return false
		}
		if i+j == 0 || text[i+j-1] != '\\' {
			return true
		}
		i += j + 1
	}
}
