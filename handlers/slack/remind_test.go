package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// A case nobody took is brought back in its card's thread; only an urgent
// one pings the channel (@here), and text from the case never does.
func TestRemindAndBroadcast(t *testing.T) {
	h := newHarness(t)
	edge := h.replicas[0].edge
	h.dm(teacher, "DPAT", "I need a person, <!here> the smartboard in room 5 is dead")
	card := h.posts(1, techChan, "Claim")[0]
	_, id := findButton(t, card, bot.ActionClaim)
	h.quiesce()
	ctx := context.Background()
	e, err := h.store.Escalation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	for _, urgent := range []bool{false, true} {
		ref, err := edge.Remind(ctx, e, urgent)
		if err != nil || ref != "" {
			t.Fatalf("Remind = %q, %v; want the same card kept", ref, err)
		}
	}
	nudges := h.api.Calls("chat.postMessage")
	var got []slacktest.Call
	for _, c := range nudges {
		if c.Form["thread_ts"] == card.TS && strings.Contains(c.Text(), "waited") {
			got = append(got, c)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d reminders in the card's thread; want 2", len(got))
	}
	if strings.Contains(got[0].Text(), "<!here>") || !strings.Contains(got[1].Text(), "<!here>") {
		t.Errorf("@here on the normal reminder or missing on the urgent one:\n%s\n%s", got[0].Text(), got[1].Text())
	}
	if n := h.count("chat.update", func(c slacktest.Call) bool { return c.Form["ts"] == card.TS }); n != 2 {
		t.Errorf("card refreshed %d times; want 2", n)
	}

	// A case whose card never made it to Slack gets one now.
	e.Card = ""
	ref, err := edge.Remind(ctx, e, false)
	if err != nil || !strings.HasPrefix(ref, techChan+":") {
		t.Errorf("Remind without a card = %q, %v; want a new card reference", ref, err)
	}

	if err := edge.Broadcast(ctx, bot.Reply{Kind: bot.KindNotice, Text: "Yesterday: 12 questions, <!channel> 3 cases"}); err != nil {
		t.Fatal(err)
	}
	b := h.posts(1, techChan, "Yesterday: 12 questions")[0]
	if strings.Contains(b.Text(), "<!channel>") {
		t.Errorf("broadcast text went live: %s", b.Text())
	}
	for _, c := range h.api.Calls("chat.postMessage") {
		if c.Form["channel"] == techChan && strings.Count(c.Text(), "<!here>") > 0 && !strings.Contains(c.Text(), "urgent") {
			t.Errorf("a post pinged @here that was not an urgent reminder: %s", c.Text())
		}
	}
}
