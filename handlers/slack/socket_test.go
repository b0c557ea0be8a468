package slack_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	hbslack "github.com/helpbot/helpbot/handlers/slack"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

func socketMode(c *hbslack.Config) {
	c.AppToken = "xapp-1-A1-test"
	c.SigningSecret = ""
}

// Socket Mode: every envelope is acknowledged (bad ones too), questions are
// answered, buttons work, /helpdesk answers in the ack, pings are answered,
// and a disconnect is followed by a reconnect with no lost work.
func TestSocketMode(t *testing.T) {
	h := bareHarness(t)
	api := h.api
	sock := api.StartSocket()
	h.addReplica(socketMode)
	sock.WaitConnected(t)

	ev := slacktest.Event{ID: "EvS1", Channel: "DPAT", ChannelType: "im", User: teacher, Text: question, TS: "1600000000.000001"}
	sock.Envelope(t, "env-1", "events_api", slacktest.EventBody(ev))
	if a := sock.NextAck(t); a.EnvelopeID != "env-1" {
		t.Fatalf("ack for %q; want env-1", a.EnvelopeID)
	}
	answer := api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "Source:") })[0]

	sock.Envelope(t, "env-2", "interactive", slacktest.ClickJSON(clickFor(t, teacher, answer, bot.ActionSolved)))
	if a := sock.NextAck(t); a.EnvelopeID != "env-2" {
		t.Fatalf("ack for %q; want env-2", a.EnvelopeID)
	}
	api.WaitN(t, 1, "chat.update", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "said this fixed it") })

	sock.Envelope(t, "env-3", "slash_commands", slacktest.CommandJSON(techAlex, techChan, "queue"))
	if a := sock.NextAck(t); a.EnvelopeID != "env-3" || !strings.Contains(string(a.Payload), "queue is empty") {
		t.Fatalf("slash command ack = %s %s; want the queue in the payload", a.EnvelopeID, a.Payload)
	}

	// Envelopes slack-go cannot parse are still acknowledged, or Slack
	// would redeliver them for ever.
	sock.Raw(t, `{"envelope_id":"bad-1","type":"events_api","payload":"not an object"}`)
	if a := sock.NextAck(t); a.EnvelopeID != "bad-1" {
		t.Fatalf("ack for %q; want bad-1", a.EnvelopeID)
	}
	sock.Raw(t, `{"envelope_id":"bad-2","type":"something_new","payload":{}}`)
	if a := sock.NextAck(t); a.EnvelopeID != "bad-2" {
		t.Fatalf("ack for %q; want bad-2", a.EnvelopeID)
	}

	sock.Ping(t, "are-you-there")

	sock.Disconnect(t)
	sock.WaitConnected(t)
	ev2 := slacktest.Event{ID: "EvS2", Channel: "DSAM", ChannelType: "im", User: techSam, Text: question, TS: "1600000000.000002"}
	sock.Envelope(t, "env-4", "events_api", slacktest.EventBody(ev2))
	if a := sock.NextAck(t); a.EnvelopeID != "env-4" {
		t.Fatalf("ack after reconnect for %q; want env-4", a.EnvelopeID)
	}
	api.WaitN(t, 1, "chat.postMessage", func(c slacktest.Call) bool { return c.Form["channel"] == "DSAM" })

	// A redelivery of the first event (Slack retries over the new
	// connection) is acknowledged and not answered again.
	sock.Envelope(t, "env-5", "events_api", slacktest.EventBody(ev))
	sock.NextAck(t)
	h.quiesce()
	if n := h.count("chat.postMessage", func(c slacktest.Call) bool {
		return c.Form["channel"] == "DPAT" && strings.Contains(c.Text(), "Source:")
	}); n != 1 {
		t.Errorf("%d answers to one question redelivered over Socket Mode; want 1", n)
	}
}

// A rejected app token ends Run with ErrAuth (the process exits non-zero).
func TestSocketModeBadAppToken(t *testing.T) {
	h := bareHarness(t)
	h.api.StartSocket()
	h.api.Fail("apps.connections.open", "invalid_auth")
	r := h.addReplica(socketMode)
	select {
	case err := <-r.done:
		if !errors.Is(err, hbslack.ErrAuth) || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
			t.Fatalf("Run = %v; want ErrAuth naming SLACK_APP_TOKEN", err)
		}
		r.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("Socket Mode kept running with a rejected app token")
	}
}

