package redis_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

// Admit gives exactly what Allow and LoadSession give, call for call.
func TestAdmitMatchesSeparateCalls(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		twin := redistest.Store(t) // same server, own prefix: the separate calls
		saved := bot.Session{Key: "slack:D1", Requester: pat, Location: "Room 12",
			Turns: []bot.Turn{{Who: "requester", Text: "printer jam", At: t0}}}
		for _, st := range []*hbredis.Store{s, twin} {
			if err := st.SaveSession(ctx, saved); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 7 {
			key := "slack:D1"
			if i%2 == 1 {
				key = "slack:D-new"
			}
			a := s.Admit(ctx, "slack:U_PAT", 4, time.Minute, key)
			ok, first, err := twin.Allow(ctx, "slack:U_PAT", 4, time.Minute)
			sess, serr := twin.LoadSession(ctx, key)
			if a.Allowed != ok || a.FirstRefusal != first || a.LimitErr != nil || err != nil {
				t.Errorf("message %d: Admit = (%v, %v, %v); Allow = (%v, %v, %v)", i+1, a.Allowed, a.FirstRefusal, a.LimitErr, ok, first, err)
			}
			if a.SessionErr != nil || serr != nil || !reflect.DeepEqual(a.Session, sess) {
				t.Errorf("message %d: Admit's session = %+v, %v; LoadSession = %+v, %v", i+1, a.Session, a.SessionErr, sess, serr)
			}
		}
	})
}

// A session that cannot be read is a fresh start for both.
func TestAdmitUnreadableSession(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := hbredis.New(rdb, hbredis.Options{Prefix: prefix})
	ctx := context.Background()
	if err := rdb.Set(ctx, prefix+hbredis.KeySession+"slack:D1", "{not json", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	a := s.Admit(ctx, "slack:U_PAT", 4, time.Minute, "slack:D1")
	want, err := s.LoadSession(ctx, "slack:D1")
	if a.SessionErr != nil || err != nil || !reflect.DeepEqual(a.Session, want) || a.Session.Key != "slack:D1" {
		t.Errorf("Admit's session = %+v, %v; want %+v (LoadSession's)", a.Session, a.SessionErr, want)
	}
}

// One round trip a message: the rate check and the session read travel
// together; so do a session and its purge index on save.
func TestAdmitAndSaveRoundTrips(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		rt := redistest.CountRoundTrips(s.Client())
		s.Admit(ctx, "slack:U_PAT", 4, time.Minute, "slack:D1") // may load the script
		rt.Reset()
		a := s.Admit(ctx, "slack:U_PAT", 4, time.Minute, "slack:D1")
		if got := rt.Trips(); got != 1 || !a.Allowed {
			t.Errorf("Admit took %d round trips (allowed %v); want 1", got, a.Allowed)
		}
		rt.Reset()
		if err := s.SaveSession(ctx, bot.Session{Key: "slack:D1", Requester: pat}); err != nil {
			t.Fatal(err)
		}
		if got := rt.Trips(); got != 1 {
			t.Errorf("SaveSession took %d round trips; want 1", got)
		}
		keys, err := s.Client().SMembers(ctx, s.Prefix()+hbredis.KeyUserSessions+"slack:"+pat.ID).Result()
		if err != nil || fmt.Sprint(keys) != "[slack:D1]" {
			t.Errorf("purge index after SaveSession = %v, %v; want [slack:D1]", keys, err)
		}
	})
}

// When the server has lost the script (restart, SCRIPT FLUSH), Admit runs
// it once more: the message is counted once, not twice.
func TestAdmitAfterScriptFlush(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		for i := range 3 {
			if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			a := s.Admit(ctx, "slack:U_PAT", 2, time.Minute, "slack:D1")
			want := i < 2
			if a.LimitErr != nil || a.Allowed != want || a.FirstRefusal != (i == 2) {
				t.Errorf("message %d after SCRIPT FLUSH = (%v, %v, %v); want allowed %v", i+1, a.Allowed, a.FirstRefusal, a.LimitErr, want)
			}
		}
	})
}

// Concurrent messages from one person: exactly limit pass and exactly one
// gets the notice, as with Allow.
func TestAdmitConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		const limit, n = 5, 40
		var mu sync.Mutex
		var oks, notices int
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := s.Admit(ctx, "slack:U_PAT", limit, time.Minute, fmt.Sprintf("slack:D%d", i%3))
				if a.LimitErr != nil || a.SessionErr != nil {
					t.Errorf("Admit: %v, %v", a.LimitErr, a.SessionErr)
				}
				mu.Lock()
				defer mu.Unlock()
				if a.Allowed {
					oks++
				} else if a.FirstRefusal {
					notices++
				}
			}()
		}
		wg.Wait()
		if oks != limit || notices != 1 {
			t.Errorf("%d concurrent messages, limit %d: %d allowed, %d notices; want %d, 1", n, limit, oks, notices, limit)
		}
	})
}

// The wrapper's Admit falls back to the local limiter like its Allow; the
// session error is reported as LoadSession's would be.
func TestLimitedStoreAdmitFallsBack(t *testing.T) {
	ctx := context.Background()
	rdb, err := hbredis.Connect("redis://127.0.0.1:1/0") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	down := hbredis.WithLocalRateLimit(hbredis.New(rdb, hbredis.Options{}), 0)
	var got []string
	for range 4 {
		a := down.Admit(ctx, "slack:UPAT", 2, time.Minute, "slack:D1")
		if a.LimitErr != nil || a.SessionErr == nil || a.Session.Key != "slack:D1" {
			t.Fatalf("Admit with Redis down = %+v; want the local answer and a session error", a)
		}
		got = append(got, fmt.Sprint(a.Allowed, a.FirstRefusal))
	}
	want := []string{"true false", "true false", "false true", "false false"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with Redis down: %v; want %v", got, want)
	}
	up := hbredis.WithLocalRateLimit(redistest.Store(t), 0)
	if a := up.Admit(ctx, "slack:UPAT", 2, time.Minute, "slack:D1"); !a.Allowed || a.LimitErr != nil || a.SessionErr != nil || up.Local().Len() != 0 {
		t.Fatalf("Admit with Redis up = %+v, local users %d; want Redis's answer", a, up.Local().Len())
	}
}
