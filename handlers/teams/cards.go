package teams

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/helpbot/helpbot/bot"
)

// Adaptive Card 1.4 is the first version with Action.Execute (Universal
// Actions) and is supported by every current Teams client.
const (
	cardContentType = "application/vnd.microsoft.card.adaptive"
	cardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion     = "1.4"
)

type card struct {
	Type    string   `json:"type"`
	Schema  string   `json:"$schema"`
	Version string   `json:"version"`
	Body    []any    `json:"body"`
	Actions []action `json:"actions,omitempty"`
	MSTeams *msteams `json:"msteams,omitempty"`
}

type msteams struct {
	Width string `json:"width,omitempty"`
}

type textBlock struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	Wrap      bool   `json:"wrap"`
	Weight    string `json:"weight,omitempty"`
	Size      string `json:"size,omitempty"`
	Color     string `json:"color,omitempty"`
	IsSubtle  bool   `json:"isSubtle,omitempty"`
	Spacing   string `json:"spacing,omitempty"`
	Separator bool   `json:"separator,omitempty"`
}

type factSet struct {
	Type  string `json:"type"`
	Facts []fact `json:"facts"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type action struct {
	Type  string    `json:"type"`
	Title string    `json:"title"`
	Verb  string    `json:"verb,omitempty"`
	Data  *cardData `json:"data,omitempty"`
	URL   string    `json:"url,omitempty"`
	Style string    `json:"style,omitempty"`
}

func newCard() card {
	return card{Type: "AdaptiveCard", Schema: cardSchema, Version: cardVersion, MSTeams: &msteams{Width: "Full"}}
}

func (c card) attachment() schema.Attachment {
	return schema.Attachment{ContentType: cardContentType, Content: c}
}

// text adds plain text, one TextBlock per line so line breaks survive and
// every line is escaped on its own; a blank line becomes extra spacing.
func (c *card) text(s string, style textBlock) {
	gap := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if strings.TrimSpace(line) == "" {
			gap = true
			continue
		}
		b := style
		b.Type, b.Wrap, b.Text = "TextBlock", true, esc(capText(line, 2000))
		if len(c.Body) > 0 && b.Spacing == "" {
			b.Spacing = "small"
			if gap {
				b.Spacing = "medium"
			}
		}
		c.Body = append(c.Body, b)
		gap = false
	}
}

// replyCard renders a reply for the conversation it answers. With a status
// (after a button was pressed) the buttons are replaced by the status line.
func replyCard(r bot.Reply, status string) card {
	c := newCard()
	var style textBlock
	switch r.Kind {
	case bot.KindWarning:
		style.Color = "warning"
	case bot.KindError:
		style.Color = "attention"
	}
	c.text(r.Text, style)
	for _, s := range r.Sources {
		c.text("📄 Source: "+sourceTitle(s), textBlock{IsSubtle: true, Size: "small", Spacing: "medium"})
	}
	for _, s := range r.Related {
		c.text("• "+sourceTitle(s), textBlock{Spacing: "small"})
	}
	if status != "" {
		c.text(status, textBlock{Weight: "bolder", Separator: true, Spacing: "medium"})
		return c
	}
	for _, ch := range r.Choices {
		id := ch.Value
		if id == "" {
			id = r.EscalationID
		}
		c.Actions = append(c.Actions, action{Type: "Action.Submit", Title: ch.Label,
			Data: &cardData{Action: ch.Action, ID: id}, Style: actionStyle(ch.Style)})
	}
	for _, s := range append(append([]bot.Source(nil), r.Sources...), r.Related...) {
		if u := articleURL(s.URL); u != "" {
			c.Actions = append(c.Actions, action{Type: "Action.OpenUrl", Title: "Open article", URL: u})
			break
		}
	}
	return c
}

func sourceTitle(s bot.Source) string {
	t := "“" + s.Title + "”"
	if s.Section != "" && s.Section != s.Title {
		t += " › " + s.Section
	}
	return t
}

// articleURL returns a KB article's URL when it is an https link; anything
// else (javascript:, relative paths) is not offered as a button.
func articleURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// Adaptive Card action styles: "positive" and "destructive".
func actionStyle(s string) string {
	switch s {
	case "primary":
		return "positive"
	case "danger":
		return "destructive"
	}
	return ""
}

// caseCard is the escalation card in the techs' channel. Buttons follow
// the case status, so a card never offers what can no longer be done.
// chat is the requester's UPN (or Entra id) for the "Chat with" link.
func caseCard(e bot.Escalation, now time.Time, chat string) card {
	return caseCardWith(e, now, chat, "")
}

// caseCardWith heads the card with a note (a reminder) before the id.
func caseCardWith(e bot.Escalation, now time.Time, chat, note string) card {
	c := newCard()
	head := "🆕 " + e.ID
	if e.Priority == bot.PriorityUrgent {
		head = "🔴 URGENT " + e.ID
	}
	if note != "" {
		head = note + " · " + head
	}
	c.text(head, textBlock{Weight: "bolder", Size: "medium"})
	c.text(caseStatus(e), textBlock{IsSubtle: true, Spacing: "none"})
	facts := []fact{{"From", esc(e.Requester.Display())}}
	if e.Location != "" {
		facts = append(facts, fact{"Where", esc(e.Location)})
	}
	if e.Device != "" {
		facts = append(facts, fact{"Device", esc(e.Device)})
	}
	if e.Reports > 1 {
		facts = append(facts, fact{"Outage", esc(e.Title())})
	}
	if e.Incident != "" {
		facts = append(facts, fact{"Grouped", esc("part of " + e.Incident + " (same problem, same building)")})
	}
	facts = append(facts, fact{"Problem", esc(capText(e.Summary, 300))})
	if len(e.Articles) > 0 {
		var t []string
		for _, a := range e.Articles {
			t = append(t, "“"+a.Title+"”")
		}
		facts = append(facts, fact{"Tried", esc(strings.Join(t, ", "))})
	}
	facts = append(facts, fact{"Opened", esc(bot.Ago(e.Age(now)) + " (" + e.CreatedAt.UTC().Format("Jan 2 15:04 MST") + ")")})
	c.Body = append(c.Body, factSet{Type: "FactSet", Facts: facts})
	if e.Brief != "" {
		c.text(capText(e.Brief, 600), textBlock{Spacing: "medium"})
	}
	if len(e.Transcript) > 0 {
		c.text("Conversation", textBlock{Weight: "bolder", Spacing: "medium", Separator: true})
		for _, t := range e.Transcript {
			who := e.Requester.Display()
			if t.Who == "bot" {
				who = "bot"
			}
			if r := t.Reporter(); r != "" {
				who = r // another reporter of the outage
			}
			c.text(who+": "+strings.ReplaceAll(t.Text, "\n", " "), textBlock{Size: "small", Spacing: "none"})
		}
	}
	exec := func(name, title, style string) action {
		return action{Type: "Action.Execute", Title: title, Verb: name, Data: &cardData{Action: name, ID: e.ID}, Style: style}
	}
	switch e.Status {
	case bot.StatusOpen:
		c.Actions = append(c.Actions, exec(bot.ActionClaim, "Claim", "positive"))
	case bot.StatusClaimed:
		c.Actions = append(c.Actions,
			exec(bot.ActionResolve, "Resolve", "positive"),
			exec(bot.ActionRelease, "Release", ""))
		if chat != "" {
			c.Actions = append(c.Actions, action{Type: "Action.OpenUrl",
				Title: "Chat with " + capText(e.Requester.Display(), 40), URL: chatLink(chat, e.ID)})
		}
	}
	return c
}

// caseStatus is the card's status line.
func caseStatus(e bot.Escalation) string {
	switch e.Status {
	case bot.StatusClaimed:
		return "Claimed by " + e.Claimer.Display()
	case bot.StatusResolved:
		s := "✅ Resolved by " + e.Claimer.Display()
		switch e.Satisfaction {
		case bot.VerdictFixed:
			s += " · requester confirmed fixed"
		case bot.VerdictNotFixed:
			s += " · requester says still broken"
		}
		return s
	case bot.StatusCancelled:
		return "Cancelled by the requester"
	}
	if e.Satisfaction == bot.VerdictNotFixed {
		return "↩️ Reopened: requester says still broken · waiting for a tech"
	}
	return "Waiting for a tech"
}

// chatLink opens a 1:1 Teams chat with the requester, the case id typed in.
func chatLink(user, caseID string) string {
	q := url.Values{"users": {user}, "message": {fmt.Sprintf("Hi, I'm on your IT request %s.", caseID)}}
	return "https://teams.microsoft.com/l/chat/0/0?" + q.Encode()
}

// noticeCard is a card with one line of text (a status or refusal).
func noticeCard(text string) card {
	c := newCard()
	c.text(text, textBlock{})
	return c
}
