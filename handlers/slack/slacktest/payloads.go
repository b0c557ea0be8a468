package slacktest

import (
	"encoding/json"
	"net/url"
)

// Event describes a message as Slack delivers it in an event_callback.
type Event struct {
	ID          string // event_id
	Type        string // "message" (default) or "app_mention"
	Subtype     string
	Channel     string
	ChannelType string // "im", "channel"…
	User        string
	BotID       string
	Text        string
	TS          string
	ThreadTS    string
}

// EventBody is the Events API JSON body (and the Socket Mode payload).
func EventBody(e Event) []byte {
	if e.Type == "" {
		e.Type = "message"
	}
	inner := map[string]any{"type": e.Type, "channel": e.Channel, "text": e.Text, "ts": e.TS, "event_ts": e.TS}
	if e.User != "" {
		inner["user"] = e.User
	}
	if e.ChannelType != "" && e.Type == "message" {
		inner["channel_type"] = e.ChannelType
	}
	if e.Subtype != "" {
		inner["subtype"] = e.Subtype
	}
	if e.BotID != "" {
		inner["bot_id"] = e.BotID
	}
	if e.ThreadTS != "" {
		inner["thread_ts"] = e.ThreadTS
	}
	b, _ := json.Marshal(map[string]any{
		"token": "legacy-unused", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": e.ID, "event_time": 1700000000, "event": inner,
		"authorizations": []map[string]any{{"team_id": "T1", "user_id": "UBOT", "is_bot": true}},
	})
	return b
}

// Click describes a button press.
type Click struct {
	User      string
	UserName  string
	Channel   string
	MessageTS string
	ThreadTS  string
	BlockID   string
	ActionID  string
	Value     string
	Blocks    json.RawMessage // the pressed message's blocks
	Ephemeral bool
}

// ClickJSON is the block_actions payload (the Socket Mode payload).
func ClickJSON(c Click) []byte {
	if c.Blocks == nil {
		c.Blocks = json.RawMessage("[]")
	}
	msg := map[string]any{"type": "message", "ts": c.MessageTS, "blocks": c.Blocks, "text": ""}
	if c.ThreadTS != "" {
		msg["thread_ts"] = c.ThreadTS
	}
	container := map[string]any{"type": "message", "message_ts": c.MessageTS, "channel_id": c.Channel, "is_ephemeral": c.Ephemeral}
	if c.ThreadTS != "" {
		container["thread_ts"] = c.ThreadTS
	}
	b, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1"}, "api_app_id": "A1",
		"user":      map[string]any{"id": c.User, "username": c.UserName, "name": c.UserName, "team_id": "T1"},
		"channel":   map[string]any{"id": c.Channel},
		"container": container, "message": msg,
		"trigger_id": "1.2.3", "response_url": "https://hooks.slack.invalid/actions/1",
		"actions": []map[string]any{{"type": "button", "action_id": c.ActionID, "block_id": c.BlockID,
			"value": c.Value, "action_ts": "1700000001.000001", "text": map[string]any{"type": "plain_text", "text": "x"}}},
	})
	return b
}

// ClickForm is the interactivity HTTP body: payload=<json>.
func ClickForm(c Click) []byte {
	return []byte(url.Values{"payload": {string(ClickJSON(c))}}.Encode())
}

// CommandForm is a slash command HTTP body.
func CommandForm(user, channel, text string) []byte {
	return []byte(url.Values{
		"token": {"legacy-unused"}, "team_id": {"T1"}, "channel_id": {channel}, "user_id": {user},
		"user_name": {"someone"}, "command": {"/helpdesk"}, "text": {text},
		"response_url": {"https://hooks.slack.invalid/commands/1"}, "trigger_id": {"1.2.3"}, "api_app_id": {"A1"},
	}.Encode())
}

// CommandJSON is a slash command as a Socket Mode payload.
func CommandJSON(user, channel, text string) []byte {
	b, _ := json.Marshal(map[string]any{"team_id": "T1", "channel_id": channel, "user_id": user,
		"command": "/helpdesk", "text": text, "response_url": "https://hooks.slack.invalid/commands/1", "trigger_id": "1.2.3"})
	return b
}
