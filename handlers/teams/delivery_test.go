package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

// Teams re-sends an activity it got no answer to; replicas share Redis, so
// the same activity delivered twice is answered once.
func TestSameActivityTwiceOneReply(t *testing.T) {
	h := newHarness(t, options{})
	act := h.f.Personal(pat, "printer jam")
	h.post(act)
	h.post(act)
	// A later message in the same chat is handled after both (one worker
	// per conversation, in order): once it is answered, the duplicate has
	// had its chance.
	h.post(h.f.Personal(pat, "how do I connect to the staff wifi"))
	sent := h.f.WaitSent(2)
	if len(sent) != 2 {
		t.Fatalf("got %d replies; want 2", len(sent))
	}
	contains(t, "first reply", sent[0].Text(), "Clear a paper jam")
	contains(t, "second reply (not the duplicate's)", sent[1].Text(), "staff Wi-Fi")
}

// In a channel the bot only hears @mentions; the mention is not part of
// the question, and the answer goes to the thread it was asked in.
func TestChannelMentionIsStripped(t *testing.T) {
	h := newHarness(t, options{})
	h.post(h.f.Mention(pat, "19:general@thread.tacv2", "1699999", "printer jam"))
	if q := <-h.asked; q != "printer jam" {
		t.Fatalf("the desk was asked %q; want %q", q, "printer jam")
	}
	reply := h.f.WaitSent(1)[0]
	if reply.Conversation != "19:general@thread.tacv2;messageid=1699999" {
		t.Fatalf("reply went to %q; want the thread", reply.Conversation)
	}
	contains(t, "answer", reply.Text(), "Source:", "jam")

	// A channel message that does not mention the bot is not answered.
	plain := h.f.Mention(pat, "19:general@thread.tacv2", "1700000", "printer jam")
	plain["entities"] = []any{}
	plain["text"] = "printer jam"
	h.post(plain)
	h.post(h.f.Mention(pat, "19:general@thread.tacv2", "1700000", "projector no signal"))
	if q := <-h.asked; q != "projector no signal" {
		t.Fatalf("the desk was asked %q; want only the mentioned message", q)
	}
}

// A genuine activity whose serviceUrl is not Microsoft's (nor allowed by
// the operator) is never answered: the bot's token must not go there.
func TestServiceURLOffAllowListGetsNoToken(t *testing.T) {
	h := newHarness(t, options{})
	var hits atomic.Int32
	rogue := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer rogue.Close()
	// Same machine, but "localhost" is not on the allow-list (127.0.0.1 is).
	rogueURL := strings.Replace(rogue.URL, "127.0.0.1", "localhost", 1) + "/"
	act := h.f.Personal(pat, "printer jam")
	act["serviceUrl"] = rogueURL
	if status, _ := h.f.Post(t, h.endpoint, act); status != 200 {
		t.Fatalf("status %d; want 200 (acknowledged, ignored)", status)
	}
	// Barrier: a normal message afterwards is answered.
	h.post(h.f.Personal(pat, "printer jam"))
	h.f.WaitSent(1)
	if hits.Load() != 0 {
		t.Fatalf("the rogue serviceUrl received %d requests; want none", hits.Load())
	}
	if n := len(h.f.Sent()); n != 1 {
		t.Fatalf("%d replies; want 1 (the allowed activity only)", n)
	}
}

func TestHTTPRejections(t *testing.T) {
	h := newHarness(t, options{})
	good := h.f.Personal(pat, "printer jam")
	raw, _ := json.Marshal(good)
	tests := []struct {
		name   string
		authz  string
		body   string
		want   int
		method string
	}{
		{name: "no token", authz: "", body: string(raw), want: 401},
		{name: "wrong audience", authz: bearer(h.f.Token(teamstest.Claims{Audience: "other-bot"})), body: string(raw), want: 401},
		{name: "alg none", authz: bearer(h.f.Token(teamstest.Claims{Alg: "none"})), body: string(raw), want: 401},
		{name: "webchat activity on a teams-only key", authz: bearer(h.f.Token(teamstest.Claims{})), body: strings.Replace(string(raw), `"msteams"`, `"webchat"`, 1), want: 403},
		{name: "not json", authz: bearer(h.f.Token(teamstest.Claims{})), body: "{nope", want: 400},
		{name: "too large", authz: bearer(h.f.Token(teamstest.Claims{})), body: `{"text":"` + strings.Repeat("a", maxBody) + `"}`, want: 413},
		{name: "GET", method: "GET", want: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.method
			if m == "" {
				m = "POST"
			}
			req, _ := http.NewRequest(m, h.endpoint, strings.NewReader(tt.body))
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 512)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d; want %d", resp.StatusCode, tt.want)
			}
			if strings.Contains(strings.ToLower(b.String()), "token") || strings.Contains(b.String(), "kid") {
				t.Fatalf("response leaks detail: %q", b.String())
			}
		})
	}
	if len(h.f.Sent()) != 0 {
		t.Fatalf("rejected requests caused %d replies", len(h.f.Sent()))
	}
}

