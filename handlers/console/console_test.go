package console

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/knowledge"
)

// harness is a Chat on a real Desk, a real store (Redis or embedded), the
// real screen and a small fixed KB; output is captured per step.
type harness struct {
	t     *testing.T
	chat  *Chat
	buf   *bytes.Buffer
	clock *fakeClock
	store *hbredis.Store
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func newHarness(t *testing.T) *harness {
	t.Helper()
	ix, problems := knowledge.LoadDir("testdata/kb")
	if len(problems) > 0 || ix.Len() != 4 {
		t.Fatalf("test KB: %d articles, problems %v", ix.Len(), problems)
	}
	lib := knowledge.NewLibrary(ix)
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.Client(t)
	store := hbredis.New(rdb, hbredis.Options{Prefix: prefix})
	buf := &bytes.Buffer{}
	clock := &fakeClock{now: time.Date(2026, 11, 23, 8, 5, 0, 0, time.UTC)}
	ch := New(strings.NewReader(""), NewOutput(buf), Options{})
	desk, err := bot.New(bot.Config{
		Store: store, Answerer: knowledge.NewAnswerer(lib, knowledge.AnswererOptions{}), Screener: sc,
		Techs: ch.Techs(), Notifiers: map[string]bot.Notifier{bot.PlatformConsole: ch.Notifier()},
		Clock: clock.Now, Policy: bot.Policy{Contact: "call x4357", RateLimit: 30},
	})
	if err != nil {
		t.Fatal(err)
	}
	ch.Attach(desk)
	return &harness{t: t, chat: ch, buf: buf, clock: clock, store: store}
}

// say sends one line and returns what was printed in response.
func (h *harness) say(line string) string {
	h.t.Helper()
	h.buf.Reset()
	h.chat.handle(context.Background(), line)
	return h.buf.String()
}

type step struct {
	say   string
	want  []string // each must appear in the output
	avoid []string // none may appear
}

func (h *harness) run(steps []step) {
	h.t.Helper()
	for i, s := range steps {
		out := h.say(s.say)
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				h.t.Fatalf("step %d %q: output lacks %q:\n%s", i+1, s.say, w, out)
			}
		}
		for _, a := range s.avoid {
			if strings.Contains(out, a) {
				h.t.Fatalf("step %d %q: output has %q:\n%s", i+1, s.say, a, out)
			}
		}
	}
}

