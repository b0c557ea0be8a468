package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/knowledge"
)

// summarizerFunc adapts a function to bot.Summarizer.
type summarizerFunc func(ctx context.Context, turns []bot.Turn) (string, error)

func (f summarizerFunc) Summarize(ctx context.Context, turns []bot.Turn) (string, error) {
	return f(ctx, turns)
}

func TestCodeBrief(t *testing.T) {
	tests := []struct {
		name  string
		turns []bot.Turn
		want  string
	}{
		{"answered then still broken", []bot.Turn{
			{Who: "requester", Text: "the projector says no signal"},
			{Who: "bot", Text: `answered from: Projector shows "No signal"`},
			{Who: "requester", Text: "still not working,   tried   the remote"},
		}, "Reported: the projector says no signal\nTried: Projector shows \"No signal\". Last said: \"still not working, tried the remote\""},
		{"nothing matched", []bot.Turn{
			{Who: "requester", Text: "hi"},
			{Who: "requester", Text: "the smart lock on room 12 beeps"},
			{Who: "bot", Text: "not sure; offered a tech"},
			{Who: "requester", Text: "get a tech"},
		}, "Reported: the smart lock on room 12 beeps\nNo help article matched"},
		{"a solved problem before this one", []bot.Turn{
			{Who: "requester", Text: "my chromebook wont charge"},
			{Who: "bot", Text: "answered from: Chromebook won't charge"},
			{Who: "requester", Text: "thanks"},
			{Who: "requester", Text: "share a folder with my team"},
			{Who: "bot", Text: "answered from: Share files in Google Drive"},
			{Who: "requester", Text: "get a tech"},
		}, "Reported: share a folder with my team\nTried: Share files in Google Drive"},
		{"only asked for a person", []bot.Turn{{Who: "requester", Text: "talk to a person"}},
			"Reported: (nothing described yet)\nNo help article matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.CodeBrief(tt.turns); got != tt.want {
				t.Errorf("CodeBrief = %q; want %q", got, tt.want)
			}
		})
	}
	long := bot.CodeBrief([]bot.Turn{{Who: "requester", Text: strings.Repeat("printer ", 100)}})
	for _, line := range strings.Split(long, "\n") {
		if n := len([]rune(line)); n > 160 {
			t.Errorf("brief line has %d runes; want at most 160", n)
		}
	}
}

// The tech's card carries a two-line brief: the Summarizer's when it works,
// the code-built one when it fails or is not configured. It is stored with
// the case, so a card re-rendered later shows it too.
func TestEscalationBrief(t *testing.T) {
	tests := []struct {
		name string
		sum  bot.Summarizer
		want string
	}{
		{"no summarizer", nil, "Reported: the printer in room 4 is jammed"},
		{"model brief", summarizerFunc(func(_ context.Context, turns []bot.Turn) (string, error) {
			if len(turns) == 0 {
				return "", errors.New("no turns")
			}
			return "Printer jam in room 4.\nTried the paper jam article; still jammed.", nil
		}), "Printer jam in room 4.\nTried the paper jam article; still jammed."},
		{"summarizer fails", summarizerFunc(func(context.Context, []bot.Turn) (string, error) {
			return "", errors.New("model down")
		}), "Reported: the printer in room 4 is jammed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := redistest.Store(t)
			ix, problems := knowledge.LoadDir("../handlers/console/testdata/kb")
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			sc, _ := screen.New(screen.Options{})
			note := &notifier{}
			desk, err := bot.New(bot.Config{
				Store: store, Answerer: knowledge.NewAnswerer(knowledge.NewLibrary(ix), knowledge.AnswererOptions{}),
				Screener: sc, Techs: bot.TechsFunc(func(context.Context, string, bot.Person) (bool, error) { return false, nil }),
				Notifiers: map[string]bot.Notifier{bot.PlatformSlack: note},
				Clock:     func() time.Time { return now }, Summarizer: tt.sum,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			desk.HandleMessage(ctx, msg("the printer in room 4 is jammed"))
			desk.HandleMessage(ctx, msg("get a tech please, Lincoln room 4"))
			if len(note.cards) != 1 {
				t.Fatalf("cards = %d; want 1", len(note.cards))
			}
			card := note.cards[0]
			if !strings.HasPrefix(card.Brief, tt.want) {
				t.Errorf("card brief = %q; want it to start %q", card.Brief, tt.want)
			}
			stored, err := store.Escalation(ctx, card.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Brief != card.Brief {
				t.Errorf("stored brief = %q; want %q", stored.Brief, card.Brief)
			}
		})
	}
}
