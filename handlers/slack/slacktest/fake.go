// Package slacktest is a local stand-in for Slack in tests and benchmarks:
// a Web API that records every call, a Socket Mode WebSocket server, and
// request signing exactly as Slack signs Events API deliveries.
package slacktest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one recorded Web API call.
type Call struct {
	Method string
	Form   map[string]string // first value of each form field
	At     time.Time
	TS     string // the ts the fake gave a posted message
}

// Blocks is the call's "blocks" field as raw JSON text ("" if none).
func (c Call) Blocks() string { return c.Form["blocks"] }

// Text is everything the call would show, as Slack would read it: the
// fallback text and every string in the blocks, JSON-decoded (so "<" is a
// real "<", and a live <!channel> would show up as one).
func (c Call) Text() string {
	var b strings.Builder
	b.WriteString(c.Form["text"])
	var blocks any
	if json.Unmarshal([]byte(c.Form["blocks"]), &blocks) == nil {
		collect(&b, blocks)
	}
	return b.String()
}

func collect(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString("\n" + x)
	case []any:
		for _, e := range x {
			collect(b, e)
		}
	case map[string]any:
		for _, k := range []string{"text", "fields", "elements", "value", "action_id"} {
			if e, ok := x[k]; ok {
				collect(b, e)
			}
		}
	}
}

// API is a fake Slack Web API.
type API struct {
	Server *httptest.Server

	mu       sync.Mutex
	calls    []Call
	changed  chan struct{}
	seq      int
	names    map[string]string
	groups   map[string][]string
	limited  map[string][]time.Duration // method → queued Retry-After replies
	failWith map[string]string          // method → error code for every call
	botUser  string
	botID    string
	holds    map[string]*hold // method → the gate its calls wait at
	keep     bool             // record calls (off in load tests, which count instead)
	counts   map[string]int
	onPost   func(Call)

	Socket *Socket // set by StartSocket
}

// New starts a fake Web API; it closes when the test ends.
func New(t testing.TB) *API {
	a := NewServer()
	t.Cleanup(a.Close)
	return a
}

// NewServer starts a fake Web API outside a test (benchmarks).
func NewServer() *API {
	a := &API{
		changed: make(chan struct{}), names: map[string]string{}, groups: map[string][]string{},
		limited: map[string][]time.Duration{}, failWith: map[string]string{}, holds: map[string]*hold{},
		botUser: "UBOT", botID: "BBOT", keep: true, counts: map[string]int{},
	}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// Close stops the servers.
func (a *API) Close() {
	if a.Socket != nil {
		a.Socket.close()
	}
	a.Server.Close()
}

// URL is the base URL to give the edge (SLACK_API_URL), with the trailing
// slash slack-go needs.
func (a *API) URL() string { return a.Server.URL + "/api/" }

// BotUser is the bot's user id auth.test reports.
func (a *API) BotUser() string { return a.botUser }

// SetName gives a user a display name for users.info.
func (a *API) SetName(id, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.names[id] = name
}

// SetGroup sets a user group's members for usergroups.users.list.
func (a *API) SetGroup(id string, members ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.groups[id] = members
}

// RateLimit makes the next call of method answer 429 with Retry-After.
func (a *API) RateLimit(method string, retryAfter time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limited[method] = append(a.limited[method], retryAfter)
}

// Fail makes every call of method answer {"ok":false,"error":code}.
func (a *API) Fail(method, code string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failWith[method] = code
}

// Hold makes calls of method wait, unanswered, until release is called
// (it may be called more than once); arrived is closed when the first
// held call comes in.
func (a *API) Hold(method string) (arrived <-chan struct{}, release func()) {
	h := &hold{gate: make(chan struct{}), arrived: make(chan struct{})}
	a.mu.Lock()
	a.holds[method] = h
	a.mu.Unlock()
	var once sync.Once
	return h.arrived, func() {
		once.Do(func() {
			a.mu.Lock()
			delete(a.holds, method)
			a.mu.Unlock()
			close(h.gate)
		})
	}
}

type hold struct {
	gate, arrived chan struct{}
	once          sync.Once
}

// CountOnly stops recording call details (load tests); Count still works.
func (a *API) CountOnly(onPost func(Call)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keep = false
	a.onPost = onPost
}

// Count is how many calls of method were made (failed ones included).
func (a *API) Count(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[method]
}

// Calls returns the recorded calls of the given methods (all when none).
func (a *API) Calls(methods ...string) []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Call
	for _, c := range a.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Wait blocks until cond holds over the recorded calls, or fails the test
// after timeout. It wakes on every new call: no polling, no sleeps.
func (a *API) Wait(t testing.TB, timeout time.Duration, what string, cond func([]Call) bool) []Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		a.mu.Lock()
		calls := append([]Call(nil), a.calls...)
		ch := a.changed
		a.mu.Unlock()
		if cond(calls) {
			return calls
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s; calls so far:\n%s", what, dump(calls))
			return nil
		}
	}
}

