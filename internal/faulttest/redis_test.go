package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

func escalation(n int) string {
	return fmt.Sprintf("the printer in Lincoln MS room %d is jammed, I need a person", 100+n)
}

// waitTold waits until every user in ns has been told what became of
// their escalation.
func waitTold(t *testing.T, api *slacktest.API, ns []int) {
	t.Helper()
	poll(t, fmt.Sprintf("%d users to hear about their cases", len(ns)), func() bool {
		for _, n := range ns {
			if _, told := outcome(api, n); !told {
				return false
			}
		}
		return true
	})
}

func span(from, to int) []int {
	var ns []int
	for n := from; n < to; n++ {
		ns = append(ns, n)
	}
	return ns
}

// Redis (AOF, appendfsync always) is killed with SIGKILL while teachers
// are filing cases. Every case a teacher was told about is still there
// after Redis restarts; the ones filed during the outage were told plainly
// that it failed and how to reach IT; and helpbot files cases again
// without being restarted.
func TestEscalationsSurviveRedisKill9(t *testing.T) {
	rs := newRedis(t)
	rs.start()
	api := slacktest.New(t)
	b := startHelpbot(t, slackEnv(api.URL(), rs.url()))
	b.waitReady(http.StatusOK)

	// Four teachers' clients file cases back to back; Redis dies mid-run
	// and the run goes on for a while.
	var (
		next     atomic.Int64
		killedAt atomic.Int64 // next's value at the crash; -1 before
		wg       sync.WaitGroup
	)
	killedAt.Store(-1)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if k := killedAt.Load(); k >= 0 && int64(n) >= k+12 {
					return // twelve more after the crash are enough
				}
				if code := deliver(b.addr, dm(n, fmt.Sprintf("EvK%d", n), escalation(n)), 0); code != http.StatusOK {
					t.Errorf("delivery %d = %d; want 200", n, code)
				}
			}
		}()
	}
	poll(t, "a first few cases to be filed", func() bool {
		filed := 0
		for n := range int(next.Load()) {
			if id, _ := outcome(api, n); id != "" {
				filed++
			}
		}
		return filed >= 6
	})
	rs.kill9()
	killedAt.Store(next.Load())
	wg.Wait()
	during := span(0, int(killedAt.Load())+12)
	waitTold(t, api, during)
	refusedCount := 0
	for _, n := range during {
		if id, _ := outcome(api, n); id == "" {
			refusedCount++
			if r := strings.Join(repliesTo(api, n), "\n"); !strings.Contains(r, contact) {
				t.Errorf("user %d was not told how to reach IT: %q", n, r)
			}
		}
	}
	if refusedCount < 12 {
		t.Errorf("%d escalations refused; at least the 12 sent after the crash should have been", refusedCount)
	}
	if code := b.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down = %d; want 503", code)
	}

	rs.start() // same folder: replays the AOF
	b.waitReady(http.StatusOK)
	after := span(len(during), len(during)+4)
	for _, n := range after {
		deliver(b.addr, dm(n, fmt.Sprintf("EvK%d", n), escalation(n)), 0)
	}
	waitTold(t, api, after)

	rdb := rs.client()
	defer rdb.Close()
	seen := map[string]int{}
	told := 0
	for _, n := range append(during, after...) {
		id, _ := outcome(api, n)
		if id == "" {
			continue
		}
		told++
		if other, dup := seen[id]; dup {
			t.Errorf("users %d and %d were both told %s", other, n, id)
		}
		seen[id] = n
		h, err := rdb.HGetAll(context.Background(), "hb:esc:"+id).Result()
		if err != nil || len(h) == 0 {
			t.Errorf("user %d was told %s was filed, but after the crash it is gone (%v)", n, id, err)
		}
	}
	for _, n := range after {
		if id, _ := outcome(api, n); id == "" {
			t.Errorf("user %d could not file a case after Redis came back", n)
		}
	}
	if told < 6+len(after) {
		t.Errorf("only %d cases were filed; the test did not exercise the crash", told)
	}
	t.Logf("%d escalations: %d told filed, all present after kill -9 and restart; %d refused plainly", len(during)+len(after), told, refusedCount)
}

