package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d: %s", resp.StatusCode, body)
	}
	return string(body)
}

func wantSeries(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("scrape lacks %q", l)
		}
	}
}

func TestScrapeAfterAScenario(t *testing.T) {
	m := New()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	created := now.Add(-30 * time.Minute)
	c := bot.Escalation{ID: "IT-1001", Platform: bot.PlatformSlack, Priority: bot.PriorityUrgent, Reason: bot.ReasonUrgent, CreatedAt: created}
	claimedCase := c
	claimedCase.ClaimedAt = created.Add(4 * time.Minute)
	resolvedCase := claimedCase
	resolvedCase.ResolvedAt = created.Add(25 * time.Minute)
	for _, e := range []bot.Event{
		{Type: bot.EventAsked, Platform: bot.PlatformSlack},
		{Type: bot.EventAsked, Platform: bot.PlatformSlack},
		{Type: bot.EventAnswered, Platform: bot.PlatformSlack},
		{Type: bot.EventNotSure, Platform: bot.PlatformSlack, Question: "where is the laminator"},
		{Type: bot.EventEscalated, Platform: bot.PlatformSlack, Case: &c},
		{Type: bot.EventClaimed, Platform: bot.PlatformSlack, Case: &claimedCase},
		{Type: bot.EventResolved, Platform: bot.PlatformSlack, Case: &resolvedCase},
		{Type: bot.EventSatisfaction, Platform: bot.PlatformSlack, Case: &resolvedCase, Verdict: bot.VerdictFixed},
		{Type: bot.EventFileFailed, Platform: bot.PlatformTeams},
	} {
		m.Observe(ctx, e)
	}
	m.PlatformEvent("slack", "ok")
	m.PlatformEvent("slack", "duplicate")
	m.ObserveReply("slack", 800*time.Millisecond)
	m.LLMCall("answer", 1500*time.Millisecond, nil)
	m.LLMCall("answer", 8*time.Second, context.DeadlineExceeded)
	m.LLMFallback("timeout")
	m.LLMTokens(1234)

	body := scrape(t, m)
	wantSeries(t, body,
		`helpbot_desk_events_total{event="asked",platform="slack"} 2`,
		`helpbot_desk_events_total{event="answered",platform="slack"} 1`,
		`helpbot_desk_events_total{event="not_sure",platform="slack"} 1`,
		`helpbot_desk_events_total{event="file_failed",platform="teams"} 1`,
		`helpbot_escalations_total{platform="slack",priority="urgent",reason="urgent"} 1`,
		`helpbot_time_to_claim_seconds_bucket{le="300"} 1`,
		`helpbot_time_to_claim_seconds_bucket{le="180"} 0`,
		`helpbot_time_to_claim_seconds_sum 240`,
		`helpbot_time_to_resolve_seconds_sum 1500`,
		`helpbot_satisfaction_total{verdict="fixed"} 1`,
		`helpbot_satisfaction_total{verdict="not_fixed"} 0`,
		`helpbot_platform_events_total{outcome="duplicate",platform="slack"} 1`,
		`helpbot_reply_seconds_bucket{platform="slack",le="1"} 1`,
		`helpbot_reply_seconds_bucket{platform="slack",le="0.5"} 0`,
		`helpbot_llm_calls_total{outcome="error",purpose="answer"} 1`,
		`helpbot_llm_calls_total{outcome="ok",purpose="answer"} 1`,
		`helpbot_llm_fallbacks_total{reason="timeout"} 1`,
		`helpbot_llm_tokens_total 1234`,
		`helpbot_redis_errors_total{op="command"} 0`,
	)
	for _, want := range []string{"helpbot_build_info{", "go_goroutines ", "process_"} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(body, "laminator") {
		t.Error("question text reached /metrics")
	}
	if strings.Contains(body, "helpbot_open_cases") {
		t.Error("open cases reported without a queue to read")
	}
}

