package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/knowledge"
)

// Personal data in the question, the earlier turns and the KB itself never
// reaches the provider: it arrives as placeholders.
func TestNoPersonalDataReachesTheProvider(t *testing.T) {
	pii := []string{
		"pat.rivera@district.example", "555-123-4567", "(555) 987-6543", "123-45-6789",
		"4111 1111 1111 1111", "3/14/2012", "S1234567", "778899", "Hunter2!x",
		"xoxb-1234567890-abcdefghij", "jane.smith@district.example", "555-867-5309",
	}
	ai := newFakeAI(t)
	ai.setReply(fixed(200, "Tap your staff badge on the copier reader to release your print jobs [1]."))
	r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
	q := bot.Question{
		Audience: bot.AudienceStaff,
		Text: "copier badge release not working. I'm pat.rivera@district.example, call 555-123-4567 or (555) 987-6543. " +
			"My SSN is 123-45-6789, card 4111 1111 1111 1111, DOB 3/14/2012, student S1234567, student id 778899, " +
			"password is Hunter2!x and token xoxb-1234567890-abcdefghij",
		History: []bot.Turn{
			{Who: "requester", Text: "earlier: my email is pat.rivera@district.example and my password: Hunter2!x"},
			{Who: "bot", Text: "answered from: Copier codes and badge release"},
		},
	}
	if kb, _ := r.kb.Answer(context.Background(), q); !kb.Confident {
		t.Fatalf("test KB not confident on the PII question: %+v", kb)
	}
	ans, err := r.a.Answer(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	// Exercise the summariser and the re-ranker too: every request counts.
	r.m.Summarizer().Summarize(context.Background(), q.History)
	hits := r.lib.Search(q.Text, knowledgeOpts())
	r.m.Rerank(context.Background(), q.Text, hits)

	sent := ai.allBodies()
	if ai.chats.Load() == 0 || ai.embeds.Load() == 0 {
		t.Fatalf("chats %d, embeddings %d; want both exercised", ai.chats.Load(), ai.embeds.Load())
	}
	for _, p := range pii {
		if strings.Contains(sent, p) || strings.Contains(sent, strings.ReplaceAll(p, "/", `\/`)) {
			t.Errorf("%q reached the provider", p)
		}
	}
	for _, tag := range []string{"[email]", "[phone]", "[ssn]", "[card number]", "[date of birth]", "[student id]", "[password removed]", "[secret removed]"} {
		if !strings.Contains(sent, tag) {
			t.Errorf("placeholder %s not in what was sent; was the datum dropped or leaked?", tag)
		}
	}
	if !strings.Contains(ans.Text, AINote) {
		t.Errorf("answer = %q; want the model's answer (redaction must not break answering)", ans.Text)
	}
}

// The KB article carries a staff phone number, so the prompt had "[phone]";
// a model answer quoting the placeholder is not shown: the KB's answer, with
// the real number, is.
func TestPlaceholderAnswerShowsTheKBInstead(t *testing.T) {
	ai := newFakeAI(t)
	ai.setReply(fixed(200, "For badge problems contact Jane Smith at [phone] [1]."))
	r := newRig(t, ai, nil, nil)
	const q = "my copier badge is not recognised, who do I contact"
	kb := r.kbAnswer(t, q)
	if ans := ask(t, r.a, q); ans.Text != kb.Text {
		t.Errorf("answer = %q; want the KB's %q", ans.Text, kb.Text)
	}
}

// Health, IEP, 504 and discipline questions are answered from the KB only:
// nothing about them is sent, whether the desk flagged them or not, and
// whether the topic is in the question or in an earlier turn.
func TestSensitiveTopicsNeverSent(t *testing.T) {
	tests := []struct {
		name string
		q    bot.Question
	}{
		{"flagged by the desk", bot.Question{Text: projectorQ, Sensitive: true}},
		{"IEP in the question", bot.Question{Text: "how do I open the IEP software"}},
		{"504 plan earlier", bot.Question{Text: projectorQ, History: []bot.Turn{
			{Who: "requester", Text: "I need to show a student's 504 plan to the class aide"},
			{Who: "requester", Text: projectorQ}}}},
		{"medical in the question", bot.Question{Text: "the projector says no signal, I need it for the student's medication schedule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := newFakeAI(t)
			r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
			r.kb = knowledgeAnswererWithRerank(r)
			r.a = r.m.Answerer(r.kb, r.lib)
			tt.q.Audience = bot.AudienceStaff
			kb, _ := knowledge.NewAnswerer(r.lib, knowledge.AnswererOptions{}).Answer(context.Background(), tt.q)
			ans, err := r.a.Answer(context.Background(), tt.q)
			if err != nil || ans.Text != kb.Text {
				t.Errorf("answer = %+v, %v; want the KB answer %+v", ans, err, kb)
			}
			r.m.Summarizer().Summarize(context.Background(), tt.q.History)
			if n := ai.chats.Load() + ai.embeds.Load(); n != 0 {
				t.Errorf("%d requests reached the provider; want none for a sensitive topic", n)
			}
		})
	}
}

func TestRedactLongText(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, nil, nil)
	long := strings.Repeat("line of KB text about printers\n", 150) + "call 555-123-4567 now\n" + strings.Repeat("x", 5000)
	out := r.m.outbound(long)
	if strings.Contains(out, "555-123-4567") || !strings.Contains(out, "[phone]") {
		t.Errorf("a phone number deep in a long text was not redacted")
	}
	if len(out) < len(long)-200 {
		t.Errorf("outbound cut long text from %d to %d bytes; redaction must not truncate", len(long), len(out))
	}
}
