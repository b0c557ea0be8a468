package redis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

// backends runs each store test on the embedded server and, when
// HELPBOT_TEST_REDIS_URL is set, on the real one too.
func backends(t *testing.T, f func(t *testing.T, s *hbredis.Store)) {
	t.Run("embedded", func(t *testing.T) {
		t.Setenv(redistest.EnvURL, "")
		os.Unsetenv(redistest.EnvURL)
		f(t, redistest.Store(t))
	})
	if u := os.Getenv(redistest.EnvURL); u != "" {
		t.Run("real", func(t *testing.T) {
			f(t, redistest.Store(t))
		})
	}
}

var (
	t0    = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	pat   = bot.Person{ID: "U_PAT", Name: "Pat Rivera"}
	alex  = bot.Person{ID: "U_ALEX", Name: "Alex Chen"}
	jamie = bot.Person{ID: "U_JAMIE", Name: "Jamie Ortiz"}
)

func newCase(t *testing.T, s *hbredis.Store) bot.Escalation {
	t.Helper()
	e, err := s.CreateEscalation(context.Background(), bot.Escalation{
		Priority: bot.PriorityNormal, Reason: bot.ReasonRequested, Requester: pat,
		Platform: bot.PlatformConsole, Conversation: "dm-pat", Summary: "projector shows no signal",
		Location: "Lincoln MS, Room 204", CreatedAt: t0,
		Transcript: []bot.Turn{{Who: "requester", Text: "projector shows no signal", At: t0}},
		Articles:   []bot.Source{{Title: "No signal", Path: "classroom/no-signal.md"}},
	})
	if err != nil {
		t.Fatalf("CreateEscalation: %v", err)
	}
	return e
}

func TestCaseLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		e := newCase(t, s)
		if e.ID != "IT-1001" || e.Status != bot.StatusOpen {
			t.Fatalf("first case = %s %s; want IT-1001 open", e.ID, e.Status)
		}
		if e2 := newCase(t, s); e2.ID != "IT-1002" {
			t.Errorf("second case id = %s; want IT-1002", e2.ID)
		}
		got, err := s.Escalation(ctx, e.ID)
		if err != nil || got.Summary != e.Summary || got.Location != e.Location || len(got.Transcript) != 1 || !got.CreatedAt.Equal(t0) {
			t.Fatalf("Escalation(%s) = %+v, %v; want the stored case back", e.ID, got, err)
		}

		c, first, err := s.Claim(ctx, e.ID, alex, t0.Add(time.Minute))
		if err != nil || !first || c.Status != bot.StatusClaimed || c.Claimer != alex {
			t.Fatalf("Claim = %s %+v first=%v %v; want claimed by Alex", c.Status, c.Claimer, first, err)
		}
		if _, first, err := s.Claim(ctx, e.ID, alex, t0.Add(2*time.Minute)); err != nil || first {
			t.Errorf("same tech claiming again = first %v, %v; want success, not first", first, err)
		}
		if c, _, err := s.Claim(ctx, e.ID, jamie, t0.Add(2*time.Minute)); !errors.Is(err, bot.ErrAlreadyClaimed) || c.Claimer != alex {
			t.Errorf("second tech Claim err = %v claimer %v; want ErrAlreadyClaimed by Alex", err, c.Claimer)
		}
		if _, err := s.Release(ctx, e.ID, jamie, t0); !errors.Is(err, bot.ErrNotClaimer) {
			t.Errorf("Release by non-claimer = %v; want ErrNotClaimer", err)
		}
		if r, err := s.Release(ctx, e.ID, alex, t0); err != nil || r.Status != bot.StatusOpen || r.Claimer.ID != "" {
			t.Errorf("Release = %s %v, %v; want open and unclaimed", r.Status, r.Claimer, err)
		}
		if _, _, err := s.Claim(ctx, e.ID, jamie, t0); err != nil {
			t.Errorf("Claim after release = %v", err)
		}
		r, err := s.Resolve(ctx, e.ID, jamie, t0.Add(time.Hour))
		if err != nil || r.Status != bot.StatusResolved || !r.ResolvedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("Resolve = %s %v; want resolved", r.Status, err)
		}
		if _, err := s.Resolve(ctx, e.ID, jamie, t0.Add(time.Hour)); err != nil {
			t.Errorf("Resolve repeated by the same tech = %v; want success", err)
		}
		if _, _, err := s.Claim(ctx, e.ID, alex, t0); !errors.Is(err, bot.ErrClosed) {
			t.Errorf("Claim after resolve = %v; want ErrClosed", err)
		}
		open, err := s.OpenEscalations(ctx, 10)
		if err != nil || len(open) != 1 || open[0].ID != "IT-1002" {
			t.Errorf("OpenEscalations = %v, %v; want only IT-1002", ids(open), err)
		}
		if err := s.SetSatisfaction(ctx, e.ID, bot.VerdictNotFixed, t0); err != nil {
			t.Fatal(err)
		}
		re, err := s.Reopen(ctx, e.ID, t0)
		if err != nil || re.Status != bot.StatusOpen || re.Satisfaction != bot.VerdictNotFixed {
			t.Errorf("Reopen = %s sat=%q, %v; want open with the verdict kept", re.Status, re.Satisfaction, err)
		}
		// Resolved again: "is it fixed?" is a new question; the old answer goes.
		if r, err := s.Resolve(ctx, e.ID, jamie, t0.Add(2*time.Hour)); err != nil || r.Satisfaction != "" {
			t.Errorf("Resolve after reopen = sat %q, %v; want no verdict yet", r.Satisfaction, err)
		}
		if _, err := s.Reopen(ctx, e.ID, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		cx, err := s.Cancel(ctx, e.ID, t0)
		if err != nil || cx.Status != bot.StatusCancelled {
			t.Errorf("Cancel = %s, %v", cx.Status, err)
		}
		mine, err := s.RequesterEscalations(ctx, bot.PlatformConsole, pat.ID, 10)
		if err != nil || len(mine) != 1 || mine[0].ID != "IT-1002" {
			t.Errorf("RequesterEscalations = %v, %v; want the one still open", ids(mine), err)
		}
	})
}

