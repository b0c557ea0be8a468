package slack_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	hbslack "github.com/helpbot/helpbot/handlers/slack"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// Slack retries (4 deliveries) to two replicas sharing Redis, some at the
// same moment: the teacher gets exactly one answer. Same for a button.
func TestRetriesAcrossReplicasReplyOnce(t *testing.T) {
	h := newHarness(t)
	h.addReplica()
	ev := slacktest.Event{ID: h.eventID(), Channel: "DPAT", ChannelType: "im", User: teacher, Text: question, TS: h.ts()}
	body := slacktest.EventBody(ev)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _ := deliver(t, h.replicas[i%2], "/slack/events", body, "application/json"); code != http.StatusOK {
				t.Errorf("delivery %d: %d", i, code)
			}
		}()
	}
	wg.Wait()
	answer := h.posts(1, "DPAT", "Source:")[0]

	c := slacktest.ClickForm(clickFor(t, teacher, answer, bot.ActionSolved))
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deliver(t, h.replicas[i%2], "/slack/interactivity", c, "application/x-www-form-urlencoded")
		}()
	}
	wg.Wait()
	h.quiesce()
	if n := h.count("chat.postMessage", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "Source:") }); n != 1 {
		t.Errorf("%d answers for one question delivered 8 times; want 1", n)
	}
	if n := h.count("chat.postMessage", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "glad that fixed it") }); n != 1 {
		t.Errorf("%d replies to one click delivered 4 times; want 1", n)
	}
}

func TestVerification(t *testing.T) {
	h := newHarness(t)
	r := h.replicas[0]
	body := slacktest.EventBody(slacktest.Event{ID: "EvSig", Channel: "DPAT", ChannelType: "im", User: teacher, Text: question, TS: h.ts()})
	good := slacktest.Sign(secret, time.Now(), body)
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		want   int
	}{
		{"forged signature", body, slacktest.Sign("not-the-secret-at-all-0000000000", time.Now(), body), http.StatusUnauthorized},
		{"body changed after signing", append(bytes.Clone(body), ' '), good, http.StatusUnauthorized},
		{"stale timestamp", body, slacktest.Sign(secret, time.Now().Add(-6*time.Minute), body), http.StatusUnauthorized},
		{"future timestamp", body, slacktest.Sign(secret, time.Now().Add(6*time.Minute), body), http.StatusUnauthorized},
		{"missing signature", body, http.Header{"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]}, http.StatusUnauthorized},
		{"no headers", body, http.Header{}, http.StatusUnauthorized},
		{"garbage signature", body, http.Header{"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"], "X-Slack-Signature": {"v0=zz"}}, http.StatusUnauthorized},
		{"oversized body", bytes.Repeat([]byte("x"), 1<<20+1), nil, http.StatusRequestEntityTooLarge},
	}
	for _, path := range []string{"/slack/events", "/slack/interactivity", "/slack/commands"} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, r.srv.URL+path, bytes.NewReader(tt.body))
				for k, v := range tt.header {
					req.Header[k] = v
				}
				if tt.header == nil {
					for k, v := range slacktest.Sign(secret, time.Now(), tt.body) {
						req.Header[k] = v
					}
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				got.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.want || got.Len() != 0 {
					t.Errorf("status %d body %q; want %d and no body", resp.StatusCode, got.String(), tt.want)
				}
			})
		}
	}
	// Slack's URL check is verified too, then echoed.
	chal := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	if code, got := deliver(t, r, "/slack/events", chal, "application/json"); code != 200 || got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification = %d %q", code, got)
	}
	h.quiesce()
	if n := len(h.api.Calls("chat.postMessage")); n != 0 {
		t.Errorf("%d messages posted for unverified requests", n)
	}
}

// A student who can see the card presses Claim: refused, only to them,
// and nothing changes.
func TestNonTechClaimRefused(t *testing.T) {
	h := newHarness(t)
	h.dm(teacher, "DPAT", "I need a person, the printer in room 12 is jammed")
	card := h.posts(1, techChan, "Claim")[0]
	_, id := findButton(t, card, bot.ActionClaim)
	h.click(h.replicas[0], student, card, bot.ActionClaim)
	refusal := h.api.WaitN(t, 1, "chat.postEphemeral", nil)[0]
	if refusal.Form["user"] != student || !strings.Contains(refusal.Text(), "Only the IT team") {
		t.Errorf("refusal = %v", refusal.Form)
	}
	h.quiesce()
	if n := len(h.api.Calls("chat.update")); n != 0 {
		t.Errorf("card updated %d times after a refused claim", n)
	}
	if e, _ := h.store.Escalation(context.Background(), id); e.Status != bot.StatusOpen {
		t.Errorf("case is %s after a non-tech claim; want open", e.Status)
	}
}

