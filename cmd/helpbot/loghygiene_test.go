package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// Words people type that must never reach a log at info or above. Each
// one is unusual enough that it cannot appear in a log line by chance.
var typedWords = []string{
	"Zanzibar", "zanzibar", // the question
	"Tr0ub4dor", // a pasted password
	"Quokka",    // the details they give
	"ZX9QW",     // an asset tag (not hex, so no request id or hash can match it)
	"hunter2",   // a second secret
}

func assertNoTypedWords(t *testing.T, logs string) {
	t.Helper()
	if strings.TrimSpace(logs) == "" {
		t.Fatal("no logs captured; the check would prove nothing")
	}
	for _, w := range typedWords {
		if strings.Contains(logs, w) {
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, w) {
					t.Errorf("a log line carries %q, which a person typed:\n%s", w, line)
				}
			}
		}
	}
}

// The browser playground, a full case at LOG_LEVEL=info: question, pasted
// password, escalation with details, claim, resolve, satisfaction. The
// logs have ids and counts, never the words.
func TestLogsCarryNoMessageTextPlayground(t *testing.T) {
	var logs bytes.Buffer
	out := &urlWatch{url: make(chan string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	c := &cli{stdin: strings.NewReader(""), stdout: out, stderr: &syncWriter{w: &logs},
		getenv: env(t, map[string]string{"PLAYGROUND_ADDR": "127.0.0.1:0", "LOG_LEVEL": "info"})}
	go func() { done <- c.run(ctx, []string{"helpbot", "playground"}) }()
	var base string
	select {
	case base = <-out.url:
	case err := <-done:
		t.Fatalf("playground ended: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("playground printed no URL")
	}
	postJSON := func(path, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s %s = %d %v", path, body, resp.StatusCode, v)
		}
		return v
	}
	say := func(text string) string {
		b, _ := json.Marshal(map[string]string{"as": "pat.rivera", "text": text})
		v := postJSON("api/messages", string(b))
		raw, _ := json.Marshal(v)
		return string(raw)
	}
	say("the Zanzibar projector isn't showing my laptop")
	say("my password is Tr0ub4dor&3 and it still fails")
	say("I need a person, zanzibar is down")
	reply := say("Lincoln MS, Quokka wing, room 214, tag ZX9QW, password hunter2")
	id := caseIDIn(reply)
	if id == "" {
		t.Fatalf("no case id in the reply to the details: %s", reply)
	}
	postJSON("api/actions", `{"as":"alex.chen","action":"helpbot.claim","case":"`+id+`"}`)
	postJSON("api/actions", `{"as":"alex.chen","action":"helpbot.resolve","case":"`+id+`"}`)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("playground stop = %v", err)
	}
	assertNoTypedWords(t, logs.String())
	if !strings.Contains(logs.String(), "playground serving") {
		t.Fatalf("logs lack the start line; level or capture is wrong:\n%s", logs.String())
	}
}

// Production serving (Slack over HTTP, JSON logs, request log on) at
// LOG_LEVEL=info: the same words, through the real edge.
func TestLogsCarryNoMessageTextSlack(t *testing.T) {
	api := slacktest.New(t)
	api.SetName("UPAT0001", "Pat Rivera")
	api.SetName("UALEX001", "Alex Chen")
	logs := &addrWatch{found: make(chan string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs,
		getenv: env(t, slackVars(api, map[string]string{"LOG_LEVEL": "info"}))}
	go func() { done <- c.run(ctx, []string{"helpbot", "serve"}) }()
	var addr string
	select {
	case addr = <-logs.found:
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve never listened")
	}
	texts := []string{
		"the Zanzibar projector isn't showing my laptop",
		"my password is Tr0ub4dor&3 and it still fails",
		"I need a person, zanzibar is down",
		"Lincoln MS, Quokka wing, room 214, tag ZX9QW, password hunter2",
	}
	// Each message waits for its last reply, so the turns stay in order.
	until := []func(slacktest.Call) bool{
		func(c slacktest.Call) bool { return strings.Contains(c.Text(), "Source:") },
		func(c slacktest.Call) bool { return strings.Contains(c.Text(), "not sure") },
		func(c slacktest.Call) bool { return strings.Contains(c.Text(), "Which building") },
		func(c slacktest.Call) bool { return c.Form["channel"] == "CTECHS01" },
	}
	for i, text := range texts {
		ts := "1600000000.00000" + string(rune('1'+i))
		body := slacktest.EventBody(slacktest.Event{ID: "EvLog" + ts, Channel: "DPAT0001", ChannelType: "im", User: "UPAT0001", Text: text, TS: ts})
		if code := post(t, addr, "/slack/events", body, "application/json"); code != http.StatusOK {
			t.Fatalf("event %d: %d", i, code)
		}
		api.WaitN(t, 1, "chat.postMessage", until[i])
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve stop = %v", err)
	}
	all := logs.String()
	assertNoTypedWords(t, all)
	if !strings.Contains(all, `"msg":"http request"`) || !strings.Contains(all, `"route":"POST /slack/events"`) {
		t.Errorf("no request log lines for the Slack deliveries:\n%s", all)
	}
}

// caseIDIn finds the first case id (IT-1234) in s.
func caseIDIn(s string) string {
	i := strings.Index(s, "IT-")
	if i < 0 {
		return ""
	}
	j := i + 3
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i+3 {
		return ""
	}
	return s[i:j]
}
