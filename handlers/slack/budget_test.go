package slack_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	hbslack "github.com/helpbot/helpbot/handlers/slack"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// Shutdown finishes acknowledged work within the budget cmd derives from
// SHUTDOWN_TIMEOUT, however long the per-delivery timeout: work still
// running then is cancelled, work not started is dropped, and Run says how
// many deliveries went unanswered (so the process stops within its bound
// and the operator knows).
func TestShutdownBudgetBoundsTheDrain(t *testing.T) {
	api := slacktest.New(t)
	store := redistest.Store(t)
	desk := &stuckDesk{started: make(chan struct{}, 10)}
	e, err := hbslack.New(hbslack.Config{BotToken: "xoxb-t", SigningSecret: secret, TechChannel: techChan,
		APIURL: api.URL(), Workers: 1, Queue: 4, JobTimeout: time.Hour, DrainTimeout: 50 * time.Millisecond}, desk, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, store: store}
	r := h.start(e)
	h.send(slacktest.Event{Channel: "D1", ChannelType: "im", User: teacher, Text: "help"}) // never finishes by itself
	<-desk.started
	h.send(slacktest.Event{Channel: "D2", ChannelType: "im", User: teacher, Text: "help"}) // queued behind it
	r.stop()
	err = <-r.done
	r.done <- nil
	if err == nil || !strings.Contains(err.Error(), "2 acknowledged deliveries unanswered") {
		t.Fatalf("Run = %v; want an error counting the 2 unanswered deliveries", err)
	}
}

// stuckDesk never answers: it holds each question until its context ends.
type stuckDesk struct {
	stubDesk
	started chan struct{}
}

func (d *stuckDesk) HandleMessage(ctx context.Context, m bot.Message) []bot.Reply {
	d.started <- struct{}{}
	<-ctx.Done()
	return nil
}

// recMetrics records what the edge reports.
type recMetrics struct {
	mu      sync.Mutex
	events  map[string]int // outcome → count
	replies int
}

func newRecMetrics() *recMetrics { return &recMetrics{events: map[string]int{}} }

func (m *recMetrics) PlatformEvent(platform, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if platform == bot.PlatformSlack {
		m.events[outcome]++
	}
}

func (m *recMetrics) ObserveReply(platform string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if platform == bot.PlatformSlack && d >= 0 {
		m.replies++
	}
}

func (m *recMetrics) snapshot() (map[string]int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.events), m.replies
}

// Every delivery is counted by what became of it, and each answered
// question's reply latency is recorded.
func TestMetricsCountOutcomes(t *testing.T) {
	m := newRecMetrics()
	h := newHarness(t, func(c *hbslack.Config) { c.Metrics = m })
	ev := h.dm(teacher, "DPAT", question)
	h.posts(1, "DPAT", "Source:")
	h.send(ev) // Slack retries it
	if code, _ := deliver(t, h.replicas[0], "/slack/events", []byte(`{"type":"app_rate_limited","minute_rate_limited":1}`), "application/json"); code != 200 {
		t.Fatalf("app_rate_limited: %d", code)
	}
	forged := slacktest.EventBody(slacktest.Event{ID: "EvForged", Channel: "DPAT", ChannelType: "im", User: teacher, Text: "hi", TS: h.ts()})
	req, _ := http.NewRequest(http.MethodPost, h.replicas[0].srv.URL+"/slack/events", bytes.NewReader(forged))
	for k, v := range slacktest.Sign("not-the-secret-at-all-0000000000", time.Now(), forged) {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %d", resp.StatusCode)
	}
	h.quiesce()
	events, replies := m.snapshot()
	want := map[string]int{"ok": 1, "duplicate": 1, "rate_limited": 1, "rejected": 1}
	if !maps.Equal(events, want) || replies != 1 {
		t.Errorf("metrics %v, %d reply latencies; want %v and 1", events, replies, want)
	}
}
