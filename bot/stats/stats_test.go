package stats

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
)

var chicago = mustZone("America/Chicago")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// at is a local time on Monday 23 November 2026 in Chicago.
func at(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, chicago) }

type fixture struct {
	rdb    goredis.UniversalClient
	prefix string
	store  *Store
	rec    *Recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(rdb, prefix, chicago)
	return &fixture{rdb: rdb, prefix: prefix, store: s, rec: s.Recorder(RecorderOptions{Redact: redactWith(sc)})}
}

func redactWith(sc *screen.Screener) func(string) string {
	return func(s string) string { t, _ := sc.Redact(s); return t }
}

func (f *fixture) record(t *testing.T, events ...bot.Event) {
	t.Helper()
	for _, e := range events {
		if e.Platform == "" {
			e.Platform = bot.PlatformSlack
		}
		if err := f.rec.Record(context.Background(), e); err != nil {
			t.Fatalf("record %s: %v", e.Type, err)
		}
	}
}

var (
	noSignal   = bot.Source{Title: "Projector shows no signal", Path: "classroom/no-signal.md"}
	noSignalHD = bot.Source{Title: "Projector shows no signal", Path: "classroom/no-signal.md", Section: "HDMI"}
	paperJam   = bot.Source{Title: "Clear a printer paper jam", Path: "classroom/printer-jam.md"}
	sam        = bot.Person{ID: "U0SAM", Name: "Sam Ortiz"}
	alex       = bot.Person{ID: "U0ALEX", Name: "Alex Kim"}
)

func escCase(id string, prio bot.Priority, reason bot.Reason, created time.Time) bot.Escalation {
	return bot.Escalation{ID: id, Platform: bot.PlatformSlack, Priority: prio, Reason: reason, Status: bot.StatusOpen, CreatedAt: created}
}

func claimed(e bot.Escalation, tech bot.Person, t time.Time) *bot.Escalation {
	e.Status, e.Claimer, e.ClaimedAt = bot.StatusClaimed, tech, t
	return &e
}

func resolved(e bot.Escalation, tech bot.Person, claimedAt, t time.Time) *bot.Escalation {
	e.Status, e.Claimer, e.ClaimedAt, e.ResolvedAt = bot.StatusResolved, tech, claimedAt, t
	return &e
}

// seedDay plays one school day at the desk as events: five questions,
// three answered, three the KB could not answer (two of them the same
// question), a refusal, three cases with claims, a release, resolves, a
// reopen and verdicts (one double-clicked).
func seedDay(t *testing.T, f *fixture) {
	f.record(t, seedEvents()...)
}

