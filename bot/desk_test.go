package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/knowledge"
)

// notifier records what the desk sends to techs and requesters.
type notifier struct {
	mu      sync.Mutex
	cards   []bot.Escalation
	updates []bot.Escalation
	told    []bot.Reply
}

func (n *notifier) Announce(_ context.Context, e bot.Escalation) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cards = append(n.cards, e)
	return "card-" + e.ID, nil
}

func (n *notifier) UpdateCard(_ context.Context, e bot.Escalation) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.updates = append(n.updates, e)
	return nil
}

func (n *notifier) Tell(_ context.Context, _ bot.Escalation, r bot.Reply) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.told = append(n.told, r)
	return nil
}

// events records observed events.
type events struct {
	mu  sync.Mutex
	got []bot.Event
}

func (e *events) Observe(_ context.Context, ev bot.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, ev)
}

func (e *events) types() []bot.EventType {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []bot.EventType
	for _, ev := range e.got {
		out = append(out, ev.Type)
	}
	return out
}

type fixture struct {
	desk  *bot.Desk
	store bot.Store
	note  *notifier
	ev    *events
}

var (
	pat = bot.Person{ID: "U_PAT", Name: "Pat Rivera"}
	now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

func newFixture(t *testing.T, store bot.Store, policy bot.Policy) fixture {
	t.Helper()
	ix, problems := knowledge.LoadDir("../handlers/console/testdata/kb")
	if len(problems) > 0 {
		t.Fatalf("test KB problems: %v", problems)
	}
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{store: store, note: &notifier{}, ev: &events{}}
	techs := bot.TechsFunc(func(_ context.Context, _ string, p bot.Person) (bool, error) {
		return strings.HasPrefix(p.ID, "U_TECH"), nil
	})
	f.desk, err = bot.New(bot.Config{
		Store: store, Answerer: knowledge.NewAnswerer(knowledge.NewLibrary(ix), knowledge.AnswererOptions{}),
		Screener: sc, Techs: techs, Notifiers: map[string]bot.Notifier{bot.PlatformSlack: f.note},
		Observers: []bot.Observer{f.ev}, Clock: func() time.Time { return now }, Policy: policy,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func msg(text string) bot.Message {
	return bot.Message{Platform: bot.PlatformSlack, Conversation: "D_PAT", From: pat, Text: text, Direct: true}
}

func TestSecretsNeverStored(t *testing.T) {
	store := redistest.Store(t)
	f := newFixture(t, store, bot.Policy{})
	ctx := context.Background()
	r := f.desk.HandleMessage(ctx, msg("I forgot my password, my old password is Hunter2!x"))
	if len(r) == 0 || r[0].Kind != bot.KindWarning {
		t.Fatalf("first reply = %+v; want the password warning first", r)
	}
	f.desk.HandleMessage(ctx, msg("I need a person, room 4"))
	sess, err := store.LoadSession(ctx, msg("").SessionKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, turn := range sess.Turns {
		if strings.Contains(turn.Text, "Hunter2") {
			t.Errorf("session turn kept the password: %q", turn.Text)
		}
	}
	if len(f.note.cards) != 1 {
		t.Fatalf("cards = %d; want 1", len(f.note.cards))
	}
	card := f.note.cards[0]
	for _, turn := range card.Transcript {
		if strings.Contains(turn.Text, "Hunter2") {
			t.Errorf("case transcript kept the password: %q", turn.Text)
		}
	}
	if strings.Contains(card.Summary, "Hunter2") {
		t.Errorf("case summary kept the password: %q", card.Summary)
	}
}

// Twenty techs press Claim on the same card at once: one owner, and the
// requester is told exactly once.
func TestConcurrentClaimsTellOnce(t *testing.T) {
	f := newFixture(t, redistest.Store(t), bot.Policy{})
	ctx := context.Background()
	f.desk.HandleMessage(ctx, msg("I need a person in room 12"))
	if len(f.note.cards) != 1 {
		t.Fatalf("cards = %d; want 1", len(f.note.cards))
	}
	id := f.note.cards[0].ID
	var wg sync.WaitGroup
	var mu sync.Mutex
	owners := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := f.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "C_TECH",
				From: bot.Person{ID: fmt.Sprintf("U_TECH%d", i%10)}, Name: bot.ActionClaim, EscalationID: id})
			if len(out.Replies) == 1 && strings.HasPrefix(out.Replies[0].Text, "You have") {
				mu.Lock()
				owners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if owners != 1 {
		t.Errorf("techs told 'You have %s' = %d; want 1", id, owners)
	}
	told := 0
	for _, r := range f.note.told {
		if strings.Contains(r.Text, "has your request") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("requester told about the claim %d times; want 1", told)
	}
}

func TestNonTechCannotAct(t *testing.T) {
	f := newFixture(t, redistest.Store(t), bot.Policy{})
	ctx := context.Background()
	f.desk.HandleMessage(ctx, msg("I need a person in room 12"))
	id := f.note.cards[0].ID
	for _, name := range []string{bot.ActionClaim, bot.ActionResolve, bot.ActionRelease} {
		out := f.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: bot.Person{ID: "U_STUDENT"}, Name: name, EscalationID: id})
		if len(out.Replies) != 1 || !out.Replies[0].Ephemeral || !strings.Contains(out.Replies[0].Text, "Only the IT team") {
			t.Errorf("%s by a non-tech = %+v; want one ephemeral refusal", name, out.Replies)
		}
	}
	e, err := f.store.Escalation(ctx, id)
	if err != nil || e.Status != bot.StatusOpen || e.Claimer.ID != "" {
		t.Errorf("case after non-tech clicks = %s claimer %q, %v; want unchanged", e.Status, e.Claimer.ID, err)
	}
	if len(f.note.updates) != 0 {
		t.Errorf("card updated %d times by non-tech clicks; want 0", len(f.note.updates))
	}
}

func TestRateLimitOneNotice(t *testing.T) {
	f := newFixture(t, redistest.Store(t), bot.Policy{RateLimit: 3, RateWindow: time.Minute})
	ctx := context.Background()
	var notices, silent int
	for range 6 {
		r := f.desk.HandleMessage(ctx, msg("printer jammed"))
		switch {
		case len(r) == 0:
			silent++
		case strings.Contains(r[0].Text, "faster than I can help"):
			notices++
		}
	}
	if notices != 1 || silent != 2 {
		t.Errorf("6 messages with limit 3: %d notices, %d silent; want 1 and 2", notices, silent)
	}
}

// With Redis down the KB still answers, and asking for a person says
// plainly that the case could not be filed and how to reach IT.
func TestRedisDown(t *testing.T) {
	rdb, err := hbredis.Connect("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	f := newFixture(t, hbredis.New(rdb, hbredis.Options{}), bot.Policy{Contact: "call x4357", RateLimit: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	r := f.desk.HandleMessage(ctx, msg("the printer is jammed"))
	if len(r) != 1 || r[0].Kind != bot.KindAnswer || len(r[0].Sources) == 0 {
		t.Fatalf("answer with Redis down = %+v; want a KB answer", r)
	}
	r = f.desk.HandleMessage(ctx, msg("I need a person, room 12"))
	if len(r) != 1 || r[0].Kind != bot.KindError || !strings.Contains(r[0].Text, "call x4357") {
		t.Fatalf("escalation with Redis down = %+v; want an error naming how to reach IT", r)
	}
	if len(f.note.cards) != 0 {
		t.Errorf("a card was posted for a case that was never stored")
	}
	if got := f.ev.types(); got[len(got)-1] != bot.EventFileFailed {
		t.Errorf("last event = %v; want file_failed", got[len(got)-1])
	}
}

func TestEventsCarryNoTextExceptUnanswered(t *testing.T) {
	f := newFixture(t, redistest.Store(t), bot.Policy{})
	ctx := context.Background()
	f.desk.HandleMessage(ctx, msg("printer jammed"))
	f.desk.HandleMessage(ctx, msg("the heat in my room is broken"))
	var sawNotSure bool
	for _, ev := range f.ev.got {
		if ev.Type == bot.EventNotSure {
			sawNotSure = true
			if ev.Question != "the heat in my room is broken" {
				t.Errorf("not-sure event question = %q", ev.Question)
			}
		} else if ev.Question != "" {
			t.Errorf("%s event carries text %q", ev.Type, ev.Question)
		}
	}
	if !sawNotSure {
		t.Errorf("events = %v; want a not_sure event", f.ev.types())
	}
}
