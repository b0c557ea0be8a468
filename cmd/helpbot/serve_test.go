package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

// scrape reads the Prometheus text at url into series → value, keyed by
// the series exactly as exposed: name{label="value",…}.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// A Slack event and a Teams activity each move the delivery and reply
// latency series on GET /metrics, and a forged Teams token moves
// "rejected": the edges report to the registry serve exposes.
func TestMetricsCountSlackAndTeamsDeliveries(t *testing.T) {
	api := slacktest.New(t)
	f := teamstest.New(t)
	vars := slackVars(api, map[string]string{
		"TEAMS_APP_ID": f.AppID, "TEAMS_APP_PASSWORD": f.Secret, "TEAMS_TENANT_ID": f.Tenant,
		"TEAMS_TECH_USERS": testTech, "TEAMS_OPENID_METADATA_URL": f.MetadataURL(), "TEAMS_TOKEN_URL": f.TokenURL(),
		"TEAMS_SERVICE_URL_HOSTS": "127.0.0.1",
	})
	s := serve(t, vars)
	metricsURL := "http://" + s.addr + "/metrics"
	before := scrape(t, metricsURL)

	// Two messages in one conversation: the worker handles them in order,
	// so once the second is answered the first has been counted.
	say := func(id, ts, text string) {
		body := slacktest.EventBody(slacktest.Event{ID: id, Channel: "DPAT0001", ChannelType: "im", User: "UPAT0001", Text: text, TS: ts})
		if code := post(t, s.addr, "/slack/events", body, "application/json"); code != http.StatusOK {
			t.Fatalf("slack event: %d", code)
		}
	}
	say("EvM1", "1600000000.000101", "printer jammed")
	say("EvM2", "1600000000.000102", "how do I connect to the staff wifi")
	api.WaitN(t, 2, "chat.postMessage", func(c slacktest.Call) bool { return c.Form["channel"] == "DPAT0001" })

	pat := teamstest.User{ID: "29:pat", Aad: "aaaaaaaa-0000-0000-0000-00000000000a", Name: "Pat Rivera"}
	endpoint := "http://" + s.addr + "/api/messages"
	for _, text := range []string{"printer jam", "how do I connect to the staff wifi"} {
		if status, body := f.Post(t, endpoint, f.Personal(pat, text)); status != http.StatusOK {
			t.Fatalf("teams activity: %d %s", status, body)
		}
	}
	f.WaitSent(2)
	if status, _ := f.PostWithToken(t, endpoint, f.Personal(pat, "x"), "Bearer forged"); status != http.StatusUnauthorized {
		t.Fatalf("forged token: %d; want 401", status)
	}

	after := scrape(t, metricsURL)
	for _, series := range []string{
		`helpbot_platform_events_total{outcome="ok",platform="slack"}`,
		`helpbot_platform_events_total{outcome="ok",platform="teams"}`,
		`helpbot_platform_events_total{outcome="rejected",platform="teams"}`,
		`helpbot_reply_seconds_count{platform="slack"}`,
		`helpbot_reply_seconds_count{platform="teams"}`,
	} {
		if after[series] < before[series]+1 {
			t.Errorf("%s went from %v to %v; want it counted", series, before[series], after[series])
		}
	}
}

// A reply that cannot finish does not hold the process past
// SHUTDOWN_TIMEOUT: the Slack edge cuts it off at its share of the budget
// and says so, and serve returns that (exit 1), rather than the lifecycle
// giving up with the edge still running.
func TestSlowReplyStopsWithinShutdownTimeout(t *testing.T) {
	api := slacktest.New(t)
	arrived, release := api.Hold("chat.postMessage")
	t.Cleanup(release)
	s := serve(t, slackVars(api, map[string]string{"SHUTDOWN_TIMEOUT": "4s"}))
	body := slacktest.EventBody(slacktest.Event{ID: "EvSlow", Channel: "DPAT0001", ChannelType: "im", User: "UPAT0001", Text: "printer jammed", TS: "1600000000.000201"})
	if code := post(t, s.addr, "/slack/events", body, "application/json"); code != http.StatusOK {
		t.Fatalf("event: %d", code)
	}
	<-arrived // the answer is being posted, and Slack does not answer
	s.stop()
	err := <-s.done
	s.done <- nil
	if exitCodeOf(err) != 1 || !strings.Contains(err.Error(), "1 acknowledged deliveries unanswered") {
		t.Fatalf("serve = %v (exit %d); want exit 1 from the edge counting the unanswered delivery", err, exitCodeOf(err))
	}
}
