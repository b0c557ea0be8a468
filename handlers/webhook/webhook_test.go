package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

const secret = "test-secret-0123456789"

// clock is a fake clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// receiver is a ticket system: it verifies each delivery and answers with
// the status the test sets (a fixed one, or per event).
type receiver struct {
	t     *testing.T
	clock *clock
	srv   *httptest.Server

	mu       sync.Mutex
	status   int            // answer for everything…
	byEvent  map[string]int // …unless an event name has its own
	header   http.Header    // extra response headers
	accepted []Payload      // 2xx answers, in arrival order
	attempts map[string][]int
	requests []*http.Request
	bodies   [][]byte
}

func newReceiver(t *testing.T, c *clock) *receiver {
	r := &receiver{t: t, clock: c, status: 200, byEvent: map[string]int{}, header: http.Header{}, attempts: map[string][]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := Verify(secret, req.Header.Get(HeaderSignature), req.Header.Get(HeaderTimestamp), body, r.clock.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("delivery does not verify: %v", err)
		w.WriteHeader(401)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		r.t.Errorf("body is not a payload: %v", err)
	}
	if got := req.Header.Get(HeaderEventID); got != p.ID || req.Header.Get(HeaderIdemKey) != p.ID {
		r.t.Errorf("event id headers = %q/%q; want the payload id %q", got, req.Header.Get(HeaderIdemKey), p.ID)
	}
	if got := req.Header.Get(HeaderEvent); got != p.Event {
		r.t.Errorf("%s = %q; want %q", HeaderEvent, got, p.Event)
	}
	n, _ := strconv.Atoi(req.Header.Get(HeaderAttempt))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req)
	r.bodies = append(r.bodies, body)
	r.attempts[p.ID] = append(r.attempts[p.ID], n)
	status := r.status
	if s, ok := r.byEvent[p.Event]; ok {
		status = s
	}
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if status >= 200 && status < 300 {
		r.accepted = append(r.accepted, p)
	}
	w.WriteHeader(status)
}

func (r *receiver) set(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *receiver) got() []Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.accepted)
}

type fixture struct {
	rdb    goredis.UniversalClient
	prefix string
	clock  *clock
	recv   *receiver
	out    *Outbox
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	c := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	f := &fixture{rdb: rdb, prefix: prefix, clock: c, recv: newReceiver(t, c)}
	f.out = mustOutbox(t, f.options(mod))
	return f
}