func TestOpenQueueGauges(t *testing.T) {
	store := redistest.Store(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	file := func(prio bot.Priority, age time.Duration) bot.Escalation {
		e, err := store.CreateEscalation(ctx, bot.Escalation{Status: bot.StatusOpen, Priority: prio, Platform: bot.PlatformSlack,
			Requester: bot.Person{ID: "U1"}, Summary: "projector", CreatedAt: now.Add(-age)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	file(bot.PriorityUrgent, 12*time.Minute)
	file(bot.PriorityUrgent, 2*time.Minute)
	file(bot.PriorityNormal, 40*time.Minute)
	taken := file(bot.PriorityNormal, 90*time.Minute)
	if _, _, err := store.Claim(ctx, taken.ID, bot.Person{ID: "T1"}, now); err != nil {
		t.Fatal(err)
	}
	done := file(bot.PriorityUrgent, 3*time.Hour)
	if _, err := store.Resolve(ctx, done.ID, bot.Person{ID: "T1"}, now); err != nil {
		t.Fatal(err)
	}

	m := New()
	clock := now
	m.WatchQueue(func(ctx context.Context) ([]bot.Escalation, error) { return store.OpenEscalations(ctx, 200) }, func() time.Time { return clock })
	wantSeries(t, scrape(t, m),
		`helpbot_queue_up 1`,
		`helpbot_open_cases{priority="urgent",status="open"} 2`,
		`helpbot_open_cases{priority="urgent",status="claimed"} 0`,
		`helpbot_open_cases{priority="normal",status="open"} 1`,
		`helpbot_open_cases{priority="normal",status="claimed"} 1`,
		`helpbot_oldest_unclaimed_case_age_seconds{priority="urgent"} 720`,
		`helpbot_oldest_unclaimed_case_age_seconds{priority="normal"} 2400`,
	)

	// Scrapes within the interval reuse the last read; after it, the
	// queue is read again.
	if _, _, err := store.Claim(ctx, taken.ID, bot.Person{ID: "T1"}, now); err != nil {
		t.Fatal(err)
	}
	list, _ := store.OpenEscalations(ctx, 200)
	for _, e := range list {
		if e.Priority == bot.PriorityUrgent && e.Status == bot.StatusOpen {
			if _, _, err := store.Claim(ctx, e.ID, bot.Person{ID: "T2"}, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantSeries(t, scrape(t, m), `helpbot_open_cases{priority="urgent",status="open"} 2`)
	clock = now.Add(time.Minute)
	wantSeries(t, scrape(t, m),
		`helpbot_open_cases{priority="urgent",status="open"} 0`,
		`helpbot_open_cases{priority="urgent",status="claimed"} 2`,
		`helpbot_oldest_unclaimed_case_age_seconds{priority="urgent"} 0`,
	)
}

func TestQueueUnreadableSaysSo(t *testing.T) {
	m := New()
	m.WatchQueue(func(context.Context) ([]bot.Escalation, error) { return nil, errors.New("redis down") }, nil)
	body := scrape(t, m)
	wantSeries(t, body, `helpbot_queue_up 0`)
	if strings.Contains(body, "helpbot_open_cases{") {
		t.Error("open cases reported although the queue could not be read")
	}
}

func TestRedisErrorsAreCounted(t *testing.T) {
	m := New()
	rdb, prefix := redistest.Client(t)
	rdb.AddHook(m.RedisHook())
	ctx := context.Background()
	if err := rdb.Get(ctx, prefix+"missing").Err(); !errors.Is(err, goredis.Nil) {
		t.Fatalf("GET missing = %v", err)
	}
	if err := rdb.Do(ctx, "NOSUCHCOMMAND").Err(); err == nil {
		t.Fatal("unknown command succeeded")
	}
	// A dead server: dial errors.
	dead := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer dead.Close()
	dead.AddHook(m.RedisHook())
	_ = dead.Ping(ctx).Err()
	body := scrape(t, m)
	wantSeries(t, body, `helpbot_redis_errors_total{op="command"} 2`)
	if strings.Contains(body, `helpbot_redis_errors_total{op="dial"} 0`) {
		t.Error("failed dial not counted")
	}
}

func TestLabelsStayBounded(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "unknown",
		"Slack":                    "slack",
		"http 429":                 "http 429",
		"invalid: <@U123> mention": "invalid_ __u123_ mention",
		strings.Repeat("x", 100):   strings.Repeat("x", 40),
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q; want %q", in, got, want)
		}
	}
}
