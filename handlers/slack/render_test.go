package slack

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

// visible is what Slack would read from rendered blocks.
func visible(t *testing.T, m message) string {
	t.Helper()
	b, err := json.Marshal(m.blocks)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			sb.WriteString(x + "\n")
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if k != "type" && k != "block_id" && k != "action_id" && k != "style" {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return sb.String()
}

// Text from users, the KB or an LLM never becomes a mention or a disguised
// link, in any part of a reply or card.
func TestRenderEscapesUntrustedText(t *testing.T) {
	evil := "<!channel> <!here> <@U0ADMIN> <https://evil.example|district.org> ![img](https://evil.example/x.png) & more"
	src := bot.Source{Title: "Reset <!everyone> | your password", URL: "https://kb.district.org/a?b=1&c=2"}
	e := bot.Escalation{ID: "IT-1001", Status: bot.StatusClaimed, Summary: evil, Location: evil, Device: evil,
		Requester: bot.Person{ID: "U1", Name: "<@U0ADMIN>"}, Claimer: bot.Person{ID: "U2", Name: "<!channel>"},
		Transcript: []bot.Turn{{Who: "requester", Text: evil}, {Who: "bot", Text: evil}, {Who: "requester", Report: "IT-1002", From: evil, Text: "x"}},
		Articles:   []bot.Source{src}, CreatedAt: time.Unix(1700000000, 0)}
	msgs := map[string]message{
		"answer":  renderReply(bot.Reply{Kind: bot.KindAnswer, Text: evil, Sources: []bot.Source{src}, Related: []bot.Source{src}}),
		"card":    renderCard(e),
		"handoff": renderHandOff(e),
		"status":  {blocks: withStatus(slack.Blocks{}, "✅ "+evil+" said this fixed it.")},
	}
	for name, m := range msgs {
		got := visible(t, m) + m.fallback
		for _, live := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0ADMIN>", "<https://evil.example"} {
			if strings.Contains(got, live) {
				t.Errorf("%s: live %q in\n%s", name, live, got)
			}
		}
		if !strings.Contains(got, "&lt;!channel&gt;") {
			t.Errorf("%s: the escaped text is missing:\n%s", name, got)
		}
	}
	// The KB article's own link stays a link, with & escaped and the
	// title's | unable to split it.
	if got := visible(t, msgs["answer"]); !strings.Contains(got, "<https://kb.district.org/a?b=1&amp;c=2|Reset &lt;!everyone&gt; ¦ your password>") {
		t.Errorf("source link wrong:\n%s", got)
	}
	// The hand-off names requester and tech by id, the only mentions the
	// bot ever makes.
	if got := visible(t, msgs["handoff"]); !strings.Contains(got, "<@U2>") || !strings.Contains(got, "<@U1>") {
		t.Errorf("hand-off lacks the participants' mentions:\n%s", got)
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://kb.district.org/printing", "https://kb.district.org/printing"},
		{"http://intranet/a?x=1&y=2", "http://intranet/a?x=1&amp;y=2"},
		{"javascript:alert(1)", ""},
		{"slack://channel?id=C1", ""},
		{"https://evil.example|district.org", ""},
		{"https://a.example/<x>", ""},
		{"https://user:pw@a.example/", ""},
		{"/relative/path", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := safeURL(tt.in); got != tt.want {
			t.Errorf("safeURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// Long text is cut to Slack's limits without breaking an entity or a rune.
func TestRenderRespectsLimits(t *testing.T) {
	long := strings.Repeat("é<&>", 2000)
	m := renderReply(bot.Reply{Kind: bot.KindAnswer, Text: long})
	b, _ := json.Marshal(m.blocks)
	var blocks []struct {
		Text struct{ Text string } `json:"text"`
	}
	json.Unmarshal(b, &blocks)
	got := blocks[0].Text.Text
	if len(got) > maxSection || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Fatalf("section text %d bytes, valid=%v", len(got), utf8.ValidString(got))
	}
	if body := strings.TrimSuffix(got, "…"); regexp.MustCompile(`&[a-z]*$`).MatchString(body) {
		t.Errorf("cut inside an entity: %q", body[len(body)-10:])
	}
	card := renderCard(bot.Escalation{ID: "IT-1", Status: bot.StatusOpen, Summary: long, Location: long,
		Transcript: []bot.Turn{{Who: "requester", Text: long}, {Who: "bot", Text: long}, {Who: "requester", Text: long}}})
	cb, _ := json.Marshal(card.blocks)
	var parsed []map[string]any
	json.Unmarshal(cb, &parsed)
	for _, blk := range parsed {
		if txt, ok := blk["text"].(map[string]any); ok {
			if s, _ := txt["text"].(string); len(s) > maxSection {
				t.Errorf("%s block text %d bytes > %d", blk["type"], len(s), maxSection)
			}
		}
		if fields, ok := blk["fields"].([]any); ok {
			for _, f := range fields {
				if s, _ := f.(map[string]any)["text"].(string); len(s) > maxField {
					t.Errorf("field %d bytes > %d", len(s), maxField)
				}
			}
		}
	}
}

// Slack markup in what people type becomes the plain text they meant.
func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@UBOT> my printer is jammed", "my printer is jammed"},
		{"<@UBOT|helpbot> hi", "hi"},
		{"ask <@U123> or <#C1|tech-help>", "ask @U123 or #tech-help"},
		{"<!channel> wifi down", "@channel wifi down"},
		{"<!subteam^S1|@techs> help", "@techs help"},
		{"see <https://evil.example|district.org>", "see district.org (https://evil.example)"},
		{"see <https://district.org>", "see https://district.org"},
		{"mail <mailto:a@b.org|a@b.org>", "mail a@b.org"},
		{"1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"},
		{"&lt;!channel&gt;", "<!channel>"},
		{"&amp;copy; 2024 &amp;lt;", "&copy; 2024 &lt;"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in, "UBOT"); got != tt.want {
			t.Errorf("plainText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