func seedEvents() []bot.Event {
	a := escCase("IT-1001", bot.PriorityNormal, bot.ReasonRequested, at(8, 0))
	b := escCase("IT-1002", bot.PriorityUrgent, bot.ReasonUrgent, at(9, 0))
	c := escCase("IT-1003", bot.PriorityNormal, bot.ReasonUnanswered, at(10, 0))
	bResolved := resolved(b, alex, at(9, 1), at(9, 31))
	bResolvedAgain := resolved(b, alex, at(10, 45), at(11, 0))
	return []bot.Event{
		bot.Event{Type: bot.EventAsked, At: at(7, 50)},
		bot.Event{Type: bot.EventAsked, At: at(7, 55)},
		bot.Event{Type: bot.EventAsked, At: at(8, 10)},
		bot.Event{Type: bot.EventAsked, At: at(8, 20)},
		bot.Event{Type: bot.EventAsked, At: at(23, 30)}, // still Monday in Chicago, Tuesday in UTC
		bot.Event{Type: bot.EventAnswered, At: at(7, 51), Sources: []bot.Source{noSignal, noSignalHD}},
		bot.Event{Type: bot.EventAnswered, At: at(7, 56), Sources: []bot.Source{noSignal}},
		bot.Event{Type: bot.EventAnswered, At: at(8, 11), Sources: []bot.Source{paperJam}},
		bot.Event{Type: bot.EventSolved, At: at(7, 52)},
		bot.Event{Type: bot.EventNotSure, At: at(8, 21), Question: "How do I set up the 3D printer?"},
		bot.Event{Type: bot.EventNotSure, At: at(8, 40), Question: "how do i set up the 3d printer"},
		bot.Event{Type: bot.EventNotSure, At: at(8, 41), Question: "My student Jake Miller can't log in to Clever, reply to pat.rivera@district.org"},
		bot.Event{Type: bot.EventPolicy, At: at(8, 30)},

		bot.Event{Type: bot.EventEscalated, At: a.CreatedAt, Case: &a},
		bot.Event{Type: bot.EventEscalated, At: b.CreatedAt, Case: &b},
		bot.Event{Type: bot.EventEscalated, At: c.CreatedAt, Case: &c},
		bot.Event{Type: bot.EventClaimed, At: at(8, 4), Case: claimed(a, sam, at(8, 4))},     // 4 min
		bot.Event{Type: bot.EventClaimed, At: at(9, 1), Case: claimed(b, alex, at(9, 1))},    // 1 min
		bot.Event{Type: bot.EventClaimed, At: at(10, 10), Case: claimed(c, sam, at(10, 10))}, // 10 min
		bot.Event{Type: bot.EventReleased, At: at(10, 20), Case: &c},
		bot.Event{Type: bot.EventClaimed, At: at(10, 30), Case: claimed(c, alex, at(10, 30))},        // not a new wait
		bot.Event{Type: bot.EventResolved, At: at(9, 0), Case: resolved(a, sam, at(8, 4), at(9, 0))}, // 60 min
		bot.Event{Type: bot.EventResolved, At: at(9, 31), Case: bResolved},                           // 31 min
		bot.Event{Type: bot.EventSatisfaction, At: at(9, 5), Case: resolved(a, sam, at(8, 4), at(9, 0)), Verdict: bot.VerdictFixed},
		bot.Event{Type: bot.EventSatisfaction, At: at(9, 5), Case: resolved(a, sam, at(8, 4), at(9, 0)), Verdict: bot.VerdictFixed}, // double click
		bot.Event{Type: bot.EventSatisfaction, At: at(9, 40), Case: bResolved, Verdict: bot.VerdictNotFixed},
		bot.Event{Type: bot.EventReopened, At: at(9, 40), Case: &b},
		bot.Event{Type: bot.EventClaimed, At: at(10, 45), Case: claimed(b, alex, at(10, 45))},
		bot.Event{Type: bot.EventResolved, At: at(11, 0), Case: bResolvedAgain}, // first resolve already counted
		bot.Event{Type: bot.EventSatisfaction, At: at(11, 5), Case: bResolvedAgain, Verdict: bot.VerdictFixed},
		bot.Event{Type: bot.EventFileFailed, At: at(12, 0)},

		// Tuesday: not in Monday's figures.
		bot.Event{Type: bot.EventAsked, At: at(24, 30)},
	}
}

