package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

const slackSecret = "0123456789abcdef0123456789abcdef"

func slackVars(api *slacktest.API, extra map[string]string) map[string]string {
	v := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1-test",
		"SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_TECH_CHANNEL":   "CTECHS01",
		"SLACK_TECH_USERS":     "UALEX001",
		"HTTP_ADDR":            "127.0.0.1:0",
		"LOG_LEVEL":            "debug",
	}
	if api != nil {
		v["SLACK_API_URL"] = api.URL()
	}
	for k, x := range extra {
		if x == "" {
			delete(v, k)
		} else {
			v[k] = x
		}
	}
	return v
}

func TestSlackConfigValidation(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		mentions string
	}{
		{"no way to receive events", map[string]string{"SLACK_SIGNING_SECRET": ""}, "SLACK_APP_TOKEN"},
		{"app token without bot token", map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "xapp-1-x"}, "SLACK_BOT_TOKEN"},
		{"user token instead of bot token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-123"}, "SLACK_BOT_TOKEN"},
		{"bot token as app token", map[string]string{"SLACK_APP_TOKEN": "xoxb-1-x"}, "SLACK_APP_TOKEN"},
		{"short signing secret", map[string]string{"SLACK_SIGNING_SECRET": "abc"}, "SLACK_SIGNING_SECRET"},
		{"no tech channel", map[string]string{"SLACK_TECH_CHANNEL": ""}, "SLACK_TECH_CHANNEL"},
		{"tech channel by name", map[string]string{"SLACK_TECH_CHANNEL": "#tech-help"}, "SLACK_TECH_CHANNEL"},
		{"nobody may claim", map[string]string{"SLACK_TECH_USERS": ""}, "SLACK_TECH_USERGROUP"},
		{"tech by handle", map[string]string{"SLACK_TECH_USERS": "UALEX001,@sam"}, "SLACK_TECH_USERS"},
		{"user group by handle", map[string]string{"SLACK_TECH_USERGROUP": "@techs"}, "SLACK_TECH_USERGROUP"},
		{"answer channel by name", map[string]string{"SLACK_ANSWER_CHANNELS": "tech-help"}, "SLACK_ANSWER_CHANNELS"},
		{"api url not http", map[string]string{"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"},
		{"zero workers", map[string]string{"SLACK_WORKERS": "0"}, "SLACK_WORKERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", slackVars(nil, tt.vars), "serve")
			if err == nil || exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.mentions) {
				t.Fatalf("serve = %v (exit %d); want exit 2 naming %s", err, exitCodeOf(err), tt.mentions)
			}
		})
	}
}

// A bot token Slack rejects stops the start with exit 2 naming it.
func TestSlackRejectedTokenExitsTwo(t *testing.T) {
	api := slacktest.New(t)
	api.Fail("auth.test", "invalid_auth")
	_, _, err := runCLI(t, "", slackVars(api, nil), "serve")
	if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
		t.Fatalf("serve = %v (exit %d); want exit 2 naming SLACK_BOT_TOKEN", err, exitCodeOf(err))
	}
}

// serving is a running `helpbot serve` and the address it listens on,
// learnt from its "helpbot serving" log line.
type serving struct {
	addr string
	stop context.CancelFunc
	done chan error
}

func serve(t *testing.T, vars map[string]string) *serving {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	w := &addrWatch{found: make(chan string, 1)}
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: w, getenv: env(t, vars)}
	s := &serving{stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- c.run(ctx, []string{"helpbot", "serve"}) }()
	select {
	case s.addr = <-w.found:
	case err := <-s.done:
		cancel()
		t.Fatalf("serve ended before listening: %v\n%s", err, w.String())
	case <-ctx.Done():
		t.Fatal("serve never listened")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return s
}

// addrWatch is serve's stderr: it spots the address in the JSON log.
type addrWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	seen  bool
}

func (w *addrWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, line := range strings.Split(w.buf.String(), "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if !w.seen && json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "helpbot serving" {
			w.seen = true
			w.found <- rec.Addr
		}
	}
	return len(p), nil
}

func (w *addrWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func post(t *testing.T, addr, path string, body []byte, ctype string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	for k, v := range slacktest.Sign(slackSecret, time.Now(), body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The shipped binary end to end over the HTTP Events API: a DM is answered
// from the built-in KB, escalated to a card, claimed by the tech, and the
// teacher is told; SIGTERM (ctx) then exits 0.
func TestSlackServeHTTPEndToEnd(t *testing.T) {
	api := slacktest.New(t)
	api.SetName("UPAT0001", "Pat Rivera")
	api.SetName("UALEX001", "Alex Chen")
	s := serve(t, slackVars(api, nil))

	say := func(id, ts, text string) {
		body := slacktest.EventBody(slacktest.Event{ID: id, Channel: "DPAT0001", ChannelType: "im", User: "UPAT0001", Text: text, TS: ts})
		if code := post(t, s.addr, "/slack/events", body, "application/json"); code != http.StatusOK {
			t.Fatalf("event: %d", code)
		}
	}
	say("Ev1", "1600000000.000001", "the projector isn't showing my laptop")
	api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "Source:") })
	say("Ev2", "1600000000.000002", "that didn't work, I need a person")
	api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "Which building") })
	say("Ev3", "1600000000.000003", "Lincoln MS room 204")
	card := api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool { return c.Form["channel"] == "CTECHS01" })[0]

	var blocks []struct {
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal([]byte(card.Blocks()), &blocks)
	var click slacktest.Click
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == "helpbot.claim" {
				click = slacktest.Click{User: "UALEX001", Channel: "CTECHS01", MessageTS: card.TS, BlockID: b.BlockID, ActionID: e.ActionID, Value: e.Value}
			}
		}
	}
	if click.Value == "" {
		t.Fatalf("card has no Claim button: %s", card.Blocks())
	}
	if code := post(t, s.addr, "/slack/interactivity", slacktest.ClickForm(click), "application/x-www-form-urlencoded"); code != http.StatusOK {
		t.Fatalf("claim: %d", code)
	}
	api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool {
		return c.Form["channel"] == "DPAT0001" && strings.Contains(c.Text(), "Alex Chen from the IT team has your request "+click.Value)
	})
	api.WaitN(t, 1, "conversations.open", nil)

	if code := post(t, s.addr, "/slack/events", []byte(`{}`), "application/json"); code != http.StatusOK {
		t.Errorf("unparseable but signed event = %d; want 200 (no retry storm)", code)
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatalf("serve after stop = %v; want a clean exit", err)
	}
	s.done <- nil
}

// Socket Mode through the binary: no public URL, the bot dials out.
func TestSlackServeSocketMode(t *testing.T) {
	api := slacktest.New(t)
	sock := api.StartSocket()
	serve(t, slackVars(api, map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-test", "SLACK_SIGNING_SECRET": ""}))
	sock.WaitConnected(t)
	ev := slacktest.Event{ID: "EvS", Channel: "DPAT0001", ChannelType: "im", User: "UPAT0001", Text: "printer jammed", TS: "1600000000.000009"}
	sock.Envelope(t, "env-1", "events_api", slacktest.EventBody(ev))
	if a := sock.NextAck(t); a.EnvelopeID != "env-1" {
		t.Fatalf("ack %q; want env-1", a.EnvelopeID)
	}
	api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool { return c.Form["channel"] == "DPAT0001" })
}