// SIGTERM in Socket Mode: reading stops, the connection is closed in order
// (a close frame, or a TCP close between frames: never reset or left open)
// without waiting for the workers, and every envelope acknowledged before
// is still answered, through the Web API, before Run returns.
func TestSocketModeShutdownAnswersWhatWasAcknowledged(t *testing.T) {
	api := slacktest.New(t)
	sock := api.StartSocket()
	store := redistest.Store(t)
	desk := &blockingDesk{release: make(chan struct{}), started: make(chan struct{}, 10)}
	e, err := hbslack.New(hbslack.Config{BotToken: "xoxb-t", AppToken: "xapp-1-A1-test", TechChannel: techChan,
		APIURL: api.URL(), Workers: 2, Queue: 16}, desk, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, store: store}
	r := h.start(e)
	var once sync.Once
	release := func() { once.Do(func() { close(desk.release) }) }
	t.Cleanup(release)
	sock.WaitConnected(t)

	const n = 5
	for i := range n {
		ev := slacktest.Event{ID: fmt.Sprintf("EvQ%d", i), Channel: fmt.Sprintf("DQ%d", i), ChannelType: "im", User: teacher, Text: "help", TS: h.ts()}
		sock.Envelope(t, fmt.Sprintf("env-q%d", i), "events_api", slacktest.EventBody(ev))
		if a := sock.NextAck(t); a.EnvelopeID != fmt.Sprintf("env-q%d", i) {
			t.Fatalf("ack %q; want env-q%d", a.EnvelopeID, i)
		}
	}
	<-desk.started // both workers are holding a delivery; the rest wait in the queue
	<-desk.started

	r.stop() // SIGTERM
	closed := sock.WaitClosed(t)
	if !closed.Clean {
		t.Errorf("connection ended with %s; want a close frame or an orderly close", closed.Err)
	}
	release() // only now may the held deliveries finish
	if err := <-r.done; err != nil {
		t.Fatalf("Run = %v; want a clean stop", err)
	}
	r.done <- nil
	for i := range n {
		ch := fmt.Sprintf("DQ%d", i)
		if got := h.count("chat.postMessage", func(c slacktest.Call) bool {
			return c.Form["channel"] == ch && strings.Contains(c.Text(), "fixed reply")
		}); got != 1 {
			t.Errorf("acknowledged envelope for %s got %d replies; want 1", ch, got)
		}
	}
}

// With no room even for a "busy" reply, an envelope is not acknowledged:
// Slack delivers it again later, instead of it being acknowledged and lost.
func TestSocketModeDoesNotAcknowledgeWhatItCannotTake(t *testing.T) {
	api := slacktest.New(t)
	sock := api.StartSocket()
	store := redistest.Store(t)
	desk := &blockingDesk{release: make(chan struct{}), started: make(chan struct{}, 10)}
	e, err := hbslack.New(hbslack.Config{BotToken: "xoxb-t", AppToken: "xapp-1-A1-test", TechChannel: techChan,
		APIURL: api.URL(), Workers: 1, Queue: 1}, desk, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, store: store}
	h.start(e)
	_, release := api.Hold("chat.postMessage") // "busy" replies wait for Slack
	t.Cleanup(func() { release(); close(desk.release) })
	sock.WaitConnected(t)
	send := func(i int) string {
		id := fmt.Sprintf("env-f%d", i)
		ev := slacktest.Event{ID: fmt.Sprintf("EvF%d", i), Channel: fmt.Sprintf("DF%d", i), ChannelType: "im", User: teacher, Text: "help", TS: h.ts()}
		sock.Envelope(t, id, "events_api", slacktest.EventBody(ev))
		return id
	}
	// One delivery on the worker, one queued, then the shed pool's room
	// (2 workers and 256 waiting) for "busy" replies: all acknowledged.
	const room = 2 + 2 + 256
	for i := range room {
		if id, a := send(i), sock.NextAck(t); a.EnvelopeID != id {
			t.Fatalf("ack %q; want %q", a.EnvelopeID, id)
		}
	}
	// No room anywhere for the next one. A slash command behind it is
	// acknowledged (with a "busy" reply) by the same loop, so its ack
	// comes first only if the event's never comes.
	send(room)
	sock.Envelope(t, "env-cmd", "slash_commands", slacktest.CommandJSON(teacher, "DF0", "queue"))
	if a := sock.NextAck(t); a.EnvelopeID != "env-cmd" {
		t.Fatalf("next ack %q; want env-cmd (the event with no room must not be acknowledged)", a.EnvelopeID)
	}
}