// Mentions and disguised links typed or pasted into a question reach the
// techs' card as visible text, never live.
func TestCardEscapesUserText(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"slack markup", "<!channel> <@U1> <https://evil.example|district.org> printer jammed, I need a person now",
			[]string{"@channel", "@U1", "district.org (https://evil.example)"}},
		{"typed brackets", "&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil.example|district.org&gt; printer jammed, I need a person now",
			[]string{"&lt;!channel&gt;", "&lt;@U1&gt;", "&lt;https://evil.example|district.org&gt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.dm(teacher, "DPAT", tt.text)
			h.posts(1, "DPAT", "Which building")
			h.dm(teacher, "DPAT", "room 12 at Lincoln MS")
			card := h.posts(1, techChan, "Claim")[0]
			for _, live := range []string{"<!channel>", "<@U1>", "<https://evil.example", "<!here>"} {
				if strings.Contains(card.Text(), live) {
					t.Errorf("card contains live %q: %s", live, card.Text())
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(card.Text(), w) {
					t.Errorf("card lacks %q: %s", w, card.Blocks())
				}
			}
			if card.Form["link_names"] != "" || card.Form["parse"] != "" || card.Form["unfurl_links"] != "false" {
				t.Errorf("card posted with link_names/parse or unfurls: %v", card.Form)
			}
		})
	}
}

// A 429 is waited out for exactly Retry-After and the post is retried
// once; nothing is posted twice.
func TestRateLimitHonoursRetryAfter(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var waits []time.Duration
	hbslack.SetWait(h.replicas[0].edge, func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	})
	h.api.RateLimit("chat.postMessage", 7*time.Second)
	h.dm(teacher, "DPAT", question)
	h.posts(1, "DPAT", "Source:")
	h.quiesce()
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 1 || waits[0] != 7*time.Second {
		t.Errorf("waited %v; want once for 7s", waits)
	}
	if n := h.api.Count("chat.postMessage"); n != 2 {
		t.Errorf("%d postMessage calls; want 2 (the 429 and the retry)", n)
	}
}

// A revoked token stops the edge with an error (the process exits non-zero).
func TestRevokedTokenStops(t *testing.T) {
	h := newHarness(t)
	h.api.Fail("chat.postMessage", "token_revoked")
	h.dm(teacher, "DPAT", question)
	r := h.replicas[0]
	select {
	case err := <-r.done:
		if !errors.Is(err, hbslack.ErrAuth) {
			t.Fatalf("Run = %v; want ErrAuth", err)
		}
		r.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("edge kept running with a revoked token")
	}

	api := slacktest.New(t)
	api.Fail("auth.test", "invalid_auth")
	e, err := hbslack.New(hbslack.Config{BotToken: "xoxb-bad", SigningSecret: secret, TechChannel: techChan, APIURL: api.URL()}, stubDesk{}, redistest.Store(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Connect(context.Background()); !errors.Is(err, hbslack.ErrAuth) || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
		t.Errorf("Connect with a bad token = %v; want ErrAuth naming SLACK_BOT_TOKEN", err)
	}
}

// Bots (ourselves included), edits and channel chatter are not questions;
// SLACK_ANSWER_CHANNELS answers top-level messages in a thread.
func TestWhatReachesTheBot(t *testing.T) {
	h := newHarness(t, func(c *hbslack.Config) { c.AnswerChannels = []string{"CHELP"} })
	ignored := []slacktest.Event{
		{Channel: "DPAT", ChannelType: "im", User: "UOTHERBOT", BotID: "BOTHER", Text: question},
		{Channel: "DPAT", ChannelType: "im", User: h.api.BotUser(), Text: question},
		{Channel: "DPAT", ChannelType: "im", User: teacher, Subtype: "message_changed", Text: question},
		{Channel: "DPAT", ChannelType: "im", User: teacher, Subtype: "channel_join", Text: question},
		{Channel: general, ChannelType: "channel", User: teacher, Text: question},
		{Channel: "GMPIM", ChannelType: "mpim", User: teacher, Text: question},
		{Type: "reaction_added", Channel: "DPAT", User: teacher},
	}
	for _, e := range ignored {
		h.send(e)
	}
	top := h.send(slacktest.Event{Channel: "CHELP", ChannelType: "channel", User: teacher, Text: question})
	got := h.posts(1, "CHELP", "Source:")[0]
	if got.Form["thread_ts"] != top.TS {
		t.Errorf("answer-channel reply in thread %q; want %q", got.Form["thread_ts"], top.TS)
	}
	h.quiesce()
	if n := len(h.api.Calls("chat.postMessage")); n != 1 {
		t.Errorf("%d replies; want only the answer-channel one:\n%v", n, h.api.Calls("chat.postMessage"))
	}
}

// When every worker is busy the bot says so at once instead of queueing
// without bound; when shutting down it finishes what it acknowledged.
func TestLoadSheddingAndShutdown(t *testing.T) {
	api := slacktest.New(t)
	store := redistest.Store(t)
	desk := &blockingDesk{release: make(chan struct{}), started: make(chan struct{}, 10)}
	e, err := hbslack.New(hbslack.Config{BotToken: "xoxb-t", SigningSecret: secret, TechChannel: techChan,
		APIURL: api.URL(), Workers: 1, Queue: 1}, desk, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, store: store}
	r := h.start(e)
	send := func(ch string) {
		h.send(slacktest.Event{Channel: ch, ChannelType: "im", User: teacher, Text: "help"})
	}
	send("D1") // taken by the only worker, which blocks
	<-desk.started
	send("D2") // waits in the queue
	send("D3") // no room: shed
	api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool {
		return c.Form["channel"] == "D3" && strings.Contains(c.Text(), "try again in a minute")
	})

	r.stop() // shutdown begins while D1 is in progress and D2 is queued
	status, _ := deliver(t, r, "/slack/events", slacktest.EventBody(slacktest.Event{ID: "EvLate", Channel: "D4", ChannelType: "im", User: teacher, Text: "help", TS: h.ts()}), "application/json")
	if status != http.StatusServiceUnavailable {
		t.Errorf("delivery during shutdown = %d; want 503 so Slack redelivers elsewhere", status)
	}
	close(desk.release)
	if err := <-r.done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	r.done <- nil
	for _, ch := range []string{"D1", "D2"} {
		if n := h.count("chat.postMessage", func(c slacktest.Call) bool {
			return c.Form["channel"] == ch && strings.Contains(c.Text(), "fixed reply")
		}); n != 1 {
			t.Errorf("%s got %d replies; want its acknowledged reply", ch, n)
		}
	}
	if n := h.count("chat.postMessage", func(c slacktest.Call) bool { return c.Form["channel"] == "D4" }); n != 0 {
		t.Errorf("a delivery refused during shutdown was answered")
	}
}

