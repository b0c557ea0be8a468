package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/stats"
	"github.com/helpbot/helpbot/handlers/console"
	"github.com/helpbot/helpbot/handlers/metrics"
)

// opsEnv is a getenv whose REDIS_URL both the bot under test and a later
// `helpbot report` reach: CI's real Redis under a prefix of the test's own,
// or an embedded server started for this test.
func opsEnv(t *testing.T, vars map[string]string) func(string) string {
	t.Helper()
	url, prefix := os.Getenv(redistest.EnvURL), "hb:"
	if url != "" {
		_, prefix = redistest.Client(t)
	} else {
		e, err := hbredis.StartEmbedded(nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		url = e.URL()
	}
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		switch k {
		case "REDIS_URL":
			return url
		case "REDIS_PREFIX":
			return prefix
		}
		return ""
	}
}

func runWith(t *testing.T, getenv func(string) string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv}
	err := c.run(ctx, append([]string{"helpbot"}, args...))
	return out.String(), errb.String(), err
}

// A morning at the desk through the terminal edge, then everything the
// IT team looks at afterwards: the day's figures, /metrics, the digest
// in the techs' channel and `helpbot report`.
func TestOpsAfterADayAtTheConsole(t *testing.T) {
	getenv := opsEnv(t, map[string]string{"DIGEST_TIME": "15:30", "HELPDESK_TIMEZONE": "America/Chicago"})
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := newApp(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()

	script := strings.Join([]string{
		"the projector isn't showing my laptop",
		"1", // That fixed it
		"where is the laminator",
		"my student Jake Miller wants to know the cafeteria menu", // not in the KB twice: a case
		"/as tech Sam Ortiz",
		"/claim IT-1001",
		"/resolve IT-1001",
		"/as staff",
		"1", // Yes, it's fixed
	}, "\n") + "\n"
	var screen bytes.Buffer
	out := console.NewOutput(&screen)
	ch := console.New(strings.NewReader(script), out, console.Options{Echo: true})
	a.techs[bot.PlatformConsole] = ch.Techs()
	a.desk.SetNotifier(bot.PlatformConsole, ch.Notifier())
	ch.Attach(a.desk)
	mux := http.NewServeMux()
	m := metrics.New()
	runners, err := a.wireOpsWith(mux, m)
	if err != nil || len(runners) != 2 {
		t.Fatalf("wireOps = %d runners, %v; want the stats writer and the digest", len(runners), err)
	}
	// The stats writer runs as serve runs it, during the morning, and is
	// stopped before the figures are read: what it had queued is written
	// on its way out.
	writerCtx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan error, 1)
	go func() { writerDone <- runners[0](writerCtx) }()
	if err := ch.Run(ctx); err != nil {
		t.Fatal(err)
	}
	stopWriter()
	if err := <-writerDone; err != nil {
		t.Fatalf("stats writer: %v", err)
	}
	if !strings.Contains(screen.String(), "Confirmed fixed") {
		t.Fatalf("the scenario did not run to the end:\n%s", screen.String())
	}

	st := a.statsStore(mustLoad(t, "America/Chicago"))
	r, err := st.Report(ctx, st.Days(time.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"asked", r.Asked, int64(3)},
		{"answered", r.Answered, int64(1)},
		{"said fixed", r.Solved, int64(1)},
		{"not sure", r.NotSure, int64(2)},
		{"cases", r.Escalations.Total, int64(1)},
		{"cases the KB could not answer", r.Escalations.ByReason["not_in_kb"], int64(1)},
		{"claims", r.Claims, int64(1)},
		{"resolves", r.Resolves, int64(1)},
		{"time to claim samples", r.TimeToClaim.Count, 1},
		{"time to resolve samples", r.TimeToResolve.Count, 1},
		{"fixed", r.Satisfaction.Fixed, int64(1)},
		{"per tech", len(r.Satisfaction.Techs), 1},
		{"unanswered", len(r.Unanswered), 2},
		{"topics (the answer cited two articles)", len(r.TopTopics), 2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	if len(r.Satisfaction.Techs) == 1 && r.Satisfaction.Techs[0].Name != "Sam Ortiz" {
		t.Errorf("tech = %+v; want Sam Ortiz", r.Satisfaction.Techs[0])
	}
	questions, _ := json.Marshal(r.Unanswered)
	for _, leak := range []string{"Jake", "Miller"} {
		if strings.Contains(string(questions), leak) {
			t.Errorf("unanswered questions keep %q: %s", leak, questions)
		}
	}
	if !strings.Contains(string(questions), "my student [name] wants to know the cafeteria menu") {
		t.Errorf("unanswered questions lack the anonymised one: %s", questions)
	}

	// /metrics on the same mux serve uses.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`helpbot_desk_events_total{event="asked",platform="console"} 3`,
		`helpbot_desk_events_total{event="not_sure",platform="console"} 2`,
		`helpbot_escalations_total{platform="console",priority="normal",reason="not_in_kb"} 1`,
		`helpbot_satisfaction_total{verdict="fixed"} 1`,
		`helpbot_queue_up 1`,
		`helpbot_open_cases{priority="normal",status="open"} 0`,
		`helpbot_time_to_claim_seconds_count 1`,
		`helpbot_stats_events_dropped_total 0`,
	} {
		if !strings.Contains(body, "\n"+want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "laminator") || strings.Contains(body, "Sam Ortiz") {
		t.Error("/metrics carries question text or a tech's name")
	}

	// The digest, posted in the console's techs' channel.
	d := a.digest(st)
	d.Broadcasters = func() map[string]bot.Broadcaster {
		return map[string]bot.Broadcaster{bot.PlatformConsole: ch.Notifier()}
	}
	screen.Reset()
	if _, err := d.Post(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Post(ctx, time.Now()); err != nil { // a second replica, same day
		t.Fatal(err)
	}
	posted := screen.String()
	if strings.Count(posted, "┌─ #tech-help ── helpbot") != 1 {
		t.Errorf("digest posted %d times; want once:\n%s", strings.Count(posted, "#tech-help"), posted)
	}
	for _, want := range []string{
		"│ 📊 Help desk today",
		"│ Questions: 3 · answered by the bot: 1 (33%) · said fixed: 1 · not in the KB: 2",
		"│ Cases: 1 filed · 1 claimed · 1 resolved",
		"│ Requesters said fixed: 1 of 1 (Sam Ortiz 1/1)",
		"│ Open now: none",
		"│ • where is the laminator (1)",
	} {
		if !strings.Contains(posted, want) {
			t.Errorf("digest lacks %q:\n%s", want, posted)
		}
	}

	// `helpbot report` against the same Redis.
	stdout, stderr, err := runWith(t, getenv, "report", "--days", "2", "--json")
	if err != nil {
		t.Fatalf("report = %v\n%s", err, stderr)
	}
	var jr stats.Report
	if err := json.Unmarshal([]byte(stdout), &jr); err != nil {
		t.Fatalf("report --json is not JSON: %v\n%s", err, stdout)
	}
	if jr.Days != 2 || len(jr.PerDay) != 2 || jr.Asked != 3 || jr.Escalations.Total != 1 || jr.TimeZone != "America/Chicago" {
		t.Errorf("report --json = days %d (%d rows), asked %d, cases %d, zone %s; want 2, 2, 3, 1, America/Chicago",
			jr.Days, len(jr.PerDay), jr.Asked, jr.Escalations.Total, jr.TimeZone)
	}
	stdout, _, err = runWith(t, getenv, "report")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(7 days, America/Chicago)", "Questions asked", "Sam Ortiz", "where is the laminator", "Per day"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report table lacks %q:\n%s", want, stdout)
		}
	}
}