func (f *fixture) options(mod func(*Options)) Options {
	o := Options{
		URL: f.recv.srv.URL, Secret: secret, Redis: f.rdb, Prefix: f.prefix,
		Clock: f.clock.Now, Rand: func() float64 { return 0.5 },
		BaseDelay: 5 * time.Second, MaxDelay: 10 * time.Minute, Lease: time.Minute,
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

func (f *fixture) deliverer(t *testing.T) *Deliverer {
	t.Helper()
	d, err := NewDeliverer(f.options(nil))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustOutbox(t *testing.T, o Options) *Outbox {
	t.Helper()
	b, err := NewOutbox(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	pat  = bot.Person{ID: "U_PAT", Name: "Pat Rivera"}
	sam  = bot.Person{ID: "U_SAM", Name: "Sam Lee"}
	alex = bot.Person{ID: "U_ALEX", Name: "Alex Chen"}
)

func testCase(id string, who bot.Person) bot.Escalation {
	return bot.Escalation{
		ID: id, Status: bot.StatusOpen, Priority: bot.PriorityUrgent, Reason: bot.ReasonUrgent,
		Requester: who, Platform: bot.PlatformSlack, Conversation: "D1", Location: "Lincoln MS room 12",
		Summary: "projector says no signal", Brief: "Projector: no signal.\nTried: input switch.",
		Transcript: []bot.Turn{{Who: "requester", Text: "projector says no signal and class can't start"}},
		Articles:   []bot.Source{{Title: "Projector shows no signal", Path: "display/no-signal.md"}},
		CreatedAt:  time.Date(2026, 11, 23, 8, 55, 0, 0, time.UTC), Card: "C9/1700.1",
	}
}

// observe sends a desk event to the outbox, as the Desk would.
func (f *fixture) observe(typ bot.EventType, e bot.Escalation) {
	f.out.Observe(context.Background(), bot.Event{Type: typ, At: f.clock.Now(), Platform: e.Platform, Case: &e})
}

// lifecycle queues created → claimed → resolved for one case.
func (f *fixture) lifecycle(id string, who bot.Person) {
	e := testCase(id, who)
	f.observe(bot.EventEscalated, e)
	e.Status, e.Claimer, e.ClaimedAt = bot.StatusClaimed, alex, f.clock.Now()
	f.observe(bot.EventClaimed, e)
	e.Status, e.ResolvedAt = bot.StatusResolved, f.clock.Now()
	f.observe(bot.EventResolved, e)
}

func pending(t *testing.T, b *Outbox) int {
	t.Helper()
	n, err := b.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// both runs two deliverers at once, as two replicas would.
func both(t *testing.T, a, b *Deliverer) Result {
	t.Helper()
	var wg sync.WaitGroup
	res := make([]Result, 2)
	for i, d := range []*Deliverer{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := d.DeliverDue(context.Background())
			if err != nil {
				t.Errorf("DeliverDue: %v", err)
			}
			res[i] = r
		}()
	}
	wg.Wait()
	return Result{res[0].Delivered + res[1].Delivered, res[0].Retried + res[1].Retried, res[0].Dead + res[1].Dead}
}

func TestReceiverDownThenBack(t *testing.T) {
	f := newFixture(t, nil)
	f.recv.set(http.StatusServiceUnavailable)
	f.lifecycle("IT-1001", pat)
	f.lifecycle("IT-1002", sam)
	e := testCase("IT-1003", sam)
	f.observe(bot.EventEscalated, e)
	e.Status = bot.StatusCancelled
	f.observe(bot.EventCancelled, e)

	d1, d2 := f.deliverer(t), f.deliverer(t)
	// Down for a while: every try fails, nothing is lost, nothing is
	// accepted, and a failing case does not move on to its next event.
	for range 4 {
		r := both(t, d1, d2)
		if r.Delivered != 0 || r.Dead != 0 || r.Retried != 3 {
			t.Fatalf("while down: %+v; want 3 retried (the head of each case's queue)", r)
		}
		f.clock.Add(10 * time.Minute)
	}
	if n := pending(t, f.out); n != 8 {
		t.Fatalf("pending while down = %d; want 8", n)
	}

	f.recv.set(http.StatusOK)
	f.clock.Add(10 * time.Minute)
	total := Result{}
	for i := 0; pending(t, f.out) > 0; i++ {
		if i > 10 {
			t.Fatalf("events still pending after %d rounds", i)
		}
		r := both(t, d1, d2)
		total.Delivered += r.Delivered
		total.Dead += r.Dead
	}
	if total.Delivered != 8 || total.Dead != 0 {
		t.Fatalf("after recovery: %+v; want 8 delivered", total)
	}

	got := f.recv.got()
	seen := map[string]int{}
	perCase := map[string][]string{}
	for _, p := range got {
		seen[p.ID]++
		perCase[p.Case.ID] = append(perCase[p.Case.ID], p.Event)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s accepted %d times; want once", id, n)
		}
	}
	want := map[string][]string{
		"IT-1001": {EventCreated, EventClaimed, EventResolved},
		"IT-1002": {EventCreated, EventClaimed, EventResolved},
		"IT-1003": {EventCreated, EventCancelled},
	}
	for c, w := range want {
		if !slices.Equal(perCase[c], w) {
			t.Errorf("case %s events in order %v; want %v", c, perCase[c], w)
		}
	}
	// The heads were tried while the receiver was down: their accepted
	// try says so, and the retries carried the same event id.
	f.recv.mu.Lock()
	for _, p := range got {
		if p.Event == EventCreated {
			if a := f.recv.attempts[p.ID]; len(a) != 5 || a[4] != 5 {
				t.Errorf("attempts of %s = %v; want 1..5", p.Case.ID, a)
			}
		}
	}
	f.recv.mu.Unlock()
	assertTTLs(t, f)
}

func TestOutboxSurvivesRestartAndCrashedLease(t *testing.T) {
	f := newFixture(t, nil)
	f.lifecycle("IT-1001", pat)

	// A replica leases the case and dies before sending anything.
	crashed := f.deliverer(t)
	jobs, err := crashed.claim(context.Background())
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim = %v, %v; want one job", jobs, err)
	}

	// A fresh process on the same Redis: the lease is still held, so it
	// does not send the event a second time…
	restarted := f.deliverer(t)
	if r, err := restarted.DeliverDue(context.Background()); err != nil || r != (Result{}) {
		t.Fatalf("during the lease: %+v, %v; want nothing sent", r, err)
	}
	// …and once the lease has run out it delivers everything, in order.
	f.clock.Add(time.Minute + time.Second)
	r, err := restarted.DeliverDue(context.Background())
	if err != nil || r.Delivered != 3 {
		t.Fatalf("after the lease: %+v, %v; want 3 delivered", r, err)
	}
	var events []string
	for _, p := range f.recv.got() {
		events = append(events, p.Event)
	}
	if want := []string{EventCreated, EventClaimed, EventResolved}; !slices.Equal(events, want) {
		t.Fatalf("events = %v; want %v", events, want)
	}
	// The crashed replica's late report changes nothing.
	crashed.finish(context.Background(), jobs[0], f.clock.Now(), nil, crashed.o.Logger)
	if n := pending(t, f.out); n != 0 {
		t.Fatalf("pending = %d; want 0", n)
	}
}

func TestStatusHandling(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantDead   bool
		wantDelay  time.Duration // minimum wait before the next try
	}{
		{"bad request is dead-lettered", 400, "", true, 0},
		{"unauthorized is dead-lettered", 401, "", true, 0},
		{"not found is dead-lettered", 404, "", true, 0},
		{"unprocessable is dead-lettered", 422, "", true, 0},
		{"redirect is dead-lettered", 302, "", true, 0},
		{"request timeout is retried", 408, "", false, 2500 * time.Millisecond},
		{"rate limit is retried after Retry-After", 429, "120", false, 120 * time.Second},
		{"server error is retried", 500, "", false, 2500 * time.Millisecond},
		{"unavailable is retried", 503, "", false, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.recv.byEvent[EventCreated] = tt.status
			if tt.retryAfter != "" {
				f.recv.header.Set("Retry-After", tt.retryAfter)
			}
			if tt.status == 302 {
				f.recv.header.Set("Location", "https://elsewhere.example/")
			}
			f.lifecycle("IT-1001", pat)
			d := f.deliverer(t)
			r, err := d.DeliverDue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantDead {
				// The rejected event is noted and dropped; the case's later
				// events still go.
				if r.Dead != 1 || r.Delivered != 2 {
					t.Fatalf("result %+v; want 1 dead, 2 delivered", r)
				}
				dead, err := f.out.DeadLetters(context.Background(), 10)
				if err != nil || len(dead) != 1 || dead[0].Status != tt.status || dead[0].Case != "IT-1001" || dead[0].Event != EventCreated {
					t.Fatalf("dead letters = %+v, %v", dead, err)
				}
				raw, _ := f.rdb.LRange(context.Background(), f.prefix+KeyDead, 0, -1).Result()
				if strings.Contains(strings.Join(raw, ""), pat.Name) || strings.Contains(strings.Join(raw, ""), "projector") {
					t.Fatalf("dead letter keeps personal data: %v", raw)
				}
				return
			}
			if r.Retried != 1 || r.Delivered != 0 {
				t.Fatalf("result %+v; want 1 retried and the case held back", r)
			}
			next, ok, err := d.nextDue(context.Background())
			if err != nil || !ok {
				t.Fatal("no next due time")
			}
			if w := next.Sub(f.clock.Now()); w < tt.wantDelay {
				t.Fatalf("next try in %s; want at least %s", w, tt.wantDelay)
			}
			f.recv.mu.Lock()
			delete(f.recv.byEvent, EventCreated)
			f.recv.mu.Unlock()
			f.clock.Add(time.Hour)
			if r, _ := d.DeliverDue(context.Background()); r.Delivered != 3 {
				t.Fatalf("after recovery %+v; want 3 delivered", r)
			}
		})
	}
}