// With every worker busy the bot says so, once per activity: the request
// is acknowledged at once, and the "busy" reply is sent by a small pool of
// its own (here it waits, like every reply, for the held token).
func TestBusyReplyWhenWorkersAreFull(t *testing.T) {
	m := newRecMetrics()
	h := newHarness(t, options{workers: 1, queue: 1, metrics: m})
	arrived, release := h.holdTokens()
	h.post(h.f.Personal(pat, "printer jam")) // the only worker takes it and waits for a token
	<-arrived
	h.post(h.f.Personal(pat, "how do I connect to the staff wifi")) // waits in the queue
	busy := h.f.Personal(pat, "projector no signal")
	h.post(busy) // no room: acknowledged now, told "busy" by the busy pool
	h.post(busy) // Teams re-sends it
	if n := len(h.f.Sent()); n != 0 {
		t.Fatalf("%d replies went out while the token was held", n)
	}
	release()
	if err := h.quiesce(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	var busyReplies, answers int
	for _, s := range h.f.Sent() {
		if strings.Contains(s.Text(), "handling a lot of requests") {
			busyReplies++
		} else {
			answers++
		}
	}
	if busyReplies != 1 || answers != 2 {
		t.Fatalf("%d busy replies and %d answers; want 1 busy reply (the re-sent activity gets none) and 2 answers", busyReplies, answers)
	}
	events, replies := m.snapshot()
	if events[outcomeOK] != 2 || events[outcomeRateLimited] != 1 || events[outcomeDuplicate] != 1 || replies != 2 {
		t.Errorf("metrics: %v, %d reply latencies; want ok 2, rate_limited 1, duplicate 1 and 2 latencies", events, replies)
	}
}

// The "busy" pool is bounded too: when it is full, an activity is handed
// back (503, for Teams to send again) and counted, and no request ever
// waits on an outbound call.
func TestBusyRepliesAreBounded(t *testing.T) {
	m := newRecMetrics()
	h := newHarness(t, options{workers: 1, queue: 1, metrics: m})
	arrived, release := h.holdTokens()
	h.post(h.f.Personal(pat, "printer jam"))
	<-arrived
	h.post(h.f.Personal(pat, "how do I connect to the staff wifi"))

	accepted, handedBack := 0, 0
	for i := 0; handedBack == 0; i++ {
		if i > busyWorkers+busyQueue {
			t.Fatalf("%d activities accepted for a busy reply; the pool holds at most %d", accepted, busyWorkers+busyQueue)
		}
		u := teamstest.User{ID: fmt.Sprintf("29:u%d", i), Aad: fmt.Sprintf("eeeeeeee-0000-0000-0000-%012d", i), Name: "Staff"}
		switch status, _ := h.f.Post(t, h.endpoint, h.f.Personal(u, "help")); status {
		case http.StatusOK:
			accepted++
		case http.StatusServiceUnavailable:
			handedBack++
		default:
			t.Fatalf("status %d; want 200 or 503", status)
		}
	}
	if events, _ := m.snapshot(); events[outcomeError] != 1 {
		t.Errorf("metrics %v; want the activity handed back counted as an error", events)
	}
	release()
	if err := h.quiesce(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	busyReplies := 0
	for _, s := range h.f.Sent() {
		if strings.Contains(s.Text(), "handling a lot of requests") {
			busyReplies++
		}
	}
	if busyReplies != accepted {
		t.Errorf("%d busy replies for %d activities accepted with no room; want one each (and none for the one handed back)", busyReplies, accepted)
	}
}

// Shutdown finishes acknowledged work within the budget cmd derives from
// SHUTDOWN_TIMEOUT: work still running then is cancelled, work not started
// is dropped, and Run says how many activities went unanswered (so the
// process stops within its bound and the operator knows).
func TestShutdownBudgetBoundsTheDrain(t *testing.T) {
	h := newHarness(t, options{workers: 1, queue: 4, noRun: true, drain: 50 * time.Millisecond})
	arrived, _ := h.holdTokens()
	h.post(h.f.Personal(pat, "printer jam"))                        // will wait for a token for ever
	h.post(h.f.Personal(pat, "how do I connect to the staff wifi")) // queued behind it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.edge.Run(ctx) }()
	<-arrived
	cancel()
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "2 acknowledged activities unanswered") {
		t.Fatalf("Run = %v; want an error counting the 2 unanswered activities", err)
	}
	if n := len(h.f.Sent()); n != 0 {
		t.Fatalf("%d replies sent; want none (the token never came)", n)
	}
}

func TestStoppedEdgeHandsWorkBack(t *testing.T) {
	h := newHarness(t, options{noRun: true})
	// Acknowledged before the workers start; shutdown must still answer it.
	h.post(h.f.Personal(pat, "printer jam"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.edge.Run(ctx); close(done) }()
	cancel()
	<-done
	if sent := h.f.Sent(); len(sent) != 1 || !strings.Contains(sent[0].Text(), "paper jam") {
		t.Fatalf("acknowledged question not answered before shutdown ended: %d replies", len(sent))
	}
	status, _ := h.f.Post(t, h.endpoint, h.f.Personal(pat, "printer jam"))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: status %d; want 503 so Teams re-sends to a live replica", status)
	}
}

func TestOnlyTechsSetTheTechChannel(t *testing.T) {
	h := newHarness(t, options{})
	seen := 0
	h.post(h.f.Mention(kid, "19:students@thread.tacv2", "", "use this channel for escalations"))
	contains(t, "refusal", h.next(&seen, 1)[0].Text(), "Only the IT team")
	if _, err := h.edge.refs.techChannel(context.Background()); err == nil {
		t.Fatal("a non-tech set the tech channel")
	}
	// Installing the bot in a team makes its channel the techs' channel,
	// but only the first time: a second install never moves the cards.
	h.post(h.f.Installed(alex, techChannel))
	contains(t, "install note", h.next(&seen, 1)[0].Text(), "Escalation cards will be posted in this channel")
	h.post(h.f.Installed(kid, "19:students@thread.tacv2"))
	contains(t, "second install", h.next(&seen, 1)[0].Text(), "Mention me")
	ref, err := h.edge.refs.techChannel(context.Background())
	if err != nil || ref.Conversation.ID != techChannel {
		t.Fatalf("tech channel = %q, %v; want %q", ref.Conversation.ID, err, techChannel)
	}
}

// A non-tech who can see the card presses Claim: refused, nothing changes.
// A tech on a client that sends Action.Submit still claims it.
func TestClaimAuthorisationAndSubmitFallback(t *testing.T) {
	h := newHarness(t, options{})
	seen := 0
	h.post(h.f.Mention(alex, techChannel, "", "use this channel for escalations"))
	h.next(&seen, 1)
	h.post(h.f.Personal(pat, "I need a person, the whole building wifi is down at Lincoln MS room 12"))
	var card teamstest.Sent
	for _, c := range h.next(&seen, 2) {
		if c.Conversation == techChannel {
			card = c
		}
	}
	contains(t, "case card", card.Text(), "IT-1001")

	status, body := h.f.Post(t, h.endpoint, h.f.Execute(kid, teamstest.ChannelConv(techChannel, card.ActivityID), card.ActivityID, bot.ActionClaim, "IT-1001"))
	var resp invokeResponse
	json.Unmarshal(body, &resp)
	if status != 200 || resp.Type != "application/vnd.microsoft.activity.message" || !strings.Contains(resp.Value.(string), "Only the IT team") {
		t.Fatalf("non-tech claim answered %d %s; want a refusal message", status, body)
	}
	if e, _ := h.store.Escalation(context.Background(), "IT-1001"); e.Status != bot.StatusOpen {
		t.Fatalf("after a non-tech's claim the case is %s; want open", e.Status)
	}

	h.post(h.f.Submit(sam, teamstest.ChannelConv(techChannel, card.ActivityID), card.ActivityID, bot.ActionClaim, "IT-1001"))
	var updated bool
	for _, c := range h.next(&seen, 3) { // card update, Pat told, Sam's note
		if c.Method == "PUT" && c.ActivityID == card.ActivityID && strings.Contains(c.Text(), "Claimed by Sam Okafor") {
			updated = true
		}
	}
	if !updated {
		t.Fatal("Action.Submit claim did not update the card in place")
	}
	if e, _ := h.store.Escalation(context.Background(), "IT-1001"); e.Claimer.ID != sam.Aad {
		t.Fatalf("claimer = %+v; want Sam by object id", e.Claimer)
	}
}

// Every key the edge (and the desk through it) writes expires.
func TestEveryRedisKeyHasATTL(t *testing.T) {
	h := newHarness(t, options{})
	seen := 0
	h.post(h.f.Installed(alex, techChannel))
	h.next(&seen, 1)
	h.post(h.f.Personal(pat, "get a tech please, the projector is dead in Lincoln MS room 204"))
	h.next(&seen, 2)
	ctx := context.Background()
	rdb := h.store.Client()
	iter := rdb.Scan(ctx, 0, h.store.Prefix()+"*", 100).Iterator()
	n := 0
	for iter.Next(ctx) {
		n++
		ttl, err := rdb.PTTL(ctx, iter.Val()).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %s has TTL %v (%v); every key must expire", strings.TrimPrefix(iter.Val(), h.store.Prefix()), ttl, err)
		}
	}
	if n == 0 {
		t.Fatal("no keys written")
	}
}