func TestConversations(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"answer cites the article and offers choices", []step{
			{say: "the projector isn't showing my laptop", want: []string{"HDMI", `Source: “Projector or panel shows "No signal"”`, "[1] That fixed it", "[2] Get a tech"}},
			{say: "1", want: []string{"said this fixed it", "glad that fixed it"}},
		}},
		{"get a tech asks for the room once, then files with an id", []step{
			{say: "printer is jammed", want: []string{"Clear a paper jam"}},
			{say: "2", want: []string{"Which building and room"}},
			{say: "Lincoln MS room 12", want: []string{"NEW CASE IT-1001", "Where:   Lincoln MS, Room 12", "Tried:   “Clear a paper jam”", "as IT-1001"}},
		}},
		{"still not working after an answer escalates with context", []step{
			{say: "I forgot my password", want: []string{"password reset portal"}},
			{say: "still not working", want: []string{"Which building and room"}},
			{say: "skip", want: []string{"NEW CASE IT-1001", "Problem: I forgot my password", "Tried:   “Reset your password"}},
		}},
		{"asking for a person with the room given files at once", []step{
			{say: "I need a person, the smartboard in room 5 at Lincoln Elementary is dead", want: []string{"NEW CASE IT-1001", "Lincoln Elementary, Room 5"}, avoid: []string{"Which building"}},
		}},
		{"urgent wording files an urgent case at once, shows the fix, then asks where", []step{
			{say: "the whole building has no signal on the projectors, class can't start",
				want: []string{"While you wait", "NEW CASE IT-1001", "URGENT", "as urgent", "call x4357", "Which building and room are you in? Tell me and I'll add it"}},
			{say: "Roosevelt HS", want: []string{"Where:   Roosevelt HS", "the tech will come to Roosevelt HS"}},
		}},
		{"not sure twice hands over to a person", []step{
			{say: "the heat in my room is broken", want: []string{"not sure"}, avoid: []string{"Source:"}},
			{say: "the bell schedule on the hallway clocks is wrong", want: []string{"pass this to a person", "Which building"}},
		}},
		{"password pasted is removed with a warning", []step{
			{say: "my password is hunter2 and it won't let me in", want: []string{"removed what looked like a password"}, avoid: []string{"hunter2"}},
		}},
		{"filter bypass gets the fixed answer", []step{
			{say: "how do I get past the web filter", want: []string{"can't help with getting around"}, avoid: []string{"Source:"}},
		}},
		{"tech-only articles are not shown to staff", []step{
			{say: "how do I reimage a laptop", avoid: []string{"Re-image a staff laptop"}},
			{say: "/as tech Alex", want: []string{"Alex (tech)"}},
			{say: "how do I reimage a laptop", want: []string{"Re-image a staff laptop"}},
		}},
		{"a non-tech cannot claim; a tech can, once", []step{
			{say: "I need a person", want: []string{"Which building"}},
			{say: "room 9", want: []string{"IT-1001"}},
			{say: "/claim IT-1001", want: []string{"Only the IT team"}, avoid: []string{"claimed by"}},
			{say: "/queue", want: []string{"Only techs"}},
			{say: "/as tech Alex Chen", want: []string{"Alex Chen (tech)"}},
			{say: "/queue", want: []string{"IT-1001", "unclaimed", "Pat Rivera"}},
			{say: "/claim IT-1001", want: []string{"claimed by Alex Chen", "🔔 to Pat Rivera", "Alex Chen from the IT team has your request IT-1001"}},
			{say: "/claim IT-1001", want: []string{"You already have IT-1001"}, avoid: []string{"🔔"}},
			{say: "/as tech Jamie", want: []string{"Jamie (tech)"}},
			{say: "/claim IT-1001", want: []string{"already claimed by Alex Chen"}},
			{say: "/resolve IT-1001", want: []string{"claimed by Alex Chen; only they"}},
			{say: "/as tech Alex Chen"},
			{say: "/release IT-1001", want: []string{"back in the queue"}},
			{say: "/as tech Jamie"},
			{say: "/resolve IT-1001", want: []string{"resolved by Jamie", "Is it fixed?"}},
			{say: "/claim IT-1001", want: []string{"already closed"}},
			{say: "/claim IT-4242", want: []string{"can't find case IT-4242"}},
			{say: "/as staff"},
			{say: "2", want: []string{"reopened IT-1001", "says still broken"}},
			{say: "status", want: []string{"IT-1001", "waiting for a tech"}},
		}},
		{"a second request while one is open points at it", []step{
			{say: "I need a person in room 4", want: []string{"IT-1001"}},
			{say: "get a tech", want: []string{"already with the tech team"}, avoid: []string{"IT-1002"}},
		}},
		{"typing that it is fixed counts like the button", []step{
			{say: "the projector isn't showing my laptop", want: []string{"[1] That fixed it"}},
			{say: "ok that fixed it, thanks!", want: []string{"glad that fixed it"}, avoid: []string{"Source:", "not sure"}},
		}},
		{"fixed while asked for the room: no case", []step{
			{say: "the projector isn't showing my laptop", want: []string{"[2] Get a tech"}},
			{say: "2", want: []string{"Which building"}},
			{say: "that fixed it", want: []string{"glad that fixed it", "won't send it to the tech team"}, avoid: []string{"NEW CASE", "IT-1001"}},
			{say: "status", avoid: []string{"IT-1001"}},
		}},
		{"fixed after an urgent case was filed offers to cancel it", []step{
			{say: "the whole building has no signal on the projectors, class can't start", want: []string{"NEW CASE IT-1001"}},
			{say: "that fixed it", want: []string{"Glad it's working", "[1] Cancel request"}},
			{say: "1", want: []string{"cancelled IT-1001"}},
		}},
		{"fixed while a case is open offers to cancel it", []step{
			{say: "talk to a person please, room 7", want: []string{"IT-1001"}},
			{say: "it works now, thanks", want: []string{"Glad it's working", "IT-1001 is still open", "[1] Cancel request"}, avoid: []string{"not sure"}},
			{say: "1", want: []string{"cancelled IT-1001"}},
		}},
		{"no to an answer gets a tech; the problem line skips the small talk", []step{
			{say: "hi", want: []string{"IT help bot"}},
			{say: "paper jam", want: []string{"Clear a paper jam", "[2] Get a tech"}},
			{say: "no", want: []string{"Which building"}},
			{say: "room 3", want: []string{"NEW CASE IT-1001", "Problem: paper jam"}, avoid: []string{"Problem: hi"}},
		}},
		{"is it fixed, answered by typing", []step{
			{say: "I need a person in room 4", want: []string{"IT-1001"}},
			{say: "/as tech Alex"},
			{say: "/resolve IT-1001", want: []string{"Is it fixed?"}},
			{say: "/as staff"},
			{say: "no, still not working", want: []string{"reopened IT-1001"}, avoid: []string{"IT-1002"}},
			{say: "/as tech Alex"},
			{say: "/resolve IT-1001", want: []string{"Is it fixed?"}},
			{say: "/as staff"},
			{say: "yes", want: []string{"Thanks for confirming"}, avoid: []string{"IT-1002", "not sure"}},
		}},
		{"an emoji is not a question; a thumbs-up after an answer is thanks", []step{
			{say: "👀", want: []string{"IT help bot"}, avoid: []string{"not sure"}},
			{say: "????", want: []string{"IT help bot"}, avoid: []string{"not sure"}},
			{say: "printer is jammed", want: []string{"Clear a paper jam"}},
			{say: "👍", want: []string{"glad that fixed it"}},
		}},
		{"no location in ???? to the room question", []step{
			{say: "I need a person", want: []string{"Which building"}},
			{say: "????", want: []string{"NEW CASE IT-1001"}, avoid: []string{"Where:   ????"}},
		}},
		{"what the teacher adds after filing goes on the case", []step{
			{say: "I need a person, the printer in room 7 is jammed", want: []string{"NEW CASE IT-1001"}},
			{say: "it also shows error code 50", want: []string{"CASE UPDATE IT-1001", "Pat Rivera: it also shows error code 50", "added that to IT-1001"}, avoid: []string{"not sure"}},
			{say: "paper jam in the copier", want: []string{"added that to IT-1001", "While you wait for the tech", "Clear a paper jam"}},
			{say: "/as tech Alex"},
			{say: "is it the rear tray?", avoid: []string{"added that"}},
		}},
		{"an urgent addition makes the case urgent", []step{
			{say: "I need a person in room 4, the wifi is slow", want: []string{"NEW CASE IT-1001"}, avoid: []string{"URGENT"}},
			{say: "now the whole building has no wifi", want: []string{"CASE UPDATE IT-1001", "URGENT", "marked it urgent"}},
		}},
		{"asking again does not repeat the same steps as new", []step{
			{say: "the projector isn't showing my laptop", want: []string{"HDMI", "[1] That fixed it"}},
			{say: "the projector isn't showing my laptop", want: []string{"same steps I just showed you", "[1] Get a tech"}, avoid: []string{"HDMI"}},
			{say: "1", want: []string{"Which building"}},
		}},
		{"thank you and ok are not questions", []step{
			{say: "I need a person in room 4", want: []string{"IT-1001"}},
			{say: "thank you!", want: []string{"You're welcome"}, avoid: []string{"Source:", "not sure", "added that"}},
			{say: "ok", want: []string{"anything else"}, avoid: []string{"not sure"}},
			{say: "ok", avoid: []string{"pass this to a person"}},
		}},
		{"thanks while asked for the room still files the case", []step{
			{say: "I need a person", want: []string{"Which building"}},
			{say: "thanks", want: []string{"NEW CASE IT-1001"}},
		}},
		{"cancel a request", []step{
			{say: "talk to a person please, room 7", want: []string{"IT-1001", "Cancel request"}},
			{say: "1", want: []string{"cancelled IT-1001", "cancelled by the requester"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newHarness(t).run(tt.steps)
		})
	}
}

