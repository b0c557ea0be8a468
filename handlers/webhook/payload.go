package webhook

import (
	"time"

	"github.com/helpbot/helpbot/bot"
)

// Event names in payloads and the X-Helpbot-Event header.
const (
	EventCreated      = "case.created"
	EventClaimed      = "case.claimed"
	EventReleased     = "case.released"
	EventResolved     = "case.resolved"
	EventReopened     = "case.reopened"
	EventCancelled    = "case.cancelled"
	EventSatisfaction = "case.satisfaction"
)

// eventNames maps desk events to payload event names; others are not sent.
var eventNames = map[bot.EventType]string{
	bot.EventEscalated:    EventCreated,
	bot.EventClaimed:      EventClaimed,
	bot.EventReleased:     EventReleased,
	bot.EventResolved:     EventResolved,
	bot.EventReopened:     EventReopened,
	bot.EventCancelled:    EventCancelled,
	bot.EventSatisfaction: EventSatisfaction,
}

// Payload is the JSON body of one delivery (docs/WEBHOOK.md has the schema).
type Payload struct {
	ID         string    `json:"id"`    // event id; also the X-Helpbot-Event-Id header
	Event      string    `json:"event"` // case.created…
	OccurredAt time.Time `json:"occurred_at"`
	Case       Case      `json:"case"`
}

// Case is the case as it was when the event happened.
type Case struct {
	ID            string    `json:"id"`
	Status        string    `json:"status"`
	Priority      string    `json:"priority"`
	Reason        string    `json:"reason,omitempty"`
	Requester     Person    `json:"requester"`
	Location      string    `json:"location,omitempty"`
	Device        string    `json:"device,omitempty"`
	Summary       string    `json:"summary"`
	Brief         string    `json:"brief,omitempty"`
	Claimer       *Person   `json:"claimer,omitempty"`
	ArticlesTried []Article `json:"articles_tried"`
	Satisfaction  string    `json:"satisfaction,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	ClaimedAt     time.Time `json:"claimed_at,omitzero"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
	Link          Link      `json:"link"`
	// Transcript is the redacted excerpt, only with TICKET_WEBHOOK_TRANSCRIPT=true.
	Transcript []Turn `json:"transcript,omitempty"`
}

// Person is a requester or a tech: the platform user id and display name.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Article is a KB article the requester was shown before the case.
type Article struct {
	Title string `json:"title"`
	Path  string `json:"path"`
	URL   string `json:"url,omitempty"`
}

// Link says where the case lives in chat.
type Link struct {
	Platform     string `json:"platform"`               // slack, teams…
	Conversation string `json:"conversation"`           // the requester's DM or channel id
	Thread       string `json:"thread,omitempty"`       // thread id, when in a channel thread
	Card         string `json:"card,omitempty"`         // the edge's reference to the techs' card
	RequesterID  string `json:"requester_id,omitempty"` // to open a DM with the requester
}

// Turn is one redacted line of the transcript.
type Turn struct {
	Who    string    `json:"who"`
	Report string    `json:"report,omitempty"` // another reporter's case, on an outage's primary
	From   string    `json:"from,omitempty"`   // and their name
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

func payloadOf(id, name string, at time.Time, e bot.Escalation, transcript bool) Payload {
	c := Case{
		ID: e.ID, Status: string(e.Status), Priority: string(e.Priority), Reason: string(e.Reason),
		Requester: Person{ID: e.Requester.ID, Name: e.Requester.Name},
		Location:  e.Location, Device: e.Device, Summary: e.Summary, Brief: e.Brief,
		ArticlesTried: []Article{},
		Satisfaction:  e.Satisfaction,
		CreatedAt:     e.CreatedAt.UTC(), ClaimedAt: utc(e.ClaimedAt), ResolvedAt: utc(e.ResolvedAt),
		Link: Link{Platform: e.Platform, Conversation: e.Conversation, Thread: e.Thread, Card: e.Card, RequesterID: e.Requester.ID},
	}
	if e.Claimer.ID != "" || e.Claimer.Name != "" {
		c.Claimer = &Person{ID: e.Claimer.ID, Name: e.Claimer.Name}
	}
	for _, a := range e.Articles {
		c.ArticlesTried = append(c.ArticlesTried, Article{Title: a.Title, Path: a.Path, URL: a.URL})
	}
	if transcript {
		for _, t := range e.Transcript {
			c.Transcript = append(c.Transcript, Turn{Who: t.Who, Report: t.Report, From: t.From, Text: t.Text, At: t.At.UTC()})
		}
	}
	return Payload{ID: id, Event: name, OccurredAt: at.UTC(), Case: c}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
