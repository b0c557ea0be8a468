package teams

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// maxBody caps an inbound activity. Teams activities are a few KiB; a card
// submit with its data is well under this.
const maxBody = 1 << 20

// Activity types and invoke names this edge acts on.
const (
	typeMessage            = "message"
	typeInvoke             = "invoke"
	typeConversationUpdate = "conversationUpdate"
	invokeCardAction       = "adaptiveCard/action"
)

// activity is an inbound Bot Framework activity: msbotbuilder's schema type
// for the common fields, with the fields it decodes badly shadowed. Its
// Entity type keeps only "type" (mentions are lost), its Value must be an
// object, and its time fields reject an empty string; one odd field must
// not make a whole activity unreadable.
type activity struct {
	schema.Activity
	Timestamp      json.RawMessage   `json:"timestamp,omitempty"`
	LocalTimestamp json.RawMessage   `json:"localTimestamp,omitempty"`
	Expiration     json.RawMessage   `json:"expiration,omitempty"`
	Entities       []json.RawMessage `json:"entities,omitempty"`
	Value          json.RawMessage   `json:"value,omitempty"`
	ChannelData    channelData       `json:"channelData,omitempty"`
	From           account           `json:"from"`
}

// account adds the fields Teams sends beyond msbotbuilder's ChannelAccount.
type account struct {
	schema.ChannelAccount
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
}

// channelData is the Teams part of channelData we use.
type channelData struct {
	Team      *idName `json:"team,omitempty"`
	Channel   *idName `json:"channel,omitempty"`
	EventType string  `json:"eventType,omitempty"`
	Tenant    *idName `json:"tenant,omitempty"`
}

type idName struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// mention is a Teams mention entity, decoded from the raw body.
type mention struct {
	Type      string                `json:"type"`
	Text      string                `json:"text"`
	Mentioned schema.ChannelAccount `json:"mentioned"`
}

// cardData is what every helpbot card action carries (DESIGN.md).
type cardData struct {
	Action string `json:"action"`
	ID     string `json:"id,omitempty"`
}

// executeValue is the value of an adaptiveCard/action invoke.
type executeValue struct {
	Action struct {
		Type string          `json:"type"`
		Verb string          `json:"verb"`
		Data json.RawMessage `json:"data"`
	} `json:"action"`
}

// decodeActivity parses a request body. It fails only on what makes the
// activity unusable: not JSON, or no type, conversation or service URL.
func decodeActivity(raw []byte) (activity, error) {
	var a activity
	if err := json.Unmarshal(raw, &a); err != nil {
		return activity{}, fmt.Errorf("decode activity: %w", err)
	}
	switch {
	case a.Type == "":
		return activity{}, errors.New("decode activity: no type")
	case a.ServiceURL == "":
		return activity{}, errors.New("decode activity: no serviceUrl")
	case a.Conversation.ID == "":
		return activity{}, errors.New("decode activity: no conversation")
	}
	return a, nil
}

// mentions returns the activity's mention entities; other entities
// (clientInfo…) and malformed ones are skipped.
func (a activity) mentions() []mention {
	var out []mention
	for _, raw := range a.Entities {
		var m mention
		if json.Unmarshal(raw, &m) != nil || m.Type != "mention" {
			continue
		}
		out = append(out, m)
	}
	return out
}

// mentionsBot reports whether the bot (the activity's recipient) is mentioned.
func (a activity) mentionsBot() bool {
	for _, m := range a.mentions() {
		if m.Mentioned.ID != "" && m.Mentioned.ID == a.Recipient.ID {
			return true
		}
	}
	return false
}

// formattingTag matches the HTML Teams wraps formatted messages in (what a
// person typed as "<" arrives as "&lt;", so this never eats their text).
var formattingTag = regexp.MustCompile(`(?i)</?(p|div|span|b|i|u|s|strong|em|strike|br|ol|ul|li|code|pre|blockquote|h[1-6])(\s[^<>]*)?/?>`)

// question is the message text as the person meant it: the bot's own
// mention removed, other people's mentions reduced to their names, and the
// HTML entities Teams adds (&nbsp;) decoded. Only the mention entities'
// texts are touched, so a literal "<at>" typed by someone stays text.
func (a activity) question() string {
	text := a.Text
	for _, m := range a.mentions() {
		if m.Text == "" {
			continue
		}
		repl := ""
		if m.Mentioned.ID != a.Recipient.ID {
			repl = strings.TrimSuffix(strings.TrimPrefix(m.Text, "<at>"), "</at>")
		}
		text = strings.Replace(text, m.Text, repl, 1)
	}
	text = formattingTag.ReplaceAllString(text, " ")
	text = html.UnescapeString(text)
	text = strings.ReplaceAll(text, "\u00a0", " ")
	return strings.Join(strings.Fields(text), " ")
}

// submitted returns the card action of an Action.Submit message (a message
// whose value carries {"action": "helpbot.…"}), if any.
func (a activity) submitted() (cardData, bool) {
	if len(a.Value) == 0 {
		return cardData{}, false
	}
	var d cardData
	if json.Unmarshal(a.Value, &d) != nil || !strings.HasPrefix(d.Action, "helpbot.") {
		return cardData{}, false
	}
	return d, true
}

// executed returns the card action of an Action.Execute invoke. The verb
// names the action; data carries the case id.
func (a activity) executed() (cardData, bool) {
	if a.Type != typeInvoke || a.Name != invokeCardAction || len(a.Value) == 0 {
		return cardData{}, false
	}
	var v executeValue
	if json.Unmarshal(a.Value, &v) != nil {
		return cardData{}, false
	}
	var d cardData
	if len(v.Action.Data) > 0 {
		_ = json.Unmarshal(v.Action.Data, &d)
	}
	if d.Action == "" {
		d.Action = v.Action.Verb
	}
	if !strings.HasPrefix(d.Action, "helpbot.") {
		return cardData{}, false
	}
	return d, true
}

// kind is the conversation type: "personal", "channel" or "groupChat".
func (a activity) kind() string {
	switch t := a.Conversation.ConversationType; t {
	case "personal", "channel", "groupChat":
		return t
	}
	if a.ChannelData.Channel != nil && a.ChannelData.Channel.ID != "" {
		return "channel"
	}
	if a.Conversation.IsGroup {
		return "groupChat"
	}
	return "personal"
}

// userID is who acted: the Entra object id, which TEAMS_TECH_USERS lists.
// Without one (guests of other channels) the Bot Framework id is used; it
// never matches a tech.
func (a activity) userID() string {
	if id := strings.ToLower(strings.TrimSpace(a.From.AadObjectID)); id != "" {
		return id
	}
	return "bf:" + a.From.ID
}

// ref is how to reach this conversation later (proactive messages).
func (a activity) ref() schema.ConversationReference {
	return schema.ConversationReference{
		ActivityID:   a.ID,
		User:         a.From.ChannelAccount,
		Bot:          a.Recipient,
		Conversation: a.Conversation,
		ChannelID:    a.ChannelID,
		ServiceURL:   a.ServiceURL,
	}
}
