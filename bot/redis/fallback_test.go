package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

// The wrapper keeps every ability the desk looks for on its store.
var (
	_ bot.Store      = (*hbredis.LimitedStore)(nil)
	_ bot.Incidents  = (*hbredis.LimitedStore)(nil)
	_ bot.DataRights = (*hbredis.LimitedStore)(nil)
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time                       { return c.t }
func (c *fakeClock) add(d time.Duration)                  { c.t = c.t.Add(d) }
func newClock() *fakeClock                                { return &fakeClock{t: time.Date(2025, 9, 2, 8, 0, 0, 0, time.UTC)} }
func step(l *hbredis.LocalLimiter, u string) (bool, bool) { return l.Allow(u, 3, time.Minute) }

func TestLocalLimiterOneNoticePerWindow(t *testing.T) {
	c := newClock()
	l := hbredis.NewLocalLimiter(0, c.now)
	for i := range 3 {
		if ok, _ := step(l, "pat"); !ok {
			t.Fatalf("message %d refused; want the first 3 allowed", i+1)
		}
	}
	if ok, first := step(l, "pat"); ok || !first {
		t.Fatalf("4th = (%v, %v); want refused with the one notice", ok, first)
	}
	for i := range 5 {
		if ok, first := step(l, "pat"); ok || first {
			t.Fatalf("refusal %d = (%v, %v); want refused silently", i+2, ok, first)
		}
	}
	if ok, _ := step(l, "sam"); !ok {
		t.Fatal("another person is limited by pat's flood")
	}
	c.add(20 * time.Second) // one token back (3 per minute)
	if ok, _ := step(l, "pat"); !ok {
		t.Fatal("after a third of the window one message should pass")
	}
	if ok, first := step(l, "pat"); ok || first {
		t.Fatalf("still within the notice window = (%v, %v); want a silent refusal", ok, first)
	}
	c.add(time.Minute)
	for range 3 {
		step(l, "pat")
	}
	if ok, first := step(l, "pat"); ok || !first {
		t.Fatalf("flooding again a window later = (%v, %v); want one new notice", ok, first)
	}
}

func TestLocalLimiterBoundedMemory(t *testing.T) {
	c := newClock()
	l := hbredis.NewLocalLimiter(100, c.now)
	for i := range 1000 {
		l.Allow(fmt.Sprintf("user%d", i), 3, time.Minute)
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("remembers %d people; want at most 100", n)
	}
	// The most recent flooder is still remembered and still limited.
	for range 3 {
		l.Allow("user999", 3, time.Minute)
	}
	if ok, _ := l.Allow("user999", 3, time.Minute); ok {
		t.Fatal("a recent flooder was forgotten")
	}
}

func TestLocalLimiterOff(t *testing.T) {
	l := hbredis.NewLocalLimiter(1, nil)
	for range 10 {
		if ok, _ := l.Allow("pat", 0, time.Minute); !ok {
			t.Fatal("limit 0 must allow everything")
		}
	}
}

// With Redis answering, the shared window decides; with Redis gone, each
// replica still limits a flood on its own and sends one notice.
func TestLimitedStoreFallsBackWhenRedisIsDown(t *testing.T) {
	ctx := context.Background()
	up := hbredis.WithLocalRateLimit(redistest.Store(t), 0)
	for range 2 {
		if ok, _, err := up.Allow(ctx, "slack:UPAT", 2, time.Minute); !ok || err != nil {
			t.Fatalf("Allow = %v, %v; want allowed", ok, err)
		}
	}
	if ok, first, err := up.Allow(ctx, "slack:UPAT", 2, time.Minute); ok || !first || err != nil {
		t.Fatalf("3rd via Redis = (%v, %v, %v); want refused, first", ok, first, err)
	}
	if up.Local().Len() != 0 {
		t.Fatal("the local limiter was used while Redis answered")
	}

	rdb, err := hbredis.Connect("redis://127.0.0.1:1/0") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	down := hbredis.WithLocalRateLimit(hbredis.New(rdb, hbredis.Options{}), 0)
	var got []string
	for range 4 {
		ok, first, err := down.Allow(ctx, "slack:UPAT", 2, time.Minute)
		if err != nil {
			t.Fatalf("Allow with Redis down returned %v; want the local answer", err)
		}
		got = append(got, fmt.Sprint(ok, first))
	}
	want := []string{"true false", "true false", "false true", "false false"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with Redis down: %v; want %v", got, want)
	}
}