// What the requester says after filing is added to the case, after the
// excerpt taken when it was filed, keeping the latest MaxNotes.
func TestCaseNotes(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		e := newCase(t, s)
		before := len(e.Transcript)
		for i := range hbredis.MaxNotes + 2 {
			got, err := s.AddNote(ctx, e.ID, bot.Turn{Who: "requester", Text: fmt.Sprintf("note %d", i), At: t0.Add(time.Duration(i) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(got.Transcript); n != before+min(i+1, hbredis.MaxNotes) {
				t.Fatalf("after note %d the transcript has %d turns; want %d", i, n, before+min(i+1, hbredis.MaxNotes))
			}
		}
		got, _ := s.Escalation(ctx, e.ID)
		last := got.Transcript[len(got.Transcript)-1]
		first := got.Transcript[before]
		if last.Text != fmt.Sprintf("note %d", hbredis.MaxNotes+1) || first.Text != "note 2" || got.Summary != e.Summary {
			t.Errorf("notes = first %q, last %q, summary %q; want note 2 … note %d, summary kept", first.Text, last.Text, got.Summary, hbredis.MaxNotes+1)
		}
		if err := s.SetUrgent(ctx, e.ID, t0); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Escalation(ctx, e.ID); got.Priority != bot.PriorityUrgent {
			t.Errorf("priority after SetUrgent = %s; want urgent", got.Priority)
		}
		if err := s.SetUrgent(ctx, "IT-9999", t0); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("SetUrgent on a missing case = %v; want ErrNotFound", err)
		}
		if _, err := s.AddNote(ctx, "IT-9999", bot.Turn{Text: "x"}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("AddNote to a missing case = %v; want ErrNotFound", err)
		}
	})
}

func TestMissingCases(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		if _, err := s.Escalation(ctx, "IT-9999"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Escalation(missing) = %v; want ErrNotFound", err)
		}
		if _, _, err := s.Claim(ctx, "IT-9999", alex, t0); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Claim(missing) = %v; want ErrNotFound", err)
		}
		if _, err := s.Resolve(ctx, "", alex, t0); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Resolve(\"\") = %v; want ErrNotFound", err)
		}
		if err := s.SetCard(ctx, "IT-9999", "x"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("SetCard(missing) = %v; want ErrNotFound (and no key created)", err)
		}
	})
}

