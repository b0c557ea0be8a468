package slack

import (
	"encoding/json"
	"testing"

	"github.com/helpbot/helpbot/bot"
)

// Seeds live in testdata/fuzz/<Fuzz…>/: real shapes of Slack deliveries
// (DMs, mentions, threads, bot posts, edits, url_verification, buttons on
// answers and cards, truncated and hostile bodies).

// FuzzParseEvent: any body Slack (or an attacker with the secret) could
// send is parsed, routed text is derived and rendered without panicking,
// and rendering always yields JSON Slack accepts.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"<@UBOT> hi &amp; <https://x|y>","ts":"1.2"}}`))
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			return
		}
		if env.Type == "event_callback" && (env.EventID == "" || env.Event.Type == "") {
			t.Fatalf("accepted a callback without ids: %+v", env)
		}
		text := plainText(env.Event.Text, "UBOT")
		m := renderReply(bot.Reply{Kind: bot.KindAnswer, Text: text, Choices: []bot.Choice{{Action: bot.ActionSolved, Label: text, Value: text}}})
		if _, err := json.Marshal(m.blocks); err != nil {
			t.Fatalf("render: %v", err)
		}
	})
}

// FuzzParseInteraction: any interactivity body is parsed and turned into
// clicks without panicking; a click never takes its actor from the value.
func FuzzParseInteraction(f *testing.F) {
	f.Add([]byte(`payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%2C%22container%22%3A%7B%22message_ts%22%3A%221.2%22%2C%22channel_id%22%3A%22C1%22%7D%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22helpbot.claim%22%2C%22block_id%22%3A%22b%22%2C%22value%22%3A%22IT-1%22%7D%5D%7D`))
	f.Add([]byte(`payload=not-json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := parseInteraction(body)
		if err != nil {
			return
		}
		for _, c := range clicks(cb) {
			if c.user != cb.User.ID || c.user == "" {
				t.Fatalf("click actor %q not from the payload's user %q", c.user, cb.User.ID)
			}
			if _, err := json.Marshal(withStatus(c.blocks, c.value)); err != nil {
				t.Fatalf("status render: %v", err)
			}
		}
		_, _ = parseCommand(body)
	})
}
