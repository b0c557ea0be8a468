package stats

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// channel is a techs' channel: it keeps what was broadcast to it.
type channel struct {
	mu    sync.Mutex
	posts []string
	fail  int // fail this many posts first
}

func (c *channel) Broadcast(_ context.Context, r bot.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail > 0 {
		c.fail--
		return errors.New("slack said 500")
	}
	c.posts = append(c.posts, r.Text)
	return nil
}

func (c *channel) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.posts...)
}

// clock is a fake clock and timer: the runner's waits arrive on waits, and
// the test moves time on and fires.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan time.Duration
	fire  chan time.Time
}

func newClock(now time.Time) *clock {
	return &clock{now: now, waits: make(chan time.Duration), fire: make(chan time.Time)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.waits <- d
	return c.fire
}

// advance waits for the runner to sleep, moves time by what it asked for
// and wakes it; it returns the wait.
func (c *clock) advance(t *testing.T) time.Duration {
	t.Helper()
	var d time.Duration
	select {
	case d = <-c.waits:
	case <-time.After(10 * time.Second):
		t.Fatal("runner never waited")
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	c.fire <- now
	return d
}

// next is the runner's next wait, without waking it.
func (c *clock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("runner never waited")
	}
	return 0
}

func start(t *testing.T, d *Digest, c *clock) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return func() {
		cancel()
		for {
			select {
			case <-c.waits: // a runner handing over its next wait
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v; want nil on shutdown", err)
				}
				return
			}
		}
	}
}

func TestDigestPostsOnceAcrossReplicas(t *testing.T) {
	f := newFixture(t)
	seedDay(t, f)
	// Two replicas, each with its own connection to the same Slack channel
	// and its own clock, started at 14:00.
	var ch1, ch2 channel
	c1, c2 := newClock(at(14, 0)), newClock(at(14, 0))
	mk := func(c *clock, ch *channel) *Digest {
		return &Digest{Stats: New(f.rdb, f.prefix, chicago), Hour: 15, Minute: 30,
			Broadcasters: func() map[string]bot.Broadcaster { return map[string]bot.Broadcaster{bot.PlatformSlack: ch} },
			Open: func(context.Context) ([]bot.Escalation, error) {
				return []bot.Escalation{{ID: "IT-1003", Status: bot.StatusOpen, Priority: bot.PriorityUrgent, CreatedAt: at(13, 0)}}, nil
			},
			Clock: c.Now, After: c.After}
	}
	d1, d2 := mk(c1, &ch1), mk(c2, &ch2)
	stop1, stop2 := start(t, d1, c1), start(t, d2, c2)

	if w := c1.advance(t); w != 90*time.Minute {
		t.Errorf("first wait %v; want 1h30m until 15:30", w)
	}
	if w := c2.advance(t); w != 90*time.Minute {
		t.Errorf("second replica's first wait %v; want 1h30m", w)
	}
	// Both are at 15:30 now; each has tried to post. The next waits are
	// until tomorrow's digest.
	for _, c := range []*clock{c1, c2} {
		if w := c.next(t); w != 24*time.Hour {
			t.Errorf("wait after posting %v; want 24h", w)
		}
	}
	stop1()
	stop2()

	posts := append(ch1.all(), ch2.all()...)
	if len(posts) != 1 {
		t.Fatalf("%d digests posted; want exactly one across the two replicas: %q", len(posts), posts)
	}
	text := posts[0]
	for _, want := range []string{
		"Help desk today · Monday 23 November 2026",
		"Questions: 5 · answered by the bot: 3 (60%) · said fixed: 1 · not in the KB: 3",
		"Cases: 3 filed (1 urgent) · 5 claimed · 3 resolved · ⚠️ 1 could not be filed",
		"Time to claim: median 4 min · time to resolve: median 46 min",
		"Requesters said fixed: 2 of 3 (Alex Kim 1/2, Sam Ortiz 1/1)",
		"Open now: 1 (1 urgent; 1 unclaimed, oldest waiting 2 h 30 min)",
		"Top topics: Projector shows no signal (2) · Clear a printer paper jam (1)",
		"• How do I set up the 3D printer? (2)",
		"• My student [name] can't log in to Clever, reply to [email] (1)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
}

func TestDigestRetriesAFailedPost(t *testing.T) {
	f := newFixture(t)
	seedDay(t, f)
	ch := &channel{fail: 1}
	c := newClock(at(15, 29))
	d := &Digest{Stats: f.store, Hour: 15, Minute: 30, Retry: 5 * time.Minute,
		Broadcasters: func() map[string]bot.Broadcaster { return map[string]bot.Broadcaster{bot.PlatformTeams: ch} },
		Clock:        c.Now, After: c.After}
	stop := start(t, d, c)
	c.advance(t) // 15:30: Teams fails
	if w := c.advance(t); w != 5*time.Minute {
		t.Errorf("wait after a failed post %v; want the 5 min retry", w)
	}
	// 15:35: posted; the next wait is to tomorrow's 15:30.
	w := c.next(t)
	stop()
	if w != 24*time.Hour-5*time.Minute {
		t.Errorf("wait after the retry %v; want until tomorrow 15:30", w)
	}
	if got := ch.all(); len(got) != 1 {
		t.Errorf("%d posts; want one after the retry", len(got))
	}
}

func TestDigestSkipsQuietDaysAndLateStarts(t *testing.T) {
	tests := []struct {
		name  string
		seed  bool
		start time.Time
		posts int
	}{
		{"busy day, started after the time within grace", true, at(16, 10), 1},
		{"busy day, started the next morning", true, at(24+8, 0), 0},
		{"quiet day (weekend)", false, at(15, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.seed {
				seedDay(t, f)
			}
			ch := &channel{}
			c := newClock(tt.start)
			d := &Digest{Stats: f.store, Hour: 15, Minute: 30,
				Broadcasters: func() map[string]bot.Broadcaster { return map[string]bot.Broadcaster{bot.PlatformSlack: ch} },
				Clock:        c.Now, After: c.After}
			stop := start(t, d, c)
			if tt.start.Before(at(15, 30)) {
				c.advance(t)
			}
			c.next(t)
			stop()
			if got := len(ch.all()); got != tt.posts {
				t.Errorf("%d posts; want %d", got, tt.posts)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	for _, tt := range []struct {
		in   string
		h, m int
		ok   bool
	}{{"15:30", 15, 30, true}, {"7:05", 7, 5, true}, {"00:00", 0, 0, true}, {"24:00", 0, 0, false},
		{"15:3", 0, 0, false}, {"3pm", 0, 0, false}, {"15:60", 0, 0, false}, {"", 0, 0, false}} {
		h, m, err := ParseClock(tt.in)
		if (err == nil) != tt.ok || h != tt.h || m != tt.m {
			t.Errorf("ParseClock(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.in, h, m, err, tt.h, tt.m, tt.ok)
		}
	}
}
