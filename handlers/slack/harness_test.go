package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	hbslack "github.com/helpbot/helpbot/handlers/slack"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

// The people in these tests.
const (
	secret    = "8f742231b10e8888abcd99yyyzzz85a5"
	techChan  = "CTECH"
	general   = "CGENERAL"
	teacher   = "UTEACH"
	techAlex  = "UALEX" // listed in SLACK_TECH_USERS
	techSam   = "USAM"  // member of the tech user group
	student   = "USTUDENT"
	techGroup = "STECHS"
)

var (
	libOnce sync.Once
	lib     *knowledge.Library
)

func sampleKB(t testing.TB) *knowledge.Library {
	libOnce.Do(func() {
		ix, _ := knowledge.LoadFS(kb.FS)
		lib = knowledge.NewLibrary(ix)
	})
	if lib == nil {
		t.Fatal("sample KB did not load")
	}
	return lib
}

// replica is one running helpbot (desk + Slack edge) behind an HTTP server.
type replica struct {
	edge *hbslack.Edge
	desk *bot.Desk
	srv  *httptest.Server
	stop context.CancelFunc
	done chan error
}

// harness is a fake Slack and one or more replicas sharing one Redis.
type harness struct {
	t        *testing.T
	api      *slacktest.API
	store    *hbredis.Store
	replicas []*replica
	evSeq    atomic.Int64
	tsSeq    atomic.Int64
}

type option func(*hbslack.Config)

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	h := bareHarness(t)
	h.addReplica(opts...)
	return h
}

// bareHarness is the fake Slack and Redis, with no replica running yet.
func bareHarness(t *testing.T) *harness {
	h := &harness{t: t, api: slacktest.New(t), store: redistest.Store(t)}
	h.api.SetName(teacher, "Pat Rivera")
	h.api.SetName(techAlex, "Alex Chen")
	h.api.SetName(techSam, "Sam Ortiz")
	h.api.SetName(student, "Jordan Kid")
	h.api.SetGroup(techGroup, techSam)
	return h
}

func (h *harness) config(opts ...option) hbslack.Config {
	cfg := hbslack.Config{
		BotToken:      "xoxb-test",
		SigningSecret: secret,
		TechChannel:   techChan,
		TechUsers:     []string{techAlex},
		TechUsergroup: techGroup,
		APIURL:        h.api.URL(),
		Workers:       8,
		Queue:         64,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// addReplica starts another helpbot on the same Redis and fake Slack.
func (h *harness) addReplica(opts ...option) *replica {
	t := h.t
	t.Helper()
	cfg := h.config(opts...)
	var edge *hbslack.Edge
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := bot.New(bot.Config{
		Store:    h.store,
		Answerer: knowledge.NewAnswerer(sampleKB(t), knowledge.AnswererOptions{}),
		Screener: sc,
		Techs: bot.TechsFunc(func(ctx context.Context, platform string, p bot.Person) (bool, error) {
			return edge.Techs().IsTech(ctx, platform, p)
		}),
		Policy: bot.Policy{RateLimit: 1000, RateWindow: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	edge, err = hbslack.New(cfg, desk, h.store)
	if err != nil {
		t.Fatal(err)
	}
	desk.SetNotifier(bot.PlatformSlack, edge.Notifier())
	r := h.start(edge)
	r.desk = desk
	return r
}

func (h *harness) start(edge *hbslack.Edge) *replica {
	t := h.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if err := edge.Connect(ctx); err != nil {
		cancel()
		t.Fatalf("Connect: %v", err)
	}
	mux := http.NewServeMux()
	edge.Routes(mux)
	r := &replica{edge: edge, srv: httptest.NewServer(mux), stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- edge.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
		r.srv.Close()
	})
	h.replicas = append(h.replicas, r)
	return r
}

func (h *harness) eventID() string { return fmt.Sprintf("Ev%06d", h.evSeq.Add(1)) }

// ts makes message timestamps for people's messages (the fake numbers the
// bot's own from 1700000000).
func (h *harness) ts() string { return fmt.Sprintf("1600000000.%06d", h.tsSeq.Add(1)) }

// deliver POSTs a signed body to a replica's endpoint and returns status and body.
func deliver(t testing.TB, r *replica, path string, body []byte, contentType string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range slacktest.Sign(secret, time.Now(), body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// send delivers an event to the first replica and expects 200.
func (h *harness) send(e slacktest.Event) slacktest.Event {
	h.t.Helper()
	if e.ID == "" {
		e.ID = h.eventID()
	}
	if e.TS == "" {
		e.TS = h.ts()
	}
	if code, _ := deliver(h.t, h.replicas[0], "/slack/events", slacktest.EventBody(e), "application/json"); code != http.StatusOK {
		h.t.Fatalf("event %s: status %d", e.ID, code)
	}
	return e
}

// dm is the teacher (or anyone) writing to the bot directly.
func (h *harness) dm(user, channel, text string) slacktest.Event {
	h.t.Helper()
	return h.send(slacktest.Event{Channel: channel, ChannelType: "im", User: user, Text: text})
}

// click presses a button found in a posted or updated message.
func (h *harness) click(r *replica, user string, in slacktest.Call, action string) {
	h.t.Helper()
	c := clickFor(h.t, user, in, action)
	if code, _ := deliver(h.t, r, "/slack/interactivity", slacktest.ClickForm(c), "application/x-www-form-urlencoded"); code != http.StatusOK {
		h.t.Fatalf("click %s: status %d", action, code)
	}
}

// clickFor builds the press of action on the message a call posted.
func clickFor(t testing.TB, user string, in slacktest.Call, action string) slacktest.Click {
	t.Helper()
	blockID, value := findButton(t, in, action)
	ts := in.TS
	if in.Method == "chat.update" {
		ts = in.Form["ts"]
	}
	return slacktest.Click{User: user, Channel: in.Form["channel"], MessageTS: ts, ThreadTS: in.Form["thread_ts"],
		BlockID: blockID, ActionID: action, Value: value, Blocks: json.RawMessage(in.Blocks())}
}

func findButton(t testing.TB, in slacktest.Call, action string) (blockID, value string) {
	t.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(in.Blocks()), &blocks); err != nil {
		t.Fatalf("blocks of %s: %v", in.Method, err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if b.Type == "actions" && e.ActionID == action {
				return b.BlockID, e.Value
			}
		}
	}
	t.Fatalf("no %s button in %s to %s: %s", action, in.Method, in.Form["channel"], in.Blocks())
	return "", ""
}

func hasButton(c slacktest.Call, action string) bool {
	return strings.Contains(c.Blocks(), `"action_id":"`+action+`"`)
}

// posts waits for n posts to channel whose text contains all of want.
func (h *harness) posts(n int, channel string, want ...string) []slacktest.Call {
	h.t.Helper()
	return h.api.WaitN(h.t, n, "chat.postMessage", func(c slacktest.Call) bool {
		return c.Form["channel"] == channel && containsAll(c.Text(), want...)
	})
}

func containsAll(s string, want ...string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// count is how many recorded calls of method match.
func (h *harness) count(method string, match func(slacktest.Call) bool) int {
	n := 0
	for _, c := range h.api.Calls(method) {
		if match == nil || match(c) {
			n++
		}
	}
	return n
}

// quiesce waits until every replica has finished all accepted work, by
// stopping them; afterwards the recorded calls are final.
func (h *harness) quiesce() {
	h.t.Helper()
	for _, r := range h.replicas {
		r.stop()
		if err := <-r.done; err != nil {
			h.t.Fatalf("Run: %v", err)
		}
		r.done <- nil // for the cleanup
	}
}
