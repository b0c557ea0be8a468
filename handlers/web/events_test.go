package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// stream is one open /api/events connection, read event by event.
type stream struct {
	t      *testing.T
	r      *bufio.Reader
	body   io.Closer
	cancel context.CancelFunc
}

type sse struct {
	name string
	data string
}

func (h *harness) stream(staff string) *stream {
	h.t.Helper()
	// The deadline bounds every read below: a missing event fails the test
	// instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/events?staff="+staff, nil)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		h.t.Fatalf("events = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: h.t, r: bufio.NewReader(resp.Body), body: resp.Body, cancel: cancel}
	h.t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	s.body.Close()
}

// next reads one event; comments (keep-alives) are skipped.
func (s *stream) next() (sse, error) {
	var ev sse
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev, nil
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

// until reads events until one named name contains want.
func (s *stream) until(name, want string) sse {
	s.t.Helper()
	for {
		ev, err := s.next()
		if err != nil {
			s.t.Fatalf("waiting for a %s event with %q: %v", name, want, err)
		}
		if ev.name == name && strings.Contains(ev.data, want) {
			return ev
		}
	}
}

func TestEventsFollowTheCase(t *testing.T) {
	h := newHarness(t)
	h.say("pat.rivera", "I need a person, the smartboard in room 5 at Lincoln Elementary is dead")

	pat := h.stream("pat.rivera")
	sam := h.stream("sam.lee")

	snap := pat.until("snapshot", "IT-1001")
	var s snapshot
	if err := json.Unmarshal([]byte(snap.data), &s); err != nil {
		t.Fatal(err)
	}
	if s.Staff != "pat.rivera" || len(s.Chat) < 2 || len(s.Cards) != 1 || s.Cards[0].Status != bot.StatusOpen {
		t.Fatalf("Pat's snapshot = %+v; want her chat and the open card", s)
	}
	sam.until("snapshot", `"chat":[]`) // Sam sees the channel, not Pat's chat

	h.press("alex.chen", bot.ActionClaim, "IT-1001", 0)
	pat.until("card", `"statusText":"Claimed by Alex Chen"`)
	pat.until("chat", "Alex Chen from the IT team has your request IT-1001")
	sam.until("card", `"statusText":"Claimed by Alex Chen"`)

	// Sam's stream must not carry Pat's notice: the next thing Sam sees
	// after the claim is his own message.
	h.say("sam.lee", "printer is jammed")
	for {
		ev, err := sam.next()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ev.data, "Alex Chen from the IT team") {
			t.Fatalf("Sam's view got Pat's notice: %s", ev.data)
		}
		if ev.name == "chat" && strings.Contains(ev.data, "printer is jammed") {
			break
		}
	}

	h.press("alex.chen", bot.ActionResolve, "IT-1001", 0)
	pat.until("chat", "Is it fixed?")
}

// A restarted playground (on a real Redis) still shows the open cases.
func TestSnapshotIncludesOpenCasesFromTheStore(t *testing.T) {
	h := newHarness(t)
	h.say("pat.rivera", "get a tech, I'm in room 12")
	h.pg.mu.Lock()
	h.pg.board = nil // as after a restart: the store has the case, memory does not
	h.pg.mu.Unlock()
	h.stream("sam.lee").until("snapshot", `"id":"IT-1001"`)
}

func TestEventsEscapeMarkup(t *testing.T) {
	h := newHarness(t)
	pat := h.stream("pat.rivera")
	pat.until("snapshot", "")
	h.say("pat.rivera", `<script>alert("x")</script> get a tech in room 3`)
	ev := pat.until("card", "IT-1001")
	if strings.Contains(ev.data, "<script>") || !strings.Contains(ev.data, `\u003cscript\u003e`) {
		t.Fatalf("card event = %s; want the markup JSON-escaped", ev.data)
	}
}

// Shutting down ends the streams, so the server does not wait on browsers.
func TestCloseEndsStreams(t *testing.T) {
	h := newHarness(t)
	pat := h.stream("pat.rivera")
	pat.until("snapshot", "")
	h.pg.Close()
	for {
		_, err := pat.next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			t.Fatalf("stream ended with %v; want a clean end", err)
		}
	}
	code, _, _ := h.call("GET", "/api/events?staff=pat.rivera", "", nil, nil)
	if code != http.StatusServiceUnavailable {
		t.Errorf("new stream after Close = %d; want 503", code)
	}
}

// A view that stops reading is dropped rather than holding up the desk.
func TestSlowViewIsDropped(t *testing.T) {
	h := newHarness(t)
	sub, _, ok := h.pg.subscribe("pat.rivera", nil)
	if !ok {
		t.Fatal("subscribe refused")
	}
	for range cap(sub.ch) + 1 {
		h.pg.appendEntries("pat.rivera", Entry{From: "bot", Text: "x"})
	}
	for range sub.ch {
		// drain what was queued; the channel is closed after the overflow
	}
	h.pg.mu.Lock()
	_, still := h.pg.subs[sub]
	h.pg.mu.Unlock()
	if still {
		t.Fatal("a view that stopped reading is still subscribed")
	}
	// and the chat still took the message
	if got := h.lastEntry("pat.rivera").Text; got != "x" {
		t.Fatalf("last entry = %q", got)
	}
}

// A stream outlives the server's read and write timeouts (the real server
// has them for ordinary requests): no reconnect flicker every few seconds.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	h := newHarness(t)
	h.srv.Close()
	h.pg.keepAlive = 20 * time.Millisecond
	h.srv = httptest.NewUnstartedServer(h.pg.Handler())
	h.srv.Config.ReadTimeout = 100 * time.Millisecond
	h.srv.Config.WriteTimeout = 100 * time.Millisecond
	h.srv.Start()
	defer h.srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/events?staff=pat.rivera", nil)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	start := time.Now()
	for time.Since(start) < 500*time.Millisecond { // five times the timeouts
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("stream ended after %v: %v; want it open past the server timeouts", time.Since(start), err)
		}
	}
}