func TestGivesUpAfterMaxAge(t *testing.T) {
	f := newFixture(t, nil)
	f.recv.set(http.StatusBadGateway)
	f.lifecycle("IT-1001", pat)
	d := f.deliverer(t)
	for i := 0; pending(t, f.out) > 0; i++ {
		if i > 500 {
			t.Fatal("never gave up")
		}
		if _, err := d.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(10 * time.Minute)
	}
	if f.clock.Now().Sub(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) > 25*time.Hour+30*time.Minute {
		t.Fatalf("gave up only at %s", f.clock.Now())
	}
	dead, _ := f.out.DeadLetters(context.Background(), 10)
	if len(dead) != 3 || dead[0].Reason != "max age reached" {
		t.Fatalf("dead letters = %+v; want 3, max age reached", dead)
	}
	if len(f.recv.got()) != 0 {
		t.Fatal("something was accepted by a receiver that never said yes")
	}
}

func TestPayloadAndSignature(t *testing.T) {
	for _, transcript := range []bool{false, true} {
		t.Run(fmt.Sprintf("transcript=%v", transcript), func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Transcript = transcript })
			f.lifecycle("IT-1001", pat)
			if _, err := f.deliverer(t).DeliverDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := f.recv.got()
			if len(got) != 3 {
				t.Fatalf("got %d deliveries; want 3", len(got))
			}
			c := got[1].Case // claimed
			if c.ID != "IT-1001" || c.Status != "claimed" || c.Priority != "urgent" || c.Requester != (Person{pat.ID, pat.Name}) ||
				c.Location != "Lincoln MS room 12" || c.Summary != "projector says no signal" || !strings.HasPrefix(c.Brief, "Projector") ||
				c.Claimer == nil || c.Claimer.Name != alex.Name || len(c.ArticlesTried) != 1 || c.ArticlesTried[0].Path != "display/no-signal.md" ||
				c.Link.Platform != "slack" || c.Link.Conversation != "D1" || c.Link.Card != "C9/1700.1" {
				t.Fatalf("claimed payload case = %+v", c)
			}
			if got[0].Case.Claimer != nil {
				t.Fatal("created payload has a claimer")
			}
			f.recv.mu.Lock()
			body := string(f.recv.bodies[0])
			f.recv.mu.Unlock()
			if has := strings.Contains(body, "class can't start"); has != transcript {
				t.Fatalf("transcript in body = %v; want %v:\n%s", has, transcript, body)
			}
			// A tampered body or another secret does not verify.
			ts := f.clock.Now().Unix()
			sig := Sign(secret, ts, []byte(body))
			if err := Verify(secret, sig, strconv.FormatInt(ts, 10), []byte(body+" "), f.clock.Now(), time.Minute); err != ErrBadSignature {
				t.Fatalf("tampered body: %v", err)
			}
			if err := Verify("other", sig, strconv.FormatInt(ts, 10), []byte(body), f.clock.Now(), time.Minute); err != ErrBadSignature {
				t.Fatalf("other secret: %v", err)
			}
			if err := Verify(secret, sig, strconv.FormatInt(ts, 10), []byte(body), f.clock.Now().Add(time.Hour), 5*time.Minute); err != ErrStale {
				t.Fatalf("replayed an hour later: %v", err)
			}
		})
	}
}