// After a whole scenario every key the bot wrote has a TTL.
func TestEveryKeyHasTTL(t *testing.T) {
	h := newHarness(t)
	h.run([]step{
		{say: "the projector isn't showing my laptop"},
		{say: "2"},
		{say: "Lincoln MS room 204"},
		{say: "/as tech Alex"},
		{say: "/claim IT-1001"},
		{say: "/resolve IT-1001"},
		{say: "/as staff"},
		{say: "1", want: []string{"Confirmed fixed"}},
		{say: "printer jammed, I need a person in room 3"},
	})
	ctx := context.Background()
	rdb := h.store.Client()
	var n int
	iter := rdb.Scan(ctx, 0, h.store.Prefix()+"*", 100).Iterator()
	for iter.Next(ctx) {
		n++
		ttl, err := rdb.TTL(ctx, iter.Val()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 {
			t.Errorf("key %s has no TTL (%v)", iter.Val(), ttl)
		}
	}
	if n < 5 {
		t.Errorf("scenario wrote %d keys; want sessions, cases, indexes and rate limits", n)
	}
}

func TestPipedChat(t *testing.T) {
	h := newHarness(t)
	in := "the board says no signal\n/help\n/as tech Robin\n/queue\n"
	h.chat.in = strings.NewReader(in)
	h.chat.echo = true
	h.buf.Reset()
	if err := h.chat.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v; want nil at end of input", err)
	}
	out := h.buf.String()
	for _, w := range []string{"Pat Rivera (staff)> the board says no signal", `“Projector or panel shows "No signal"”`, "/claim ID", "No open cases."} {
		if !strings.Contains(out, w) {
			t.Errorf("piped chat output lacks %q:\n%s", w, out)
		}
	}
}
