package teams

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/handlers/teams/teamstest"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

var (
	libOnce sync.Once
	lib     *knowledge.Library
)

// sampleKB is the KB shipped with the binary, loaded once for all tests.
func sampleKB(t testing.TB) *knowledge.Library {
	libOnce.Do(func() {
		ix, _ := knowledge.LoadFS(kb.FS)
		lib = knowledge.NewLibrary(ix)
	})
	if lib.Index().Len() == 0 {
		t.Fatal("sample KB is empty")
	}
	return lib
}

// People in the tests. Techs are listed in TEAMS_TECH_USERS by object id.
var (
	pat   = teamstest.User{ID: "29:pat", Aad: "aaaaaaaa-0000-0000-0000-00000000000a", Name: "Pat Rivera"}
	alex  = teamstest.User{ID: "29:alex", Aad: "bbbbbbbb-0000-0000-0000-00000000000b", Name: "Alex Chen"}
	sam   = teamstest.User{ID: "29:sam", Aad: "cccccccc-0000-0000-0000-00000000000c", Name: "Sam Okafor"}
	kid   = teamstest.User{ID: "29:kid", Aad: "dddddddd-0000-0000-0000-00000000000d", Name: "A Student"}
	techs = []string{alex.Aad, strings.ToUpper(sam.Aad)} // ids compare case-insensitively
)

const techChannel = "19:techs@thread.tacv2"

type harness struct {
	t        testing.TB
	f        *teamstest.Fake
	edge     *Edge
	desk     *bot.Desk
	store    *hbredis.Store
	endpoint string
	asked    chan string // questions as the answerer saw them
	stopRun  func() error
}

type options struct {
	workers, queue int
	noRun          bool
	drain          time.Duration
	metrics        Metrics
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
	if platform == bot.PlatformTeams {
		m.events[outcome]++
	}
}

func (m *recMetrics) ObserveReply(platform string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if platform == bot.PlatformTeams && d >= 0 {
		m.replies++
	}
}

func (m *recMetrics) snapshot() (map[string]int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.events), m.replies
}

// quiesce stops the edge and waits until everything it acknowledged is
// done; afterwards what the fake recorded is final.
func (h *harness) quiesce() error {
	h.t.Helper()
	if h.stopRun == nil {
		h.t.Fatal("quiesce: the edge is not running")
	}
	return h.stopRun()
}

// holdTokens makes the bot's token requests wait (so its replies do) until
// the returned release is called; the test's end releases them too.
func (h *harness) holdTokens() (arrived <-chan struct{}, release func()) {
	arrived, rel := h.f.HoldTokens()
	var once sync.Once
	release = func() { once.Do(rel) }
	h.t.Cleanup(release)
	return arrived, release
}

// recordingAnswerer passes questions to the KB and reports their text.
type recordingAnswerer struct {
	bot.Answerer
	asked chan string
}

func (r recordingAnswerer) Answer(ctx context.Context, q bot.Question) (bot.Answer, error) {
	select {
	case r.asked <- q.Text:
	default:
	}
	return r.Answerer.Answer(ctx, q)
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	return newHarnessOpts(t, o)
}

func newHarnessTB(b *testing.B) *harness { return newHarnessOpts(b, options{}) }