// WaitN waits until at least n calls of method match.
func (a *API) WaitN(t testing.TB, n int, method string, match func(Call) bool) []Call {
	t.Helper()
	var got []Call
	a.Wait(t, 10*time.Second, fmt.Sprintf("%d %s call(s)", n, method), func(calls []Call) bool {
		got = got[:0]
		for _, c := range calls {
			if c.Method == method && (match == nil || match(c)) {
				got = append(got, c)
			}
		}
		return len(got) >= n
	})
	return got
}

func dump(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s channel=%s thread=%s user=%s text=%q\n", c.Method, c.Form["channel"], c.Form["thread_ts"], c.Form["user"], trim(c.Form["text"], 120))
	}
	return b.String()
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (a *API) record(c Call) {
	a.mu.Lock()
	a.counts[c.Method]++
	if a.keep {
		a.calls = append(a.calls, c)
		close(a.changed)
		a.changed = make(chan struct{})
	}
	on := a.onPost
	a.mu.Unlock()
	if on != nil && (c.Method == "chat.postMessage" || c.Method == "chat.postEphemeral") {
		on(c)
	}
}

func (a *API) nextTS() string {
	a.seq++
	return fmt.Sprintf("1700000000.%06d", a.seq)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/socket" {
		if a.Socket != nil {
			a.Socket.serve(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k, v := range r.Form {
		if len(v) > 0 && k != "token" {
			form[k] = v[0]
		}
	}
	c := Call{Method: method, Form: form, At: time.Now()}

	a.mu.Lock()
	if h := a.holds[method]; h != nil {
		a.mu.Unlock()
		h.once.Do(func() { close(h.arrived) })
		<-h.gate
		a.mu.Lock()
	}
	if q := a.limited[method]; len(q) > 0 {
		wait := q[0]
		a.limited[method] = q[1:]
		a.mu.Unlock()
		c.Form["_rate_limited"] = "1"
		a.record(c)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if code, ok := a.failWith[method]; ok {
		a.mu.Unlock()
		c.Form["_failed"] = code
		a.record(c)
		writeJSON(w, map[string]any{"ok": false, "error": code})
		return
	}
	var resp map[string]any
	switch method {
	case "auth.test":
		resp = map[string]any{"ok": true, "user_id": a.botUser, "bot_id": a.botID, "team_id": "T1", "user": "helpbot", "team": "District"}
	case "chat.postMessage":
		c.TS = a.nextTS()
		resp = map[string]any{"ok": true, "channel": form["channel"], "ts": c.TS}
	case "chat.update":
		resp = map[string]any{"ok": true, "channel": form["channel"], "ts": form["ts"], "text": form["text"]}
	case "chat.postEphemeral":
		resp = map[string]any{"ok": true, "message_ts": a.nextTS()}
	case "conversations.open":
		id := "G" + strings.ReplaceAll(strings.ToUpper(form["users"]), ",", "")
		resp = map[string]any{"ok": true, "channel": map[string]any{"id": id}}
	case "users.info":
		name := a.names[form["user"]]
		resp = map[string]any{"ok": true, "user": map[string]any{"id": form["user"], "name": strings.ToLower(form["user"]), "real_name": name, "profile": map[string]any{"display_name": name, "real_name": name}}}
	case "usergroups.users.list":
		resp = map[string]any{"ok": true, "users": a.groups[form["usergroup"]]}
	case "apps.connections.open":
		if a.Socket == nil {
			resp = map[string]any{"ok": false, "error": "not_allowed_token_type"}
			break
		}
		resp = map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(a.Server.URL, "http") + "/socket"}
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	a.mu.Unlock()
	a.record(c)
	writeJSON(w, resp)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Sign returns the headers Slack sends with a body: X-Slack-Request-Timestamp
// and X-Slack-Signature = v0=hex(HMAC-SHA256(secret, "v0:ts:body")).
func Sign(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}