// blockingDesk answers with a fixed reply once released.
type blockingDesk struct {
	stubDesk
	release chan struct{}
	started chan struct{}
}

func (d *blockingDesk) HandleMessage(ctx context.Context, m bot.Message) []bot.Reply {
	d.started <- struct{}{}
	<-d.release
	return []bot.Reply{{Kind: bot.KindNotice, Text: "fixed reply"}}
}

// stubDesk is a desk that does nothing.
type stubDesk struct{}

func (stubDesk) HandleMessage(context.Context, bot.Message) []bot.Reply { return nil }
func (stubDesk) HandleAction(context.Context, bot.Action) bot.Outcome   { return bot.Outcome{} }
func (stubDesk) Queue(context.Context, string, bot.Person) ([]bot.Escalation, error) {
	return nil, nil
}
func (stubDesk) MyCases(context.Context, string, bot.Person) ([]bot.Escalation, error) {
	return nil, nil
}
func (stubDesk) Now() time.Time { return time.Now() }

// Two messages in one conversation are handled in the order sent, one
// after the other, while other conversations go on: a quick "room 204"
// after "I need a person" must not race the first on the session.
func TestConversationOrder(t *testing.T) {
	api := slacktest.New(t)
	store := redistest.Store(t)
	desk := &orderDesk{first: make(chan struct{}), release: make(chan struct{}), handled: make(chan string, 10)}
	e, err := hbslack.New(hbslack.Config{BotToken: "xoxb-t", SigningSecret: secret, TechChannel: techChan,
		APIURL: api.URL(), Workers: 4, Queue: 16}, desk, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, store: store}
	var once sync.Once
	release := func() { once.Do(func() { close(desk.release) }) }
	r := h.start(e)
	t.Cleanup(release) // runs before the replica's cleanup: a failure must not hang
	h.dm(teacher, "DPAT", "one")
	<-desk.first // "one" is being handled and holds its worker
	h.dm(teacher, "DPAT", "two")
	h.dm(student, "DKID", "other")
	if got := <-desk.handled; got != "other" {
		t.Fatalf("first finished: %q; want the other conversation, not held up", got)
	}
	release()
	if a, b := <-desk.handled, <-desk.handled; a != "one" || b != "two" {
		t.Fatalf("DPAT handled %q then %q; want one, two", a, b)
	}
	r.stop()
	<-r.done
	r.done <- nil
}

type orderDesk struct {
	stubDesk
	first, release chan struct{}
	handled        chan string
}

func (d *orderDesk) HandleMessage(ctx context.Context, m bot.Message) []bot.Reply {
	if m.Text == "one" {
		close(d.first)
		<-d.release
	}
	d.handled <- m.Text
	return nil
}