func newHarnessOpts(t testing.TB, o options) *harness {
	t.Helper()
	f := teamstest.New(t)
	f.AddMember(teamstest.Member{ID: pat.ID, Name: pat.Name, AadObjectID: pat.Aad, UPN: "pat.rivera@district.org"})
	rdb, prefix := redistest.Client(t)
	store := hbredis.New(rdb, hbredis.Options{Prefix: prefix})
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, f: f, store: store, asked: make(chan string, 64)}
	var edge *Edge
	desk, err := bot.New(bot.Config{
		Store:    store,
		Answerer: recordingAnswerer{knowledge.NewAnswerer(sampleKB(t), knowledge.AnswererOptions{}), h.asked},
		Screener: sc,
		Techs: bot.TechsFunc(func(ctx context.Context, platform string, p bot.Person) (bool, error) {
			return edge.Techs().IsTech(ctx, platform, p)
		}),
		Policy: bot.Policy{Contact: "call x4357", RateLimit: 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	edge, err = New(Config{
		AppID: f.AppID, AppPassword: f.Secret, TenantID: f.Tenant,
		TechUsers:         techs,
		OpenIDMetadataURL: f.MetadataURL(), TokenURL: f.TokenURL(),
		ServiceURLHosts: []string{"127.0.0.1"},
		Desk:            desk, Limiter: store, Redis: rdb, Prefix: prefix,
		Workers: o.workers, QueueLen: o.queue, DrainTimeout: o.drain, Metrics: o.metrics,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	desk.SetNotifier(bot.PlatformTeams, edge.Notifier())
	srv := httptest.NewServer(edge)
	t.Cleanup(srv.Close)
	if !o.noRun {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- edge.Run(ctx) }()
		var once sync.Once
		var err error
		h.stopRun = func() error {
			once.Do(func() { cancel(); err = <-done })
			return err
		}
		t.Cleanup(func() { h.stopRun() })
	}
	h.edge, h.desk, h.endpoint = edge, desk, srv.URL+"/api/messages"
	return h
}

// post delivers an activity and checks Teams got an acknowledgement.
func (h *harness) post(act map[string]any) []byte {
	h.t.Helper()
	status, body := h.f.Post(h.t, h.endpoint, act)
	if status != 200 {
		h.t.Fatalf("POST %s activity: status %d %s", act["type"], status, body)
	}
	return body
}

// next waits for the next n connector calls after the first `from`.
func (h *harness) next(from *int, n int) []teamstest.Sent {
	h.t.Helper()
	all := h.f.WaitSent(*from + n)
	out := all[*from : *from+n]
	*from += n
	return out
}

func actionData(c map[string]any) []cardData {
	var out []cardData
	acts, _ := c["actions"].([]any)
	for _, a := range acts {
		m, _ := a.(map[string]any)
		raw, _ := json.Marshal(m["data"])
		var d cardData
		json.Unmarshal(raw, &d)
		out = append(out, d)
	}
	return out
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// The whole journey of issue #4: a teacher asks in personal chat, gets an
// answer, asks for a tech, gives the room; the card reaches the techs'
// channel; two techs claim at once and exactly one wins; the teacher is
// told who is coming; the winner resolves; the teacher confirms it's fixed.
func TestEndToEnd(t *testing.T) {
	h := newHarness(t, options{})
	seen := 0

	// A tech picks the channel for escalations.
	h.post(h.f.Mention(alex, techChannel, "", "use this channel for escalations"))
	got := h.next(&seen, 1)[0]
	contains(t, "set-up reply", got.Text(), "escalation cards will be posted in this channel")

	// Personal chat: a confident answer with its source and two buttons.
	h.post(h.f.Personal(pat, "the projector isn't showing my laptop"))
	answer := h.next(&seen, 1)[0]
	if answer.Conversation != "a:personal-"+pat.Aad || answer.Method != "POST" {
		t.Fatalf("answer went to %s %s; want POST to Pat's personal chat", answer.Method, answer.Conversation)
	}
	contains(t, "answer card", answer.Text(), "Source:")
	acts := teamstest.CardActions(answer.Card())
	if len(acts) < 2 || acts[0] != "Action.Submit:That fixed it" || acts[1] != "Action.Submit:Get a tech" {
		t.Fatalf("answer actions = %v; want That fixed it / Get a tech", acts)
	}
	if d := actionData(answer.Card()); d[1].Action != bot.ActionEscalate {
		t.Fatalf("Get a tech carries %+v; want action %s", d[1], bot.ActionEscalate)
	}

	// Get a tech: the answer card loses its buttons, the bot asks where.
	h.post(h.f.Submit(pat, teamstest.PersonalConv(pat), answer.ActivityID, bot.ActionEscalate, ""))
	calls := h.next(&seen, 2)
	update, ask := calls[0], calls[1]
	if update.Method != "PUT" || update.ActivityID != answer.ActivityID {
		update, ask = ask, update
	}
	if update.Method != "PUT" || update.ActivityID != answer.ActivityID {
		t.Fatalf("no update of the pressed card; calls %+v", calls)
	}
	if a := teamstest.CardActions(update.Card()); len(a) != 0 {
		t.Fatalf("pressed card still has actions %v", a)
	}
	contains(t, "pressed card", update.Text(), "Source:", "asked for a tech")
	contains(t, "question", ask.Text(), "Which building and room")

	// The room: the case is filed, its card goes to the techs' channel.
	h.post(h.f.Personal(pat, "Lincoln MS room 204"))
	calls = h.next(&seen, 2)
	var card, filed teamstest.Sent
	for _, c := range calls {
		if c.Conversation == techChannel {
			card = c
		} else {
			filed = c
		}
	}
	contains(t, "filed reply", filed.Text(), "IT-1001")
	contains(t, "case card", card.Text(), "IT-1001", "Pat Rivera", "Lincoln MS", "Waiting for a tech", "projector")
	if a := teamstest.CardActions(card.Card()); len(a) != 1 || a[0] != "Action.Execute:Claim" {
		t.Fatalf("new case card actions %v; want Claim", a)
	}

	// Two techs press Claim at the same moment (Action.Execute invokes).
	type result struct {
		who  string
		resp invokeResponse
		card map[string]any
	}
	results := make(chan result, 2)
	var wg sync.WaitGroup
	for _, u := range []teamstest.User{alex, sam} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body := h.f.Post(t, h.endpoint, h.f.Execute(u, teamstest.ChannelConv(techChannel, card.ActivityID), card.ActivityID, bot.ActionClaim, "IT-1001"))
			var r struct {
				invokeResponse
				Value map[string]any `json:"value"`
			}
			if status != 200 || json.Unmarshal(body, &r) != nil {
				t.Errorf("claim by %s: %d %s", u.Name, status, body)
			}
			results <- result{u.Name, r.invokeResponse, r.Value}
		}()
	}
	wg.Wait()
	close(results)
	var winner string
	for r := range results {
		if r.resp.Type != cardContentType {
			t.Fatalf("claim by %s answered %q; want the updated card", r.who, r.resp.Type)
		}
		text := teamstest.CardText(r.card)
		if !strings.Contains(text, "Claimed by ") {
			t.Fatalf("claim by %s returned a card without the claimer:\n%s", r.who, text)
		}
		winner = strings.TrimSpace(strings.SplitN(strings.SplitN(text, "Claimed by ", 2)[1], "\n", 2)[0])
	}
	e, err := h.store.Escalation(context.Background(), "IT-1001")
	if err != nil || e.Status != bot.StatusClaimed || e.Claimer.Display() != winner {
		t.Fatalf("case after two claims: %+v, %v; want claimed by %s", e, err, winner)
	}

	// Exactly one owner: the card updated and Pat told once, in personal chat.
	calls = h.next(&seen, 2)
	var told, redraw []teamstest.Sent
	for _, c := range calls {
		switch {
		case c.Method == "PUT" && c.ActivityID == card.ActivityID:
			redraw = append(redraw, c)
		case c.Conversation == "a:personal-"+pat.Aad:
			told = append(told, c)
		}
	}
	if len(told) != 1 || len(redraw) != 1 {
		t.Fatalf("after two claims: %d messages to Pat, %d card updates; want 1 and 1: %+v", len(told), len(redraw), calls)
	}
	contains(t, "message to Pat", told[0].Text(), winner+" from the IT team has your request IT-1001")
	acts = teamstest.CardActions(redraw[0].Card())
	want := []string{"Action.Execute:Resolve", "Action.Execute:Release", "Action.OpenUrl:Chat with Pat Rivera"}
	if strings.Join(acts, ",") != strings.Join(want, ",") {
		t.Fatalf("claimed card actions %v; want %v", acts, want)
	}
	chat := redraw[0].Card()["actions"].([]any)[2].(map[string]any)["url"].(string)
	if !strings.HasPrefix(chat, "https://teams.microsoft.com/l/chat/0/0?") || !strings.Contains(chat, "users=pat.rivera%40district.org") {
		t.Fatalf("chat link %q; want a Teams chat deep link to Pat's UPN", chat)
	}

	// The winner resolves; Pat is asked whether it is fixed.
	owner := alex
	if winner == sam.Name {
		owner = sam
	}
	status, body := h.f.Post(t, h.endpoint, h.f.Execute(owner, teamstest.ChannelConv(techChannel, card.ActivityID), card.ActivityID, bot.ActionResolve, "IT-1001"))
	if status != 200 || !strings.Contains(string(body), "Resolved by "+winner) {
		t.Fatalf("resolve: %d %s", status, body)
	}
	calls = h.next(&seen, 2)
	var question teamstest.Sent
	for _, c := range calls {
		if c.Conversation == "a:personal-"+pat.Aad {
			question = c
		}
	}
	contains(t, "resolve question", question.Text(), "Is it fixed?")
	if d := actionData(question.Card()); len(d) != 2 || d[0] != (cardData{bot.ActionFixed, "IT-1001"}) || d[1] != (cardData{bot.ActionNotFixed, "IT-1001"}) {
		t.Fatalf("resolve question buttons %+v; want fixed/notfixed for IT-1001", d)
	}

	// Pat: yes, fixed. The question card shows the answer, thanks follows.
	h.post(h.f.Submit(pat, teamstest.PersonalConv(pat), question.ActivityID, bot.ActionFixed, "IT-1001"))
	calls = h.next(&seen, 2)
	var thanks, confirmed teamstest.Sent
	for _, c := range calls {
		if c.Method == "PUT" && c.ActivityID == question.ActivityID {
			confirmed = c
		} else {
			thanks = c
		}
	}
	contains(t, "confirmed card", confirmed.Text(), "Is it fixed?", "Confirmed fixed")
	if a := teamstest.CardActions(confirmed.Card()); len(a) != 0 {
		t.Fatalf("confirmed card still has actions %v", a)
	}
	contains(t, "thanks", thanks.Text(), "Thanks for confirming")
	if e, _ := h.store.Escalation(context.Background(), "IT-1001"); e.Satisfaction != bot.VerdictFixed {
		t.Fatalf("satisfaction = %q; want fixed", e.Satisfaction)
	}
}

// countingBody is a request body that records how much of it was read.
type countingBody struct {
	r    *strings.Reader
	read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

// An unauthenticated request costs a header check and at most one
// signature check: its body is never read, let alone decoded, and the
// connection is closed so the server does not read it either. Only a
// request with a good token has its body read, and then the claims that
// depend on the activity are checked.
func TestTokenCheckedBeforeTheBodyIsRead(t *testing.T) {
	h := newHarness(t, options{})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := h.f.Personal(pat, "printer jam")
	raw, _ := json.Marshal(good)
	webchat := strings.Replace(string(raw), `"msteams"`, `"webchat"`, 1)
	tests := []struct {
		name      string
		authz     string
		body      string
		length    int64 // Content-Length; 0: the body's
		want      int
		readsBody bool
	}{
		{name: "no token", authz: "", body: string(raw), want: 401},
		{name: "basic auth", authz: "Basic dXNlcjpwYXNz", body: string(raw), want: 401},
		{name: "alg none", authz: bearer(h.f.Token(teamstest.Claims{Alg: "none"})), body: string(raw), want: 401},
		{name: "signed by another key", authz: bearer(h.f.Token(teamstest.Claims{Key: other})), body: string(raw), want: 401},
		{name: "wrong audience", authz: bearer(h.f.Token(teamstest.Claims{Audience: "other-bot"})), body: string(raw), want: 401},
		{name: "wrong issuer", authz: bearer(h.f.Token(teamstest.Claims{Issuer: "https://evil.example"})), body: string(raw), want: 401},
		{name: "expired", authz: bearer(h.f.Token(teamstest.Claims{Expires: time.Now().Add(-time.Hour)})), body: string(raw), want: 401},
		{name: "unauthenticated garbage is not decoded", authz: "Bearer not.a.jwt", body: "{nope", want: 401},
		{name: "declared too large, good token", authz: bearer(h.f.Token(teamstest.Claims{})), body: string(raw), length: maxBody + 1, want: 413},
		{name: "declared too large, no token", body: string(raw), length: maxBody + 1, want: 413},
		// A good token: the body is read, then checked against the token.
		{name: "serviceurl claim for another service", authz: bearer(h.f.Token(teamstest.Claims{ServiceURL: "https://smba.trafficmanager.net/emea/"})), body: string(raw), want: 401, readsBody: true},
		{name: "channel not endorsed", authz: bearer(h.f.Token(teamstest.Claims{})), body: webchat, want: 403, readsBody: true},
		{name: "good token, not json", authz: bearer(h.f.Token(teamstest.Claims{})), body: "{nope", want: 400, readsBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingBody{r: strings.NewReader(tt.body)}
			req := httptest.NewRequest(http.MethodPost, "/api/messages", body)
			req.ContentLength = int64(len(tt.body))
			if tt.length != 0 {
				req.ContentLength = tt.length
			}
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
			}
			rec := httptest.NewRecorder()
			h.edge.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d; want %d", rec.Code, tt.want)
			}
			if tt.readsBody {
				if body.read == 0 {
					t.Fatalf("an authenticated request was refused without reading its body")
				}
				return
			}
			if body.read != 0 {
				t.Errorf("read %d bytes of the body of a request refused on its headers; want 0", body.read)
			}
			if c := rec.Header().Get("Connection"); c != "close" {
				t.Errorf("Connection: %q; want close, so the server does not read the body either", c)
			}
		})
	}
	if n := len(h.f.Sent()); n != 0 {
		t.Fatalf("refused requests caused %d replies", n)
	}
}
