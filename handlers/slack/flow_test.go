package slack_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

const question = "the projector isn't showing my laptop"

// The whole life of a request from a DM: answer with its source, "get a
// tech", the location question, the card, two techs claiming at once, the
// hand-off, resolve and the satisfaction question.
func TestDMEscalationClaimResolve(t *testing.T) {
	h := newHarness(t)
	r := h.replicas[0]

	h.dm(teacher, "DPAT", question)
	answer := h.posts(1, "DPAT", "Source:")[0]
	if !hasButton(answer, bot.ActionSolved) || !hasButton(answer, bot.ActionEscalate) {
		t.Fatalf("answer lacks its buttons: %s", answer.Blocks())
	}
	if answer.Form["unfurl_links"] != "false" || answer.Form["unfurl_media"] != "false" {
		t.Errorf("answer unfurls links: %v", answer.Form)
	}

	h.click(r, teacher, answer, bot.ActionEscalate)
	upd := h.api.WaitN(t, 1, "chat.update", func(c slacktest.Call) bool { return c.Form["ts"] == answer.TS })[0]
	if hasButton(upd, bot.ActionSolved) || !strings.Contains(upd.Blocks(), "asked for a tech") {
		t.Errorf("pressed answer still has buttons or lacks what happened: %s", upd.Blocks())
	}
	h.posts(1, "DPAT", "Which building and room")

	h.dm(teacher, "DPAT", "Lincoln MS room 204")
	card := h.posts(1, techChan, "Lincoln MS", "Pat Rivera", question[:20])[0]
	_, caseID := findButton(t, card, bot.ActionClaim)
	for _, want := range []string{"Requester", "Location", "Priority", "Summary", "Conversation"} {
		if !strings.Contains(card.Blocks(), want) {
			t.Errorf("card lacks %q: %s", want, card.Blocks())
		}
	}
	h.posts(1, "DPAT", caseID)

	// Alex (listed) and Sam (user group) press Claim at the same moment.
	var wg sync.WaitGroup
	for _, tech := range []string{techAlex, techSam} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clickFor(t, tech, card, bot.ActionClaim)
			if code, _ := deliver(t, r, "/slack/interactivity", slacktest.ClickForm(c), "application/x-www-form-urlencoded"); code != http.StatusOK {
				t.Errorf("claim by %s: %d", tech, code)
			}
		}()
	}
	wg.Wait()
	told := h.posts(1, "DPAT", "from the IT team has your request")[0]
	winner, winnerName := techAlex, "Alex Chen"
	if strings.Contains(told.Text(), "Sam Ortiz") {
		winner, winnerName = techSam, "Sam Ortiz"
	}
	claimed := h.api.WaitN(t, 1, "chat.update", func(c slacktest.Call) bool {
		return c.Form["ts"] == card.TS && strings.Contains(c.Blocks(), "Claimed by "+winnerName)
	})[0]
	if !hasButton(claimed, bot.ActionResolve) || !hasButton(claimed, bot.ActionRelease) || hasButton(claimed, bot.ActionClaim) {
		t.Errorf("claimed card has the wrong buttons: %s", claimed.Blocks())
	}
	open := h.api.WaitN(t, 1, "conversations.open", nil)[0]
	if u := open.Form["users"]; !strings.Contains(u, teacher) || !strings.Contains(u, winner) {
		t.Errorf("group DM opened with %q; want the requester and %s", u, winner)
	}
	h.posts(1, "G"+strings.ReplaceAll(strings.ToUpper(open.Form["users"]), ",", ""), caseID, "Summary")
	h.api.WaitN(t, 1, "chat.postEphemeral", func(c slacktest.Call) bool { return strings.Contains(c.Text(), "already claimed") })
	h.posts(1, techChan, "Claimed by") // the card's thread keeps the history

	h.click(r, winner, claimed, bot.ActionResolve)
	h.api.WaitN(t, 1, "chat.update", func(c slacktest.Call) bool {
		return c.Form["ts"] == card.TS && strings.Contains(c.Blocks(), "Resolved by "+winnerName) && !strings.Contains(c.Blocks(), `"type":"actions"`)
	})
	ask := h.posts(1, "DPAT", "Is it fixed?")[0]
	h.click(r, teacher, ask, bot.ActionFixed)
	h.api.WaitN(t, 1, "chat.update", func(c slacktest.Call) bool {
		return c.Form["ts"] == ask.TS && strings.Contains(c.Blocks(), "Confirmed fixed")
	})

	h.quiesce()
	if n := h.count("chat.postMessage", func(c slacktest.Call) bool {
		return c.Form["channel"] == "DPAT" && strings.Contains(c.Text(), "has your request")
	}); n != 1 {
		t.Errorf("requester told %d times who is coming; want once", n)
	}
	if n := h.count("conversations.open", nil); n != 1 {
		t.Errorf("%d group DMs opened; want 1", n)
	}
	e, err := h.store.Escalation(context.Background(), caseID)
	if err != nil || e.Status != bot.StatusResolved || e.Claimer.ID != winner || e.Satisfaction != bot.VerdictFixed {
		t.Errorf("case = %+v, %v; want resolved by %s, satisfaction fixed", e, err, winner)
	}
}

// The same through a channel: an @mention is answered in its thread, the
// asker's follow-ups there need no mention, and the requester hears back in
// that thread.
func TestChannelMentionThread(t *testing.T) {
	h := newHarness(t)
	r := h.replicas[0]

	root := h.ts()
	mention := slacktest.Event{Type: "app_mention", Channel: general, User: teacher, TS: root, Text: "<@UBOT> " + question}
	h.send(mention)
	// The same message also arrives as a plain message event.
	h.send(slacktest.Event{Channel: general, ChannelType: "channel", User: teacher, TS: root, Text: mention.Text})
	answer := h.posts(1, general, "Source:")[0]
	if answer.Form["thread_ts"] != root {
		t.Fatalf("answer posted in thread %q; want %q", answer.Form["thread_ts"], root)
	}

	// A colleague chatting in the thread without a mention is not a question.
	h.send(slacktest.Event{Channel: general, ChannelType: "channel", User: student, ThreadTS: root, Text: "same here"})
	// The asker's follow-up without a mention is.
	h.send(slacktest.Event{Channel: general, ChannelType: "channel", User: teacher, ThreadTS: root, Text: "that didn't work, I need a person"})
	h.posts(1, general, "Which building and room")
	h.send(slacktest.Event{Channel: general, ChannelType: "channel", User: teacher, ThreadTS: root, Text: "Washington Elementary room 12"})
	card := h.posts(1, techChan, "Washington Elementary")[0]
	h.click(r, techAlex, card, bot.ActionClaim)
	told := h.posts(1, general, "Alex Chen from the IT team has your request")[0]
	if told.Form["thread_ts"] != root {
		t.Errorf("requester told in thread %q; want %q", told.Form["thread_ts"], root)
	}

	h.quiesce()
	if n := h.count("chat.postMessage", func(c slacktest.Call) bool {
		return c.Form["channel"] == general && strings.Contains(c.Text(), "Source:")
	}); n != 1 {
		t.Errorf("%d answers to one mention; want 1", n)
	}
	for _, c := range h.api.Calls("chat.postMessage") {
		if c.Form["channel"] == general && c.Form["thread_ts"] != root {
			t.Errorf("bot posted outside the thread in a channel: %q", c.Form["text"])
		}
		if strings.Contains(c.Text(), "not sure") {
			t.Errorf("a colleague's thread chatter was answered: %q", c.Form["text"])
		}
	}
}