func mustLoad(t *testing.T, zone string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOpsConfigurationErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		mentions string
	}{
		{"digest time out of range", map[string]string{"DIGEST_TIME": "25:00"}, "DIGEST_TIME"},
		{"digest time in words", map[string]string{"DIGEST_TIME": "3pm"}, "DIGEST_TIME"},
		{"unknown zone", map[string]string{"HELPDESK_TIMEZONE": "Mars/Olympus_Mons"}, "HELPDESK_TIMEZONE"},
		{"Local is not a district's zone", map[string]string{"HELPDESK_TIMEZONE": "Local"}, "HELPDESK_TIMEZONE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", tt.vars, "report")
			if err == nil || exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("report with %v = %v (exit %d); want exit 2 naming %s", tt.vars, err, exitCodeOf(err), tt.mentions)
			}
		})
	}
}

func TestReportNeedsRedisHistory(t *testing.T) {
	_, _, err := runCLI(t, "", map[string]string{"REDIS_URL": ""}, "report")
	if err == nil || exitCodeOf(err) != 1 || !strings.Contains(err.Error(), "REDIS_URL") || !strings.Contains(err.Error(), "no history") {
		t.Errorf("report without REDIS_URL = %v (exit %d); want exit 1 explaining the embedded Redis has no history", err, exitCodeOf(err))
	}
	for _, args := range [][]string{{"report", "--days", "0"}, {"report", "--days", "401"}, {"report", "extra"}, {"report", "--weeks", "2"}} {
		if _, _, err := runCLI(t, "", nil, args...); exitCodeOf(err) != 2 {
			t.Errorf("%v = %v; want exit 2", args, err)
		}
	}
}

