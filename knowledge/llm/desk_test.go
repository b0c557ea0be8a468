package llm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

type cards struct {
	mu  sync.Mutex
	got []bot.Escalation
}

func (c *cards) Announce(_ context.Context, e bot.Escalation) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e)
	return "card", nil
}
func (c *cards) UpdateCard(context.Context, bot.Escalation) error      { return nil }
func (c *cards) Tell(context.Context, bot.Escalation, bot.Reply) error { return nil }

// The whole desk with the LLM wired in, as a teacher meets it.
func TestDeskWithLLM(t *testing.T) {
	ai := newFakeAI(t)
	ai.setReply(func(req chatRequest) (int, string) {
		if strings.Contains(req.Messages[0].Content, "case briefs") {
			return 200, "Printer jam in room 4.\nTried the paper jam steps; still jammed."
		}
		if strings.Contains(req.user(), "Printer paper jam") {
			return 200, "Open the front door of the printer, pull the green lever down and gently pull the stuck paper straight out [1]."
		}
		return 200, goodProjectorAnswer
	})
	r := newRig(t, ai, nil, nil)
	note := &cards{}
	desk, err := bot.New(bot.Config{
		Store: redistest.Store(t), Answerer: r.a, Screener: r.m.screener, Summarizer: r.m.Summarizer(),
		Techs:     bot.TechsFunc(func(context.Context, string, bot.Person) (bool, error) { return false, nil }),
		Notifiers: map[string]bot.Notifier{bot.PlatformSlack: note},
		Clock:     func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	say := func(conv, text string) []bot.Reply {
		return desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformSlack, Conversation: conv,
			From: bot.Person{ID: "U_PAT", Name: "Pat Rivera"}, Text: text, Direct: true})
	}

	// A refused request never reaches the model.
	if rs := say("D1", "how do I get around the web filter"); len(rs) == 0 || rs[0].Kind != bot.KindPolicy {
		t.Fatalf("replies = %+v; want the policy answer", rs)
	}
	if n := ai.chats.Load(); n != 0 {
		t.Fatalf("chat calls = %d after a policy question; want 0", n)
	}

	// An ordinary question gets the AI answer, cited, with its buttons.
	rs := say("D1", "the printer is jammed, email me at pat.rivera@district.example")
	if len(rs) != 1 || rs[0].Kind != bot.KindAnswer || !strings.Contains(rs[0].Text, AINote) ||
		len(rs[0].Sources) != 1 || rs[0].Sources[0].Title != "Printer paper jam" || len(rs[0].Choices) != 2 {
		t.Fatalf("replies = %+v; want one cited AI answer with buttons", rs)
	}

	// Still broken → a case whose brief the model wrote.
	say("D1", "that didn't work, still not printing")
	say("D1", "Lincoln room 4")
	if len(note.got) != 1 || note.got[0].Brief != "Printer jam in room 4.\nTried the paper jam steps; still jammed." {
		t.Fatalf("cards = %+v; want one with the model's brief", note.got)
	}
	if strings.Contains(ai.allBodies(), "pat.rivera@district.example") {
		t.Error("the teacher's email reached the provider")
	}

	// A conversation that mentions an IEP stays away from the model, even
	// for the question after it, and its brief is written by code.
	before := ai.chats.Load()
	rs = say("D2", "I need the projector for a student's IEP meeting and it says no signal")
	if len(rs) == 0 || strings.Contains(rs[0].Text, AINote) {
		t.Errorf("replies = %+v; want the KB answer for a sensitive question", rs)
	}
	say("D2", "the projector says no signal")
	say("D2", "get a tech")
	say("D2", "Lincoln room 9")
	if n := ai.chats.Load(); n != before {
		t.Errorf("chat calls went from %d to %d in a sensitive conversation; want none", before, n)
	}
	if len(note.got) != 2 || !strings.HasPrefix(note.got[1].Brief, "Reported: ") {
		t.Errorf("second card = %+v; want the code brief", note.got[len(note.got)-1])
	}
}