// An unclaimed case is put back in front of the techs as a fresh card; the
// old one keeps its details but loses its buttons and points below.
func TestRemindRepostsAndRetiresTheOldCard(t *testing.T) {
	h := newHarness(t, options{})
	seen := 0
	h.post(h.f.Installed(alex, techChannel))
	h.next(&seen, 1)
	h.post(h.f.Personal(pat, "get a tech please, the projector is dead in Lincoln MS room 204"))
	var first teamstest.Sent
	for _, c := range h.next(&seen, 2) {
		if c.Conversation == techChannel {
			first = c
		}
	}
	ctx := context.Background()
	e, err := h.store.Escalation(ctx, "IT-1001")
	if err != nil {
		t.Fatal(err)
	}
	n := h.edge.Notifier()
	ref, err := n.(bot.Reminder).Remind(ctx, e, true)
	if err != nil || ref == "" {
		t.Fatalf("Remind = %q, %v; want the new card's reference", ref, err)
	}
	calls := h.next(&seen, 2)
	var retired, fresh teamstest.Sent
	for _, c := range calls {
		if c.Method == "PUT" {
			retired = c
		} else {
			fresh = c
		}
	}
	if retired.ActivityID != first.ActivityID || len(teamstest.CardActions(retired.Card())) != 0 {
		t.Fatalf("old card not retired: %+v", retired)
	}
	contains(t, "retired card", retired.Text(), "reposted below", "IT-1001")
	contains(t, "fresh card", fresh.Text(), "Urgent, waiting", "IT-1001")
	if a := teamstest.CardActions(fresh.Card()); len(a) != 1 || a[0] != "Action.Execute:Claim" {
		t.Fatalf("fresh card actions %v; want Claim", a)
	}

	if err := n.(bot.Broadcaster).Broadcast(ctx, bot.Reply{Kind: bot.KindNotice, Text: "Daily digest: 3 open"}); err != nil {
		t.Fatal(err)
	}
	post := h.next(&seen, 1)[0]
	if post.Conversation != techChannel {
		t.Fatalf("broadcast went to %q; want the techs' channel", post.Conversation)
	}
	contains(t, "broadcast", post.Text(), "Daily digest: 3 open")
}

// Someone who asked in a channel and never chatted with the bot privately
// hears back in the thread they asked in.
func TestRequesterFromAChannelIsToldInTheThread(t *testing.T) {
	h := newHarness(t, options{})
	seen := 0
	h.post(h.f.Installed(alex, techChannel))
	h.next(&seen, 1)
	h.post(h.f.Mention(pat, "19:general@thread.tacv2", "1711", "I need a person, the projector is dead in Lincoln MS room 204"))
	var card teamstest.Sent
	for _, c := range h.next(&seen, 2) {
		if c.Conversation == techChannel {
			card = c
		}
	}
	status, _ := h.f.Post(t, h.endpoint, h.f.Execute(alex, teamstest.ChannelConv(techChannel, card.ActivityID), card.ActivityID, bot.ActionClaim, "IT-1001"))
	if status != 200 {
		t.Fatalf("claim: %d", status)
	}
	var told bool
	for _, c := range h.next(&seen, 2) {
		if c.Conversation == "19:general@thread.tacv2;messageid=1711" && strings.Contains(c.Text(), "Alex Chen from the IT team has your request IT-1001") {
			told = true
		}
	}
	if !told {
		t.Fatal("the requester was not told in their thread")
	}
}
