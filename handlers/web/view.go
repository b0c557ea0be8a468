package web

import (
	"time"

	"github.com/helpbot/helpbot/bot"
)

// Entry is one line of a staff member's chat as the page shows it. Text is
// plain: the page renders it with textContent, never as markup.
type Entry struct {
	ID      int64        `json:"id"`
	From    string       `json:"from"` // "staff" (the person) or "bot"
	Kind    string       `json:"kind,omitempty"`
	Text    string       `json:"text"`
	Sources []bot.Source `json:"sources,omitempty"`
	Related []bot.Source `json:"related,omitempty"`
	Choices []Choice     `json:"choices,omitempty"`
	Case    string       `json:"case,omitempty"`
	OnlyYou bool         `json:"onlyYou,omitempty"` // ephemeral: shown to the person who acted
	Pushed  bool         `json:"pushed,omitempty"`  // sent later by the bot (a tech acted)
	// Status replaces Choices once a button on this entry was pressed, so
	// no stale buttons remain (bot.Outcome.Status).
	Status string    `json:"status,omitempty"`
	At     time.Time `json:"at"`
}

// Choice is a button under a bot message, as the page renders it.
type Choice struct {
	Action string `json:"action"`
	Label  string `json:"label"`
	Value  string `json:"value,omitempty"` // the case id for case actions
	Style  string `json:"style,omitempty"`
}

func replyEntry(r bot.Reply, at time.Time) Entry {
	e := Entry{
		From: "bot", Kind: string(r.Kind), Text: r.Text,
		Sources: r.Sources, Related: r.Related,
		Case: r.EscalationID, OnlyYou: r.Ephemeral, At: at,
	}
	for _, c := range r.Choices {
		e.Choices = append(e.Choices, Choice{Action: c.Action, Label: c.Label, Value: c.Value, Style: c.Style})
	}
	return e
}

// Card is a case as the techs' channel shows it. The page picks the buttons
// from Status and Claimer: Claim when open, Resolve and Release for the
// tech who has it.
type Card struct {
	ID           string       `json:"id"`
	Status       bot.Status   `json:"status"`
	StatusText   string       `json:"statusText"`       // short: "Claimed by Alex Chen"
	Detail       string       `json:"detail,omitempty"` // what happens next, when it is not obvious
	Priority     bot.Priority `json:"priority"`
	Reason       string       `json:"reason"`
	Requester    bot.Person   `json:"requester"`
	Location     string       `json:"location,omitempty"`
	Device       string       `json:"device,omitempty"`
	Summary      string       `json:"summary"`
	Articles     []bot.Source `json:"articles,omitempty"`
	Transcript   []Line       `json:"transcript,omitempty"`
	Claimer      *bot.Person  `json:"claimer,omitempty"`
	Satisfaction string       `json:"satisfaction,omitempty"`
	CreatedAt    time.Time    `json:"createdAt"`
	UpdatedAt    time.Time    `json:"updatedAt"`
}

// Line is one turn of the conversation excerpt on a card.
type Line struct {
	Who  string `json:"who"`
	Text string `json:"text"`
}

func cardOf(e bot.Escalation, now time.Time) Card {
	c := Card{
		ID: e.ID, Status: e.Status, StatusText: statusText(e), Detail: statusDetail(e), Priority: e.Priority,
		Reason: reasonText(e.Reason), Requester: e.Requester, Location: e.Location, Device: e.Device,
		Summary: e.Summary, Articles: e.Articles, Satisfaction: e.Satisfaction,
		CreatedAt: e.CreatedAt, UpdatedAt: now,
	}
	if e.Claimer.ID != "" {
		cl := e.Claimer
		c.Claimer = &cl
	}
	for _, t := range e.Transcript {
		who := e.Requester.Display()
		switch t.Who {
		case "bot":
			who = "helpbot"
		case "tech":
			who = "Tech"
		}
		if r := t.Reporter(); r != "" {
			who = r // another reporter of the outage
		}
		c.Transcript = append(c.Transcript, Line{Who: who, Text: t.Text})
	}
	return c
}

func statusText(e bot.Escalation) string {
	switch e.Status {
	case bot.StatusClaimed:
		return "Claimed by " + e.Claimer.Display()
	case bot.StatusResolved:
		return "Resolved by " + e.Claimer.Display()
	case bot.StatusCancelled:
		return "Cancelled"
	}
	if e.Satisfaction == bot.VerdictNotFixed {
		return "Reopened"
	}
	return "Waiting for a tech"
}

func statusDetail(e bot.Escalation) string {
	switch {
	case e.Status == bot.StatusResolved && e.Satisfaction == bot.VerdictFixed:
		return e.Requester.Display() + " confirmed it's fixed."
	case e.Status == bot.StatusResolved:
		return "Waiting for " + e.Requester.Display() + " to confirm it's fixed."
	case e.Status == bot.StatusCancelled:
		return e.Requester.Display() + " withdrew the request."
	case e.Status == bot.StatusOpen && e.Satisfaction == bot.VerdictNotFixed:
		return e.Requester.Display() + " says it's still broken after it was resolved."
	}
	return ""
}

func reasonText(r bot.Reason) string {
	switch r {
	case bot.ReasonRequested:
		return "Asked for a person"
	case bot.ReasonUrgent:
		return "Urgent wording"
	case bot.ReasonStillBroken:
		return "The suggested fix didn't work"
	case bot.ReasonUnanswered:
		return "The knowledge base had no answer"
	case bot.ReasonNotFixed:
		return "Reopened after resolve"
	}
	return string(r)
}