func TestReportSaysWhenNothingWasRecorded(t *testing.T) {
	getenv := opsEnv(t, nil)
	stdout, stderr, err := runWith(t, getenv, "report", "--days", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "Questions asked") || !strings.Contains(stderr, "nothing was recorded") || !strings.Contains(stderr, "REDIS_PREFIX") {
		t.Errorf("empty report: stdout\n%s\nstderr\n%s", stdout, stderr)
	}
}

func TestStatsZoneComesFromTheCalendarUnlessSet(t *testing.T) {
	cal := "../../bot/calendar/testdata/calendar.yaml"
	for _, tt := range []struct {
		name string
		cfg  OpsConfig
		want string
	}{
		{"calendar's zone", OpsConfig{}, "America/Chicago"},
		{"HELPDESK_TIMEZONE wins", OpsConfig{HelpdeskTimezone: "America/Denver"}, "America/Denver"},
	} {
		c := Config{OpsConfig: tt.cfg, SupportCalendar: cal}
		loc, err := c.opsLocation()
		if err != nil || loc.String() != tt.want {
			t.Errorf("%s: zone = %v, %v; want %s", tt.name, loc, err, tt.want)
		}
	}
	if loc, err := (Config{}).opsLocation(); err != nil || loc != time.UTC {
		t.Errorf("no zone anywhere = %v, %v; want UTC", loc, err)
	}
}

func TestMetricsToken(t *testing.T) {
	h := metricsAuth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("helpbot_up 1\n")) }), "s3cret-scrape")
	for _, tt := range []struct {
		auth string
		code int
	}{{"", 401}, {"Bearer wrong", 401}, {"s3cret-scrape", 401}, {"Bearer s3cret-scrape", 200}} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.code {
			t.Errorf("Authorization %q: %d; want %d", tt.auth, rec.Code, tt.code)
		}
	}
}

// The digest finds every techs' channel the desk can post to. It needs
// the desk to list its notifiers (bot.Desk.Notifier); until the core has
// that getter the digest has nowhere to post, and this test says so.
func TestDigestFindsTheTechsChannels(t *testing.T) {
	if _, ok := any(&bot.Desk{}).(notifierSource); !ok {
		t.Skip("bot.Desk has no Notifier(platform) getter yet: the daily digest cannot find the techs' channels")
	}
	cfg, err := loadConfig(opsEnv(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	ch := console.New(strings.NewReader(""), console.NewOutput(io.Discard), console.Options{})
	a.desk.SetNotifier(bot.PlatformConsole, ch.Notifier())
	bs := a.broadcasters()
	if _, ok := bs[bot.PlatformConsole]; !ok || len(bs) != 1 {
		t.Errorf("broadcasters = %v; want the console's channel only", bs)
	}
}