// Fifty techs press Claim at the same moment: exactly one owns the case.
func TestConcurrentClaims(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		e := newCase(t, s)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []string
			taken   int
		)
		start := make(chan struct{})
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tech := bot.Person{ID: fmt.Sprintf("U_TECH%02d", i)}
				<-start
				_, first, err := s.Claim(context.Background(), e.ID, tech, t0)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && first:
					winners = append(winners, tech.ID)
				case errors.Is(err, bot.ErrAlreadyClaimed):
					taken++
				default:
					t.Errorf("Claim by %s = first %v, %v", tech.ID, first, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 || taken != 49 {
			t.Fatalf("winners = %v, refused = %d; want exactly one winner and 49 refusals", winners, taken)
		}
		got, _ := s.Escalation(context.Background(), e.ID)
		if got.Claimer.ID != winners[0] {
			t.Errorf("stored claimer = %s; want the winner %s", got.Claimer.ID, winners[0])
		}
	})
}

func TestSessionsDedupeAndRate(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		sess, err := s.LoadSession(ctx, "console:dm-pat")
		if err != nil || sess.Key != "console:dm-pat" || len(sess.Turns) != 0 {
			t.Fatalf("LoadSession(new) = %+v, %v; want empty session with key", sess, err)
		}
		sess.Location = "Room 12"
		sess.Turns = []bot.Turn{{Who: "requester", Text: "printer jam", At: t0}}
		if err := s.SaveSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		back, err := s.LoadSession(ctx, "console:dm-pat")
		if err != nil || back.Location != "Room 12" || len(back.Turns) != 1 {
			t.Errorf("LoadSession = %+v, %v; want the saved session", back, err)
		}
		if err := s.DeleteSession(ctx, "console:dm-pat"); err != nil {
			t.Fatal(err)
		}
		if back, _ := s.LoadSession(ctx, "console:dm-pat"); back.Location != "" {
			t.Errorf("session survived DeleteSession")
		}

		for i, want := range []bool{true, false, false} {
			if got, err := s.Once(ctx, "slack:Ev123", time.Hour); err != nil || got != want {
				t.Errorf("Once #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}

		var oks, notices, silent int
		for range 8 {
			ok, first, err := s.Allow(ctx, "console:U_PAT", 5, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case ok:
				oks++
			case first:
				notices++
			default:
				silent++
			}
		}
		if oks != 5 || notices != 1 || silent != 2 {
			t.Errorf("Allow x8 with limit 5 = %d allowed, %d notices, %d silent; want 5, 1, 2", oks, notices, silent)
		}
	})
}

func ids(es []bot.Escalation) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// A person's last place is kept with an expiry and replaced whole by the
// next one.
func TestLastPlace(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		if _, ok, err := s.LastPlace(ctx, "slack", "U1"); ok || err != nil {
			t.Fatalf("LastPlace before any = %v, %v; want none", ok, err)
		}
		if err := s.RememberPlace(ctx, "slack", "U1", bot.Place{Location: "Lincoln MS, Room 204", Building: "Lincoln MS"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RememberPlace(ctx, "slack", "U1", bot.Place{Location: "Library"}); err != nil {
			t.Fatal(err)
		}
		p, ok, err := s.LastPlace(ctx, "slack", "U1")
		if err != nil || !ok || p != (bot.Place{Location: "Library"}) {
			t.Errorf("LastPlace = %+v, %v, %v; want the library, with no building left over", p, ok, err)
		}
		if _, ok, _ := s.LastPlace(ctx, "teams", "U1"); ok {
			t.Error("a Slack user's place answered for the same id on Teams")
		}
		ttl, err := s.Client().TTL(ctx, s.Prefix()+hbredis.KeyPlace+"slack:U1").Result()
		if err != nil || ttl <= 0 || ttl > hbredis.PlaceTTL {
			t.Errorf("TTL = %v, %v; want (0, %v]", ttl, err, hbredis.PlaceTTL)
		}
	})
}
