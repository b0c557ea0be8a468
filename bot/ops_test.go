package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/calendar"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/knowledge"
)

// clock is a fake clock shared by desks in one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// replica is one bot process: its own Desk and notifier on a shared store.
type replica struct {
	desk  *bot.Desk
	note  *notifier
	store bot.Store
}

func newReplicas(t *testing.T, n int, clk *clock, sched bot.Schedule) []replica {
	t.Helper()
	ix, problems := knowledge.LoadDir("../handlers/console/testdata/kb")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	sc, _ := screen.New(screen.Options{})
	store := redistest.Store(t)
	var out []replica
	for range n {
		note := &notifier{}
		d, err := bot.New(bot.Config{
			Store: store, Answerer: knowledge.NewAnswerer(knowledge.NewLibrary(ix), knowledge.AnswererOptions{}),
			Screener: sc, Techs: bot.TechsFunc(func(_ context.Context, _ string, p bot.Person) (bool, error) {
				return strings.HasPrefix(p.ID, "U_TECH"), nil
			}),
			Notifiers: map[string]bot.Notifier{bot.PlatformSlack: note},
			Clock:     clk.Now, Schedule: sched,
			Policy: bot.Policy{Buildings: []string{"Lincoln MS", "Roosevelt HS"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, replica{d, note, store})
	}
	return out
}

func from(user, text string) bot.Message {
	return bot.Message{Platform: bot.PlatformSlack, Conversation: "D_" + user, From: bot.Person{ID: user, Name: user}, Text: text, Direct: true}
}

func joined(rs []bot.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// An unclaimed case is put in front of the techs once per interval, even
// with two replicas running the reminder loop on the same tick.
func TestRemindersOnceAcrossReplicas(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	rs := newReplicas(t, 2, clk, nil)
	ctx := context.Background()
	rs[0].desk.HandleMessage(ctx, from("U_PAT", "I need a person, printer jammed in room 5 at Roosevelt HS"))
	rs[0].desk.HandleMessage(ctx, from("U_SAM", "urgent: the whole building wifi is down, room 9 at Roosevelt HS"))

	remind := func() int {
		total := 0
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, r := range rs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := r.desk.RemindUnclaimed(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		return total
	}
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{2 * time.Minute, 0}, // too soon for either
		{2 * time.Minute, 1}, // 4 min: the urgent one (3 min)
		{1 * time.Minute, 0}, // same round again: nothing new
		{2 * time.Minute, 1}, // 7 min: urgent round 2
		{9 * time.Minute, 2}, // 16 min: normal round 1 and urgent round 5
		{0, 0},               // both replicas again on the same tick
	}
	for i, s := range steps {
		clk.Add(s.advance)
		if got := remind(); got != s.want {
			t.Fatalf("step %d (%v): reminded %d cases; want %d", i+1, clk.Now().Sub(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), got, s.want)
		}
	}
	// Claimed cases are never reminded.
	open, _ := rs[0].desk.Queue(ctx, bot.PlatformSlack, bot.Person{ID: "U_TECH1"})
	for _, e := range open {
		rs[0].desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: bot.Person{ID: "U_TECH1"}, Name: bot.ActionClaim, EscalationID: e.ID})
	}
	clk.Add(time.Hour)
	if got := remind(); got != 0 {
		t.Errorf("reminders after every case was claimed = %d; want 0", got)
	}
}

func TestSupportHoursAndCalendar(t *testing.T) {
	cal, err := calendar.Parse([]byte(`
timezone: America/Chicago
hours:
  weekdays: "7:00-16:30"
closed:
  - name: Thanksgiving break
    from: 2026-11-25
    to: 2026-11-27
testing:
  - name: State testing
    date: 2027-04-13
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	chi, _ := time.LoadLocation("America/Chicago")
	tests := []struct {
		name     string
		at       time.Time
		say      string
		want     []string
		avoid    []string
		priority bot.Priority
	}{
		{"open hours", time.Date(2026, 11, 23, 10, 0, 0, 0, chi), "I need a person, printer jammed in room 5 at Roosevelt HS",
			[]string{"as IT-1001"}, []string{"off right now"}, bot.PriorityNormal},
		{"after hours", time.Date(2026, 11, 23, 18, 0, 0, 0, chi), "I need a person, printer jammed in room 5 at Roosevelt HS",
			[]string{"off right now", "tomorrow at 7:00 AM"}, nil, bot.PriorityNormal},
		{"holiday", time.Date(2026, 11, 26, 10, 0, 0, 0, chi), "I need a person, printer jammed in room 5 at Roosevelt HS",
			[]string{"off right now (Thanksgiving break)", "Monday, Nov 30 at 7:00 AM"}, nil, bot.PriorityNormal},
		{"testing day makes a device problem urgent", time.Date(2027, 4, 13, 9, 0, 0, 0, chi), "I need a person, a chromebook won't log in, room 12 at Roosevelt HS",
			[]string{"as urgent"}, nil, bot.PriorityUrgent},
		{"testing day leaves the printer alone", time.Date(2027, 4, 13, 9, 0, 0, 0, chi), "I need a person, printer jammed in room 5 at Roosevelt HS",
			nil, []string{"as urgent"}, bot.PriorityNormal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: tt.at}
			r := newReplicas(t, 1, clk, cal)[0]
			out := joined(r.desk.HandleMessage(context.Background(), from("U_PAT", tt.say)))
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("reply lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(out, a) {
					t.Errorf("reply has %q:\n%s", a, out)
				}
			}
			if len(r.note.cards) != 1 || r.note.cards[0].Priority != tt.priority {
				t.Fatalf("cards = %+v; want one %s card", r.note.cards, tt.priority)
			}
		})
	}
	// No reminders while the desk is closed; one when it opens.
	clk := &clock{t: time.Date(2026, 11, 24, 18, 0, 0, 0, chi)}
	r := newReplicas(t, 1, clk, cal)[0]
	r.desk.HandleMessage(context.Background(), from("U_PAT", "I need a person, printer jammed in room 5 at Roosevelt HS"))
	clk.Add(2 * time.Hour)
	if n, _ := r.desk.RemindUnclaimed(context.Background()); n != 0 {
		t.Errorf("reminders at night = %d; want 0", n)
	}
	clk.t = time.Date(2026, 11, 30, 7, 1, 0, 0, chi)
	if n, _ := r.desk.RemindUnclaimed(context.Background()); n != 1 {
		t.Errorf("reminders when the desk opens = %d; want 1", n)
	}
}

// Five Wi-Fi reports from one building become one incident with one card;
// every reporter hears when it is fixed.
func TestOutageBecomesOneIncident(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	var replies []string
	for i := range 5 {
		clk.Add(time.Minute)
		out := r.desk.HandleMessage(ctx, from(fmt.Sprintf("U_T%d", i), fmt.Sprintf("I need a person, the wifi is not working in room %d at Lincoln MS", 100+i)))
		replies = append(replies, joined(out))
	}
	// A report from another building is not part of it.
	r.desk.HandleMessage(ctx, from("U_OTHER", "I need a person, the wifi is not working in room 3 at Roosevelt HS"))

	if len(r.note.cards) != 3 {
		t.Fatalf("cards posted = %d; want 3 (two Lincoln reports before grouping, one Roosevelt)", len(r.note.cards))
	}
	for i := 2; i < 5; i++ {
		if !strings.Contains(replies[i], "already knows about: Wi-Fi at Lincoln MS") {
			t.Errorf("report %d reply = %q; want it told the problem is known", i+1, replies[i])
		}
	}
	tech := bot.Person{ID: "U_TECH1", Name: "Alex Chen"}
	queue, _ := r.desk.Queue(ctx, bot.PlatformSlack, tech)
	var primary bot.Escalation
	for _, e := range queue {
		if e.Reports > 1 {
			primary = e
		}
	}
	if len(queue) != 2 || primary.Title() != "Wi-Fi at Lincoln MS — 5 reports" {
		t.Fatalf("queue = %d cases, incident %q; want 2 cases, one titled \"Wi-Fi at Lincoln MS — 5 reports\"", len(queue), primary.Title())
	}
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: tech, Name: bot.ActionClaim, EscalationID: primary.ID})
	r.note.told = nil
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: tech, Name: bot.ActionResolve, EscalationID: primary.ID})
	fixed := 0
	for _, m := range r.note.told {
		if len(m.Choices) == 2 && m.Choices[0].Action == bot.ActionFixed {
			fixed++
		}
	}
	if fixed != 5 {
		t.Errorf("reporters asked \"is it fixed?\" = %d; want 5", fixed)
	}
	queue, _ = r.desk.Queue(ctx, bot.PlatformSlack, tech)
	if len(queue) != 1 {
		t.Errorf("queue after resolving the incident = %d; want only the Roosevelt case", len(queue))
	}
}

// outage files three reports of one problem from Lincoln MS, a minute
// apart (problem has a %d for the room), and returns the incident they
// became.
func outage(t *testing.T, r replica, clk *clock, problem string) bot.Escalation {
	t.Helper()
	ctx := context.Background()
	for i := range 3 {
		clk.Add(time.Minute)
		r.desk.HandleMessage(ctx, from(fmt.Sprintf("U_T%d", i), fmt.Sprintf(problem, 100+i)))
	}
	queue, _ := r.desk.Queue(ctx, bot.PlatformSlack, bot.Person{ID: "U_TECH1"})
	if len(queue) != 1 || queue[0].Reports != 3 {
		t.Fatalf("queue = %d cases; want one incident of 3 reports", len(queue))
	}
	return queue[0]
}

// What a reporter adds to a report that is grouped under an outage reaches
// the outage's card, which is the one the techs work from, with who said
// it; an urgent addition makes the whole incident urgent.
func TestReportersAdditionsReachTheIncident(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	incident := outage(t, r, clk, "I need a person, the wifi is not working in room %d at Lincoln MS").ID

	clk.Add(time.Minute)
	out := joined(r.desk.HandleMessage(ctx, from("U_T2", "the laptops on the cart can't see the network either")))
	if !strings.Contains(out, "added that to") {
		t.Fatalf("reply = %q; want the addition acknowledged", out)
	}
	inc, err := r.store.Escalation(ctx, incident)
	if err != nil {
		t.Fatal(err)
	}
	last := inc.Transcript[len(inc.Transcript)-1]
	if !strings.Contains(last.Text, "laptops on the cart") || last.From != "U_T2" || last.Report == "" || last.Report == incident {
		t.Errorf("incident's last turn = %+v; want the addition, from U_T2 and their report", last)
	}
	if n := len(r.note.updates); n == 0 || r.note.updates[n-1].ID != incident {
		t.Errorf("card updates = %d, last not the incident's; want the incident's card updated", n)
	}
	if inc.Priority == bot.PriorityUrgent {
		t.Fatalf("incident urgent before anyone said so")
	}

	clk.Add(time.Minute)
	r.desk.HandleMessage(ctx, from("U_T1", "now the whole building has no wifi"))
	if inc, _ = r.store.Escalation(ctx, incident); inc.Priority != bot.PriorityUrgent {
		t.Errorf("incident priority = %s after an urgent addition; want urgent", inc.Priority)
	}
}

// When the first reporter of an outage cancels their own report, the other
// reports go back in the queue with cards of their own.
func TestCancelledIncidentLeavesNoReportStranded(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	tech := bot.Person{ID: "U_TECH1"}
	incident := outage(t, r, clk, "I need a person, printer jammed in room %d at Lincoln MS")
	out := r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_T0", From: bot.Person{ID: "U_T0"}, Name: bot.ActionCancelCase, EscalationID: incident.ID})
	if out.Case == nil || out.Case.Status != bot.StatusCancelled {
		t.Fatalf("cancel = %+v", out)
	}
	queue, _ := r.desk.Queue(ctx, bot.PlatformSlack, tech)
	if len(queue) != 2 {
		t.Fatalf("queue after the primary was cancelled = %d cases; want the 2 other reports", len(queue))
	}
	for _, e := range queue {
		if e.Incident != "" {
			t.Errorf("%s still grouped under %s", e.ID, e.Incident)
		}
	}
}

// "Is it fixed?" is answered once per resolution: a second press of an old
// button (or the same answer typed and then pressed) neither reopens the
// case twice nor confirms a case that was reopened.
func TestIsItFixedAnsweredOnce(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	r.desk.HandleMessage(ctx, from("U_T1", "I need a person, printer jammed in room 10 at Lincoln MS"))
	tech := bot.Person{ID: "U_TECH1", Name: "Alex Chen"}
	queue, _ := r.desk.Queue(ctx, bot.PlatformSlack, tech)
	if len(queue) != 1 {
		t.Fatalf("queue = %d cases; want 1", len(queue))
	}
	id := queue[0].ID
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: tech, Name: bot.ActionResolve, EscalationID: id})
	teacher := bot.Person{ID: "U_T1"}
	press := func(name string) bot.Outcome {
		return r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_T1", From: teacher, Name: name, EscalationID: id})
	}
	if out := press(bot.ActionNotFixed); out.Case == nil || out.Case.Status != bot.StatusOpen {
		t.Fatalf("not fixed = %+v; want the case reopened", out)
	}
	r.note.updates = nil
	for _, name := range []string{bot.ActionNotFixed, bot.ActionFixed} {
		out := press(name)
		if out.Case != nil || !strings.Contains(joined(out.Replies), "already have your answer") {
			t.Errorf("%s pressed again = %+v; want only a notice", name, out)
		}
	}
	if len(r.note.updates) != 0 {
		t.Errorf("card updated %d times by stale buttons; want 0", len(r.note.updates))
	}
	if e, _ := r.desk.Queue(ctx, bot.PlatformSlack, tech); len(e) != 1 || e[0].Status != bot.StatusOpen {
		t.Errorf("queue = %v; want the reopened case, open", e)
	}
}

// In a district of several buildings a room alone does not say where to
// go: the bot asks which building, and the answer joins the room.
func TestRoomWithoutBuildingAsksWhichBuilding(t *testing.T) {
	for _, tt := range []struct{ answer, want string }{
		{"Lincoln MS", "Lincoln MS, Room 12"},
		{"the annex", "the annex, Room 12"},
		{"skip", "Room 12"},
	} {
		t.Run(tt.answer, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			r := newReplicas(t, 1, clk, nil)[0]
			ctx := context.Background()
			out := joined(r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the projector in room 12 is dead")))
			if !strings.Contains(out, "Which building is Room 12 in?") || len(r.note.cards) != 0 {
				t.Fatalf("reply = %q, %d cards; want the building asked for before filing", out, len(r.note.cards))
			}
			r.desk.HandleMessage(ctx, from("U_PAT", tt.answer))
			if len(r.note.cards) != 1 || r.note.cards[0].Location != tt.want {
				t.Fatalf("cards = %+v; want one at %q", r.note.cards, tt.want)
			}
		})
	}
	// With the building given up front, nothing is asked.
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	r.desk.HandleMessage(context.Background(), from("U_PAT", "I need a person, the projector in room 12 at Lincoln MS is dead"))
	if len(r.note.cards) != 1 || r.note.cards[0].Location != "Lincoln MS, Room 12" {
		t.Errorf("cards = %+v; want one at Lincoln MS, Room 12 without a question", r.note.cards)
	}
}

// With a case open, a new question is answered as a question, not filed on
// the case; "is anyone coming?" gets the case's status; and a question the
// KB cannot answer, followed by "Get a tech", goes onto the open case
// instead of being dropped with "already with the tech team".
func TestQuestionsWhileACaseIsOpen(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the printer in room 5 at Lincoln MS is jammed"))
	if len(r.note.cards) != 1 {
		t.Fatalf("cards = %d; want 1", len(r.note.cards))
	}
	id := r.note.cards[0].ID
	transcript := func() []string {
		e, err := r.store.Escalation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, turn := range e.Transcript {
			out = append(out, turn.Text)
		}
		return out
	}
	before := len(transcript())

	out := r.desk.HandleMessage(ctx, from("U_PAT", "how do I reset my password"))
	if len(out) == 0 || out[0].Kind != bot.KindAnswer || !strings.Contains(out[0].Text, "password") {
		t.Errorf("reply = %q; want the password answer", joined(out))
	}
	if got := transcript(); len(got) != before {
		t.Errorf("case transcript = %q; want the question left off the printer case", got)
	}

	out = r.desk.HandleMessage(ctx, from("U_PAT", "is anyone coming?"))
	if !strings.Contains(joined(out), id+": ") || !strings.Contains(joined(out), "waiting for a tech") {
		t.Errorf("reply = %q; want the status of %s", joined(out), id)
	}

	out = r.desk.HandleMessage(ctx, from("U_PAT", "how do I get the boiler fixed in my room"))
	if len(out) == 0 || out[0].Kind != bot.KindNotSure {
		t.Fatalf("reply = %q; want not sure", joined(out))
	}
	o := r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_PAT", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Name: bot.ActionEscalate})
	if len(o.Replies) == 0 || !strings.Contains(o.Replies[0].Text, "added this to it") {
		t.Errorf("Get a tech = %+v; want the question added to the open case", o.Replies)
	}
	got := transcript()
	if got[len(got)-1] != "how do I get the boiler fixed in my room" {
		t.Errorf("case transcript = %q; want the boiler question last", got)
	}
	// Pressing it again adds nothing twice.
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_PAT", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Name: bot.ActionEscalate})
	if again := transcript(); len(again) != len(got) {
		t.Errorf("second press: transcript %d turns; want %d", len(again), len(got))
	}
}

// "Is it fixed?" answered "no it still has a crack" reopens the case with
// what is still wrong on it; "never mind" is not a question for the KB.
func TestTypedNoWithReasonAndNeverMind(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	pat := bot.Person{ID: "U_PAT", Name: "U_PAT"}
	r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the printer in room 5 at Lincoln MS is jammed"))
	id := r.note.cards[0].ID

	out := joined(r.desk.HandleMessage(ctx, from("U_PAT", "never mind")))
	if !strings.Contains(out, id+" is still open") {
		t.Errorf("never mind with a case open = %q; want the offer to cancel %s", out, id)
	}
	tech := bot.Person{ID: "U_TECH1", Name: "Alex Chen"}
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: tech, Name: bot.ActionClaim, EscalationID: id})
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, From: tech, Name: bot.ActionResolve, EscalationID: id})

	out = joined(r.desk.HandleMessage(ctx, from("U_PAT", "no it still jams on every page")))
	e, err := r.store.Escalation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "reopened "+id) || e.Status == bot.StatusResolved {
		t.Fatalf("reply = %q, status %s; want %s reopened", out, e.Status, id)
	}
	if last := e.Transcript[len(e.Transcript)-1]; last.Text != "no it still jams on every page" {
		t.Errorf("last turn on the case = %q; want what is still wrong", last.Text)
	}

	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_PAT", From: pat, Name: bot.ActionCancelCase, EscalationID: id})
	out = joined(r.desk.HandleMessage(ctx, from("U_PAT", "never mind")))
	if !strings.HasPrefix(out, "OK.") {
		t.Errorf("never mind with nothing open = %q; want a plain OK", out)
	}
}

// The answer to "which building and room?" may say more about the problem
// instead ("it says paper jam but there's no paper"): that is not a
// location, and it describes the case. A place no pattern knows is still
// kept as the person said it.
func TestLocationAnswerThatIsNotALocation(t *testing.T) {
	for _, tt := range []struct{ answer, location, problem string }{
		{"it says paper jam but there is no paper stuck", "", "paper jam but there is no paper stuck"},
		{"second floor, east wing by the stairs", "second floor, east wing by the stairs", ""},
	} {
		t.Run(tt.answer, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			r := newReplicas(t, 1, clk, nil)[0]
			ctx := context.Background()
			out := joined(r.desk.HandleMessage(ctx, from("U_PAT", "I need a person for the copier")))
			if !strings.Contains(out, "Which building and room") {
				t.Fatalf("reply = %q; want the location asked for", out)
			}
			r.desk.HandleMessage(ctx, from("U_PAT", tt.answer))
			if len(r.note.cards) != 1 {
				t.Fatalf("cards = %d; want 1", len(r.note.cards))
			}
			c := r.note.cards[0]
			if c.Location != tt.location || !strings.Contains(c.Summary, tt.problem) {
				t.Errorf("case at %q about %q; want at %q, about %q", c.Location, c.Summary, tt.location, tt.problem)
			}
		})
	}
}

// A teacher's next case offers the place of their last one instead of
// asking them to type it again; "no" asks where, and a new place is used
// as given.
func TestNextCaseOffersTheLastPlace(t *testing.T) {
	for _, tt := range []struct {
		answers []string
		want    string
	}{
		{[]string{"yes"}, "Lincoln MS, Room 204"},
		{[]string{"same room"}, "Lincoln MS, Room 204"},
		{[]string{"no", "Roosevelt HS room 12"}, "Roosevelt HS, Room 12"},
		{[]string{"Roosevelt HS library"}, "Roosevelt HS, Library"},
	} {
		t.Run(strings.Join(tt.answers, "+"), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			r := newReplicas(t, 1, clk, nil)[0]
			ctx := context.Background()
			r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the projector in Lincoln MS room 204 is dead"))
			first := r.note.cards[0].ID
			r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_PAT", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Name: bot.ActionCancelCase, EscalationID: first})

			clk.Add(48 * time.Hour) // a new day: the conversation has expired
			out := joined(r.desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformSlack, Conversation: "D_U_PAT2", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Text: "I need a person, the printer is jammed", Direct: true}))
			if !strings.Contains(out, "Are you in Lincoln MS, Room 204 again?") {
				t.Fatalf("reply = %q; want the last place offered", out)
			}
			for _, a := range tt.answers {
				r.desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformSlack, Conversation: "D_U_PAT2", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Text: a, Direct: true})
			}
			if n := len(r.note.cards); n != 2 || r.note.cards[1].Location != tt.want {
				t.Fatalf("cards = %+v; want a second one at %q", r.note.cards, tt.want)
			}
		})
	}
}

// Asked "which building and room?", people leave out the word "room".
func TestBareRoomNumberInTheAnswer(t *testing.T) {
	for answer, want := range map[string]string{"Lincoln MS 118": "Lincoln MS, Room 118", "118": "Room 118", "Roosevelt HS, B12": "Roosevelt HS, Room B12"} {
		t.Run(answer, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			r := newReplicas(t, 1, clk, nil)[0]
			ctx := context.Background()
			r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the smartboard pen isn't writing"))
			r.desk.HandleMessage(ctx, from("U_PAT", answer))
			if len(r.note.cards) != 1 || r.note.cards[0].Location != want {
				t.Fatalf("cards = %+v; want one at %q", r.note.cards, want)
			}
		})
	}
}

// "yes please" to "which building and room?" agrees to the tech; it is not
// a location. The case is filed at once (the person may have walked away)
// with a request for the place, which then becomes the case's place.
func TestAgreeingIsNotALocation(t *testing.T) {
	for _, answer := range []string{"yes please", "thanks!", "ok"} {
		t.Run(answer, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			r := newReplicas(t, 1, clk, nil)[0]
			ctx := context.Background()
			r.desk.HandleMessage(ctx, from("U_PAT", "Can someone help me set up my new laptop?"))
			out := joined(r.desk.HandleMessage(ctx, from("U_PAT", answer)))
			if len(r.note.cards) != 1 || r.note.cards[0].Location != "" || !strings.Contains(out, "Tell me your building and room") {
				t.Fatalf("reply = %q, cards %+v; want the case filed with no location, and the place asked for", out, r.note.cards)
			}
			out = joined(r.desk.HandleMessage(ctx, from("U_PAT", "Lincoln MS room 12")))
			e, err := r.store.Escalation(ctx, r.note.cards[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.Location != "Lincoln MS, Room 12" || !strings.Contains(out, "come to Lincoln MS, Room 12") {
				t.Errorf("reply = %q, case at %q; want the case moved to Lincoln MS, Room 12", out, e.Location)
			}
			if n := len(r.note.updates); n == 0 || r.note.updates[n-1].Location != "Lincoln MS, Room 12" {
				t.Errorf("the card was not redrawn with the place")
			}
		})
	}
}

// A different problem mentioned while a case is open goes onto it (the tech
// sees it), with the choice to send it as a request of its own; choosing
// that files a second case about the new problem only.
func TestSeparateRequestForADifferentProblem(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the printer in room 5 at Lincoln MS is jammed"))
	first := r.note.cards[0].ID

	out := r.desk.HandleMessage(ctx, from("U_PAT", "also my email isn't syncing on my phone"))
	if len(out) == 0 || !strings.Contains(out[0].Text, "added that to "+first) || len(out[0].Choices) != 1 || out[0].Choices[0].Label != "Separate request" {
		t.Fatalf("reply = %+v; want it added to %s with a Separate request button", out, first)
	}
	o := r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_PAT", From: bot.Person{ID: "U_PAT", Name: "U_PAT"},
		Name: out[0].Choices[0].Action, EscalationID: out[0].Choices[0].Value})
	if len(r.note.cards) != 2 {
		t.Fatalf("cards = %d after Separate request (replies %q); want a second case", len(r.note.cards), joined(o.Replies))
	}
	second := r.note.cards[1]
	if second.Summary != "also my email isn't syncing on my phone" || second.Location != "Lincoln MS, Room 5" {
		t.Errorf("second case = %q at %q; want the email problem, at the same place", second.Summary, second.Location)
	}
	if list := joined([]bot.Reply{r.desk.HandleMessage(ctx, from("U_PAT", "status"))[0]}); !strings.Contains(list, first) || !strings.Contains(list, second.ID) {
		t.Errorf("status = %q; want both requests", list)
	}
	// With both open, more about the printer goes to the printer case.
	out = r.desk.HandleMessage(ctx, from("U_PAT", "the printer also shows a toner warning"))
	if len(out) == 0 || !strings.Contains(out[0].Text, "added that to "+first) || len(out[0].Choices) != 0 {
		t.Errorf("reply = %+v; want it added to the printer case %s, with no Separate request", out, first)
	}
}

// An urgent request is filed before anyone knows where it is (a teacher in
// front of a stopped class may not answer "which room?"); the place follows
// and moves the case. With a remembered place, that place is used at once.
func TestUrgentFiledBeforeThePlace(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	out := joined(r.desk.HandleMessage(ctx, from("U_PAT", "my whole class can't log in and the test starts now")))
	if len(r.note.cards) != 1 || r.note.cards[0].Priority != bot.PriorityUrgent || r.note.cards[0].Location != "" {
		t.Fatalf("cards = %+v; want one urgent case filed at once, no place yet", r.note.cards)
	}
	if !strings.Contains(out, "Which building and room are you in?") {
		t.Errorf("reply = %q; want the place asked for after filing", out)
	}
	id := r.note.cards[0].ID
	r.desk.HandleMessage(ctx, from("U_PAT", "Lincoln MS room 12"))
	if e, _ := r.store.Escalation(ctx, id); e.Location != "Lincoln MS, Room 12" {
		t.Errorf("case place = %q; want Lincoln MS, Room 12", e.Location)
	}

	// Next time (a new conversation), the place is already known.
	r.desk.HandleAction(ctx, bot.Action{Platform: bot.PlatformSlack, Conversation: "D_U_PAT", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Name: bot.ActionCancelCase, EscalationID: id})
	out = joined(r.desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformSlack, Conversation: "D_U_PAT2", From: bot.Person{ID: "U_PAT", Name: "U_PAT"}, Text: "urgent: the projector died mid lesson", Direct: true}))
	if len(r.note.cards) != 2 || r.note.cards[1].Location != "Lincoln MS, Room 12" || !strings.Contains(out, "where your last request was") {
		t.Errorf("reply = %q, cards %+v; want the second urgent case at the remembered place", out, r.note.cards)
	}
}

// A teacher who asks for a tech and never answers "which building and
// room?" still has their request sent, without a place, and is told; an
// answer in time files it once, and the sweep then has nothing to send.
func TestUnansweredPlaceQuestionStillSends(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 2, clk, nil)
	ctx := context.Background()
	r[0].desk.HandleMessage(ctx, from("U_PAT", "I need a person, the copier keeps jamming"))
	if len(r[0].note.cards) != 0 {
		t.Fatalf("filed before the place question was answered")
	}
	clk.Add(5 * time.Minute)
	if n, _ := r[0].desk.FileWaiting(ctx); n != 0 {
		t.Fatalf("sent after 5 minutes: %d", n)
	}
	clk.Add(6 * time.Minute)
	n0, _ := r[0].desk.FileWaiting(ctx)
	n1, _ := r[1].desk.FileWaiting(ctx) // a second replica on the same tick
	if n0+n1 != 1 || len(r[0].note.cards)+len(r[1].note.cards) != 1 {
		t.Fatalf("sent %d+%d, cards %d+%d; want exactly one case", n0, n1, len(r[0].note.cards), len(r[1].note.cards))
	}
	note := r[0].note
	if n1 == 1 {
		note = r[1].note
	}
	id := note.cards[0].ID
	if len(note.told) == 0 || !strings.Contains(note.told[len(note.told)-1].Text, "sent your request to the tech team as "+id) {
		t.Fatalf("told = %+v; want the requester told %s was sent without a place", note.told, id)
	}
	// The place, when it comes, moves the case.
	r[0].desk.HandleMessage(ctx, from("U_PAT", "Lincoln MS room 5"))
	if e, _ := r[0].store.Escalation(ctx, id); e.Location != "Lincoln MS, Room 5" {
		t.Errorf("case place = %q; want Lincoln MS, Room 5", e.Location)
	}

	// Answered in time: one case, and nothing left for the sweep.
	r2 := newReplicas(t, 1, clk, nil)[0]
	r2.desk.HandleMessage(ctx, from("U_SAM", "I need a person, the copier keeps jamming"))
	r2.desk.HandleMessage(ctx, from("U_SAM", "Roosevelt HS room 3"))
	clk.Add(time.Hour)
	if n, _ := r2.desk.FileWaiting(ctx); n != 0 || len(r2.note.cards) != 1 {
		t.Errorf("sweep after an answer sent %d, cards %d; want 0 and 1", n, len(r2.note.cards))
	}
}

// The answer and the sweep at the same moment: the sweep took the request;
// the answer either lands on the case it filed or, if none was filed,
// files it itself, so the request is never lost.
func TestAnswerRacingTheSweep(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	r := newReplicas(t, 1, clk, nil)[0]
	ctx := context.Background()
	r.desk.HandleMessage(ctx, from("U_PAT", "I need a person, the copier keeps jamming"))
	w := r.store.(bot.Waiting)
	due, _ := w.DueWaiting(ctx, clk.Now().Add(time.Hour), 10)
	if len(due) != 1 {
		t.Fatalf("waiting = %v; want the one conversation", due)
	}
	if took, _ := w.TakeWaiting(ctx, due[0]); !took { // a sweep that then stalls
		t.Fatal("could not take the waiting mark")
	}
	r.desk.HandleMessage(ctx, from("U_PAT", "Lincoln MS room 5"))
	if len(r.note.cards) != 1 || r.note.cards[0].Location != "Lincoln MS, Room 5" {
		t.Fatalf("cards = %+v; want the request filed by the answer", r.note.cards)
	}
}
