package teamstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
)

func urlUnescape(s string) (string, error) { return url.PathUnescape(s) }

// Bot is the bot's identity in activities.
var Bot = map[string]any{"id": "28:bot-app-id", "name": "helpbot"}

// User is a Teams user in activities.
type User struct {
	ID   string // 29:… Bot Framework id
	Aad  string // Entra object id
	Name string
}

func (u User) account() map[string]any {
	return map[string]any{"id": u.ID, "name": u.Name, "aadObjectId": u.Aad}
}

var seq atomic.Int64

// NextID returns a fresh activity id.
func NextID() string { return fmt.Sprintf("f:%d", seq.Add(1)) }

// base is the part every activity shares.
func (f *Fake) base(typ string, u User, conv map[string]any) map[string]any {
	return map[string]any{
		"type": typ, "id": NextID(), "channelId": "msteams", "serviceUrl": f.ServiceURL(),
		"timestamp": "2025-03-04T08:15:30.123Z", "from": u.account(), "recipient": Bot,
		"conversation": conv, "locale": "en-US",
		"channelData": map[string]any{"tenant": map[string]any{"id": f.Tenant}},
	}
}

// PersonalConv is the conversation of u's personal chat with the bot.
func PersonalConv(u User) map[string]any {
	return map[string]any{"id": "a:personal-" + u.Aad, "conversationType": "personal", "tenantId": "t"}
}

// ChannelConv is a channel thread conversation (thread "" = the channel).
func ChannelConv(channel, thread string) map[string]any {
	id := channel
	if thread != "" {
		id += ";messageid=" + thread
	}
	return map[string]any{"id": id, "conversationType": "channel", "isGroup": true, "tenantId": "t"}
}

// Personal is a message in u's personal chat.
func (f *Fake) Personal(u User, text string) map[string]any {
	a := f.base("message", u, PersonalConv(u))
	a["text"] = text
	a["textFormat"] = "plain"
	return a
}

// Mention is a channel message that @mentions the bot: the text carries
// "<at>helpbot</at>" and a mention entity says who it is.
func (f *Fake) Mention(u User, channel, thread, text string) map[string]any {
	a := f.base("message", u, ChannelConv(channel, thread))
	a["text"] = "<at>helpbot</at> " + text
	a["entities"] = []any{
		map[string]any{"type": "mention", "text": "<at>helpbot</at>", "mentioned": Bot},
		map[string]any{"type": "clientInfo", "locale": "en-US", "platform": "Web"},
	}
	a["channelData"] = map[string]any{
		"teamsChannelId": channel, "teamsTeamId": "19:team",
		"channel": map[string]any{"id": channel}, "team": map[string]any{"id": "19:team"},
		"tenant": map[string]any{"id": f.Tenant},
	}
	return a
}

// Submit is an Action.Submit press: a message with the card's data as
// value, replying to the card's activity.
func (f *Fake) Submit(u User, conv map[string]any, replyTo, action, caseID string) map[string]any {
	a := f.base("message", u, conv)
	a["replyToId"] = replyTo
	a["value"] = map[string]any{"action": action, "id": caseID}
	return a
}

// Execute is an Action.Execute press: an adaptiveCard/action invoke.
func (f *Fake) Execute(u User, conv map[string]any, replyTo, action, caseID string) map[string]any {
	a := f.base("invoke", u, conv)
	a["name"] = "adaptiveCard/action"
	a["replyToId"] = replyTo
	a["value"] = map[string]any{
		"action":  map[string]any{"type": "Action.Execute", "verb": action, "data": map[string]any{"action": action, "id": caseID}},
		"trigger": "manual",
	}
	return a
}

// Installed is the conversationUpdate Teams sends when the bot is added to
// a team (its General channel).
func (f *Fake) Installed(u User, channel string) map[string]any {
	a := f.base("conversationUpdate", u, ChannelConv(channel, ""))
	a["membersAdded"] = []any{Bot}
	a["channelData"] = map[string]any{"eventType": "teamMemberAdded",
		"team": map[string]any{"id": channel}, "tenant": map[string]any{"id": f.Tenant}}
	return a
}

// Post sends an activity to the bot at endpoint with a valid token and
// returns the response status and body.
func (f *Fake) Post(t testing.TB, endpoint string, act map[string]any) (int, []byte) {
	t.Helper()
	su, _ := act["serviceUrl"].(string)
	return f.PostWithToken(t, endpoint, act, "Bearer "+f.Token(Claims{ServiceURL: su}))
}

// PostWithToken sends an activity with the given Authorization header.
func (f *Fake) PostWithToken(t testing.TB, endpoint string, act map[string]any, authz string) (int, []byte) {
	t.Helper()
	raw, err := json.Marshal(act)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}