func TestDayFiguresFromASeededDay(t *testing.T) {
	f := newFixture(t)
	seedDay(t, f)
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"questions asked", r.Asked, int64(5)},
		{"answered by the bot", r.Answered, int64(3)},
		{"answered share", fmt.Sprintf("%.2f", r.AnsweredShare), "0.60"},
		{"said fixed", r.Solved, int64(1)},
		{"not sure", r.NotSure, int64(3)},
		{"policy refusals", r.Policy, int64(1)},
		{"escalations", r.Escalations.Total, int64(3)},
		{"urgent", r.Escalations.ByPriority["urgent"], int64(1)},
		{"normal", r.Escalations.ByPriority["normal"], int64(2)},
		{"reason requested", r.Escalations.ByReason["requested"], int64(1)},
		{"reason urgent", r.Escalations.ByReason["urgent"], int64(1)},
		{"reason not in KB", r.Escalations.ByReason["not_in_kb"], int64(1)},
		{"claims", r.Claims, int64(5)},
		{"releases", r.Releases, int64(1)},
		{"resolves", r.Resolves, int64(3)},
		{"reopened", r.Reopened, int64(1)},
		{"could not file", r.FileFailed, int64(1)},
		{"time to claim samples", r.TimeToClaim.Count, 3},
		{"median time to claim (4 min of 1, 4, 10)", r.TimeToClaim.MedianSeconds, 240.0},
		{"p90 time to claim", r.TimeToClaim.P90Seconds, 600.0},
		{"time to resolve samples", r.TimeToResolve.Count, 2},
		{"median time to resolve (of 60 and 31 min)", r.TimeToResolve.MedianSeconds, 45.5 * 60},
		{"fixed", r.Satisfaction.Fixed, int64(2)},
		{"not fixed", r.Satisfaction.NotFixed, int64(1)},
		{"techs with verdicts", len(r.Satisfaction.Techs), 2},
		{"first tech (most verdicts)", r.Satisfaction.Techs[0], Tech{Platform: "slack", ID: "U0ALEX", Name: "Alex Kim", Fixed: 1, NotFixed: 1}},
		{"second tech", r.Satisfaction.Techs[1], Tech{Platform: "slack", ID: "U0SAM", Name: "Sam Ortiz", Fixed: 1}},
		{"topics", len(r.TopTopics), 2},
		{"top topic (two answers, one counting two sections once)", r.TopTopics[0], Topic{Path: "classroom/no-signal.md", Title: "Projector shows no signal", Count: 2}},
		{"second topic", r.TopTopics[1], Topic{Path: "classroom/printer-jam.md", Title: "Clear a printer paper jam", Count: 1}},
		{"distinct unanswered", len(r.Unanswered), 2},
		{"top unanswered (asked twice, first spelling shown)", r.Unanswered[0], Question{Question: "How do I set up the 3D printer?", Count: 2}},
		{"second unanswered (name and email removed)", r.Unanswered[1], Question{Question: "My student [name] can't log in to Clever, reply to [email]", Count: 1}},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	var texts []string
	for _, q := range r.Unanswered {
		texts = append(texts, q.Question)
	}
	all := strings.Join(texts, "\n")
	for _, leak := range []string{"pat.rivera", "district.org", "Jake", "Miller"} {
		if strings.Contains(all, leak) {
			t.Errorf("unanswered list leaks %q:\n%s", leak, all)
		}
	}
}

func TestUnansweredQuestionsAreDedupedCaseInsensitively(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{
		"How do I set up the 3D printer?",
		"how do i set up the 3d printer",
		"HOW DO I SET UP THE 3D PRINTER ??",
		"  how do I   set up the 3D printer. ",
		"Where is the laminator?",
	} {
		f.record(t, bot.Event{Type: bot.EventNotSure, At: at(9, 0), Question: q})
	}
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Question{{"How do I set up the 3D printer?", 4}, {"Where is the laminator?", 1}}
	if fmt.Sprint(r.Unanswered) != fmt.Sprint(want) {
		t.Errorf("unanswered = %v; want %v (first spelling shown, counted case-insensitively)", r.Unanswered, want)
	}
}

func TestAnonymize(t *testing.T) {
	sc, err := screen.New(screen.Options{StudentIDPatterns: []string{`\bS\d{7}\b`}})
	if err != nil {
		t.Fatal(err)
	}
	redact := redactWith(sc)
	tests := []struct {
		name, in, want string
	}{
		{"email and student name", "my student Jake Miller (jake.miller@students.district.org) can't log in",
			"my student [name] ([email]) can't log in"},
		{"possessive kept", "My student Ana's Chromebook won't charge", "My student [name]'s Chromebook won't charge"},
		{"lower-case name after my student", "my student jake can't get into clever", "my student [name] can't get into clever"},
		{"ordinary words after my student are kept", "my student can't log in and my students chromebook is cracked",
			"my student can't log in and my students chromebook is cracked"},
		{"several names", "Students Ana and Ben Ortiz can't print", "Students [name] can't print"},
		{"named", "a kid named tyler broke the projector", "a kid named [name] broke the projector"},
		{"her son", "her son Marcus lost his iPad", "her son [name] lost his iPad"},
		{"district student id and phone", "student S1234567 needs a reset, call 555-123-4567",
			"student [student id] needs a reset, call [phone]"},
		{"password", "my password is Hunter22 and it won't work", "my password is [password removed] and it won't work"},
		{"spaces collapsed", "printer\n\n   broken   again", "printer broken again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, key := Anonymize(tt.in, redact)
			if got != tt.want {
				t.Errorf("Anonymize(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if key != strings.ToLower(key) {
				t.Errorf("key %q is not lower case", key)
			}
		})
	}
	long := strings.Repeat("the projector flickers ", 40)
	if got, _ := Anonymize(long, redact); len([]rune(got)) != MaxQuestionRunes {
		t.Errorf("long question kept at %d runes; want the cap %d", len([]rune(got)), MaxQuestionRunes)
	}
	if _, key := Anonymize("[email] ???", redact); key != "" {
		t.Errorf("nothing but a placeholder gave key %q; want it dropped", key)
	}
}