func TestForgetUserDropsOnlyTheirEvents(t *testing.T) {
	f := newFixture(t, nil)
	f.recv.set(503)
	f.lifecycle("IT-1001", pat)
	f.lifecycle("IT-1002", sam)
	n, err := f.out.ForgetUser(context.Background(), bot.PlatformSlack, pat.ID)
	if err != nil || n != 3 {
		t.Fatalf("ForgetUser = %d, %v; want 3", n, err)
	}
	// The same id on another platform is someone else.
	if n, _ := f.out.ForgetUser(context.Background(), bot.PlatformTeams, sam.ID); n != 0 {
		t.Fatalf("ForgetUser on teams dropped %d slack events", n)
	}
	f.recv.set(200)
	if r, _ := f.deliverer(t).DeliverDue(context.Background()); r.Delivered != 3 {
		t.Fatalf("delivered %+v; want Sam's 3", r)
	}
	for _, p := range f.recv.got() {
		if p.Case.Requester.ID != sam.ID {
			t.Fatalf("delivered an event about %s after they were forgotten", p.Case.Requester.ID)
		}
	}
	keys, _ := f.rdb.Keys(context.Background(), f.prefix+"*").Result()
	for _, k := range keys {
		if strings.Contains(k, KeyEvent) {
			t.Fatalf("event key left behind: %s", k)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://tickets.example.org/hook", true},
		{"http://127.0.0.1:9000/hook", true},
		{"http://localhost:9000/hook", true},
		{"http://[::1]:9000/hook", true},
		{"http://tickets.example.org/hook", false},
		{"ftp://tickets.example.org/", false},
		{"https://user:pass@tickets.example.org/", false},
		{"tickets.example.org", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := CheckURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v; want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestNonCaseEventsAreNotSent(t *testing.T) {
	f := newFixture(t, nil)
	for _, typ := range []bot.EventType{bot.EventAsked, bot.EventAnswered, bot.EventNotSure, bot.EventPolicy, bot.EventSolved} {
		f.out.Observe(context.Background(), bot.Event{Type: typ, Platform: "slack", User: "U1", Question: "secret question"})
	}
	if n := pending(t, f.out); n != 0 {
		t.Fatalf("pending = %d; want 0", n)
	}
}

// assertTTLs checks every key the outbox left has an expiry.
func assertTTLs(t *testing.T, f *fixture) {
	t.Helper()
	f.recv.set(503)
	f.lifecycle("IT-2000", pat)
	if _, err := f.deliverer(t).DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, err := f.rdb.Keys(context.Background(), f.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no keys to check")
	}
	for _, k := range keys {
		ttl, err := f.rdb.PTTL(context.Background(), k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %s has no TTL (%v, %v)", k, ttl, err)
		}
	}
}