// Redis absent at start, then up, then stopped mid-run, then back: the KB
// answers throughout, filing a case says plainly when it cannot and how to
// reach IT, /readyz follows Redis, the per-user limit holds in-process,
// and everything recovers without restarting helpbot.
func TestRedisDownAtStartAndMidRun(t *testing.T) {
	rs := newRedis(t) // not started: helpbot starts without Redis
	api := slacktest.New(t)
	b := startHelpbot(t, slackEnv(api.URL(), rs.url(), "RATE_LIMIT=3", "RATE_WINDOW=1h"))
	b.logs.wait(t, b.done, "redis is not answering")

	ev := 0
	ask := func(n int, text string) {
		t.Helper()
		ev++
		if code := deliver(b.addr, dm(n, fmt.Sprintf("EvR%d", ev), text), 0); code != http.StatusOK {
			t.Fatalf("delivery = %d; want 200", code)
		}
	}
	kbAnswered := func(n int) {
		t.Helper()
		ask(n, "printer jammed")
		poll(t, "a KB answer", func() bool {
			for _, r := range repliesTo(api, n) {
				if strings.Contains(r, "Source:") {
					return true
				}
			}
			return false
		})
	}
	refused := func(n int) {
		t.Helper()
		ask(n, escalation(n))
		waitTold(t, api, []int{n})
		if id, _ := outcome(api, n); id != "" {
			t.Fatalf("told %s was filed with Redis down", id)
		}
		if r := strings.Join(repliesTo(api, n), "\n"); !strings.Contains(r, contact) {
			t.Fatalf("not told how to reach IT: %q", r)
		}
	}
	filed := func(n int) string {
		t.Helper()
		ask(n, escalation(n))
		waitTold(t, api, []int{n})
		id, _ := outcome(api, n)
		if id == "" {
			t.Fatalf("user %d: case not filed with Redis up: %q", n, repliesTo(api, n))
		}
		return id
	}

	// Down at start.
	if code := b.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz without Redis = %d; want 503", code)
	}
	if code := b.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz without Redis = %d; want 200 (alive; do not restart)", code)
	}
	kbAnswered(1)
	refused(2)

	// The per-user limit holds without Redis: 3 messages, one notice, then silence.
	flood := 3
	for i := range 6 {
		ask(flood, fmt.Sprintf("printer jammed again %d", i))
	}
	poll(t, "the flood to be answered and noticed", func() bool {
		rs := repliesTo(api, flood)
		return len(rs) >= 4 && strings.Contains(strings.Join(rs, "\n"), "faster than I can help")
	})
	if n := len(repliesTo(api, flood)); n != 4 {
		t.Errorf("flooding user got %d replies with Redis down; want 3 answers and 1 notice", n)
	}

	// Redis arrives: ready, and cases are filed, without a restart.
	rs.start()
	b.waitReady(http.StatusOK)
	first := filed(4)

	// Redis stops mid-run.
	rs.stop()
	b.waitReady(http.StatusServiceUnavailable)
	kbAnswered(5)
	refused(6)

	// And comes back.
	rs.start()
	b.waitReady(http.StatusOK)
	second := filed(7)
	if first == second {
		t.Errorf("two cases got the same id %s", first)
	}
	rdb := rs.client()
	defer rdb.Close()
	if n, err := rdb.Exists(context.Background(), "hb:esc:"+first, "hb:esc:"+second).Result(); err != nil || n != 2 {
		t.Errorf("cases %s and %s: %d of 2 in Redis (%v)", first, second, n, err)
	}
	if code := b.sigterm(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d; want 0", code)
	}
}