func TestUnansweredListIsCappedPerDay(t *testing.T) {
	f := newFixture(t)
	for i := range MaxUnanswered + 5 {
		f.record(t, bot.Event{Type: bot.EventNotSure, At: at(9, 0), Question: fmt.Sprintf("question number %d about the laminator", i)})
	}
	f.record(t, bot.Event{Type: bot.EventNotSure, At: at(9, 1), Question: "Question number 0 about the laminator"})
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.rdb.ZCard(context.Background(), f.store.dayKey("2026-11-23", famUnans)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != MaxUnanswered || r.UnansweredDropped != 5 {
		t.Errorf("kept %d, dropped %d; want %d kept and 5 dropped", n, r.UnansweredDropped, MaxUnanswered)
	}
	if r.Unanswered[0].Count != 2 || !strings.Contains(r.Unanswered[0].Question, "number 0") {
		t.Errorf("a kept question asked again must still count: top = %+v", r.Unanswered[0])
	}
	if len(r.Unanswered) != UnansweredN {
		t.Errorf("report lists %d questions; want the top %d", len(r.Unanswered), UnansweredN)
	}
}

func TestReplicasRecordingAtOnceLoseNothing(t *testing.T) {
	f := newFixture(t)
	// A second replica: its own client and recorder on the same Redis.
	other := New(f.rdb, f.prefix, chicago).Recorder(RecorderOptions{Redact: func(s string) string { return s }})
	a := escCase("IT-1001", bot.PriorityNormal, bot.ReasonRequested, at(8, 0))
	fixed := bot.Event{Type: bot.EventSatisfaction, At: at(9, 5), Case: resolved(a, sam, at(8, 4), at(9, 0)), Verdict: bot.VerdictFixed}
	var wg sync.WaitGroup
	for i := range 40 {
		rec := f.rec
		if i%2 == 1 {
			rec = other
		}
		wg.Go(func() {
			ctx := context.Background()
			_ = rec.Record(ctx, bot.Event{Type: bot.EventAsked, At: at(9, 0)})
			_ = rec.Record(ctx, bot.Event{Type: bot.EventNotSure, At: at(9, 0), Question: "where is the laminator"})
			_ = rec.Record(ctx, bot.Event{Type: bot.EventClaimed, At: at(8, 4), Case: claimed(a, sam, at(8, 4))})
			_ = rec.Record(ctx, fixed) // the same click delivered to every replica
		})
	}
	wg.Wait()
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Asked != 40 || r.Unanswered[0].Count != 40 || r.Claims != 40 {
		t.Errorf("asked %d, laminator %d, claims %d; want 40 each", r.Asked, r.Unanswered[0].Count, r.Claims)
	}
	if r.TimeToClaim.Count != 1 || r.Satisfaction.Fixed != 1 {
		t.Errorf("claim samples %d, fixed %d; want one case's wait and one verdict", r.TimeToClaim.Count, r.Satisfaction.Fixed)
	}
}

func TestReportOverSeveralDays(t *testing.T) {
	f := newFixture(t)
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, chicago) }
	mk := func(id string, created, claimedAt time.Time) []bot.Event {
		e := escCase(id, bot.PriorityNormal, bot.ReasonRequested, created)
		return []bot.Event{{Type: bot.EventEscalated, At: created, Case: &e}, {Type: bot.EventClaimed, At: claimedAt, Case: claimed(e, sam, claimedAt)}}
	}
	f.record(t, bot.Event{Type: bot.EventAsked, At: day(17, 9)}, bot.Event{Type: bot.EventAsked, At: day(19, 9)},
		bot.Event{Type: bot.EventAsked, At: day(19, 10)}, bot.Event{Type: bot.EventAnswered, At: day(19, 10), Sources: []bot.Source{noSignal}},
		bot.Event{Type: bot.EventNotSure, At: day(17, 9), Question: "Where is the laminator?"},
		bot.Event{Type: bot.EventNotSure, At: day(19, 9), Question: "where is the laminator"},
		bot.Event{Type: bot.EventAsked, At: day(16, 9)}, // outside the window
	)
	f.record(t, mk("IT-1", day(17, 8), day(17, 8).Add(2*time.Minute))...)
	f.record(t, mk("IT-2", day(19, 8), day(19, 8).Add(8*time.Minute))...)
	f.record(t, mk("IT-3", day(19, 9), day(19, 9).Add(3*time.Minute))...)
	f.record(t, mk("IT-4", day(19, 10), day(19, 10).Add(20*time.Minute))...)

	days := f.store.Days(day(19, 15), 3)
	if strings.Join(days, ",") != "2026-11-17,2026-11-18,2026-11-19" {
		t.Fatalf("Days = %v", days)
	}
	r, err := f.store.Report(context.Background(), days)
	if err != nil {
		t.Fatal(err)
	}
	if r.Asked != 3 || r.Answered != 1 || r.Escalations.Total != 4 {
		t.Errorf("asked %d answered %d cases %d; want 3, 1, 4", r.Asked, r.Answered, r.Escalations.Total)
	}
	// Waits 2, 8, 3, 20 min across two days: the median is (3+8)/2 = 5.5 min.
	if r.TimeToClaim.Count != 4 || r.TimeToClaim.MedianSeconds != 330 {
		t.Errorf("time to claim = %+v; want 4 samples, median 330 s", r.TimeToClaim)
	}
	if len(r.Unanswered) != 1 || r.Unanswered[0].Count != 2 {
		t.Errorf("unanswered = %+v; want the laminator question twice across days", r.Unanswered)
	}
	if len(r.PerDay) != 3 || r.PerDay[1] != (DayFigures{Day: "2026-11-18"}) || r.PerDay[2].Escalations != 3 {
		t.Errorf("per day = %+v", r.PerDay)
	}
	table := r.Table()
	for _, want := range []string{"2026-11-17 to 2026-11-19 (3 days, America/Chicago)", "Median time to claim", "6 min" /* 5.5 min, rounded */, "Where is the laminator?", "Per day"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestEveryStatsKeyHasATTL(t *testing.T) {
	f := newFixture(t)
	seedDay(t, f)
	d := &Digest{Stats: f.store, Hour: 15, Minute: 30, PostQuiet: true,
		Broadcasters: func() map[string]bot.Broadcaster { return map[string]bot.Broadcaster{"console": &channel{}} }}
	if _, err := d.Post(context.Background(), at(15, 30)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var keys []string
	iter := f.rdb.Scan(ctx, 0, f.prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) < 10 {
		t.Fatalf("only %d keys written: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, f.prefix+KeyStats) {
			t.Errorf("key %s is outside the stats: family", k)
		}
		ttl, err := f.rdb.TTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || ttl > TTL {
			t.Errorf("key %s has TTL %v; want (0, %v]", k, ttl, TTL)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		sec  float64
		want string
	}{{0, "0 s"}, {42.4, "42 s"}, {240, "4 min"}, {2730, "46 min"}, {3600, "1 h"}, {3900, "1 h 5 min"}, {3 * 86400, "3 days"}} {
		if got := Duration(tt.sec); got != tt.want {
			t.Errorf("Duration(%v) = %q; want %q", tt.sec, got, tt.want)
		}
	}
}

func TestForgettingATechRemovesTheirNameAndVerdicts(t *testing.T) {
	f := newFixture(t)
	f.rec.now = func() time.Time { return at(18, 0) }
	seedDay(t, f)
	n, err := f.rec.ForgetUser(context.Background(), bot.PlatformSlack, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 { // Sam's "fixed" count and Sam's name
		t.Errorf("ForgetUser removed %d fields; want 2", n)
	}
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tech := range r.Satisfaction.Techs {
		if tech.ID == sam.ID || tech.Name == sam.Name {
			t.Errorf("forgotten tech still listed: %+v", tech)
		}
	}
	if r.Satisfaction.Fixed != 2 || len(r.Satisfaction.Techs) != 1 {
		t.Errorf("totals %d fixed, %d techs; want the day's totals kept (2) and only Alex listed", r.Satisfaction.Fixed, len(r.Satisfaction.Techs))
	}
	if strings.Contains(r.Digest(at(18, 0), nil), "Sam") {
		t.Error("digest still names the forgotten tech")
	}
}
