package bot

import (
	"fmt"
	"time"
)

// Status is where a case is in its lifecycle.
type Status string

const (
	StatusOpen      Status = "open"      // waiting for a tech
	StatusClaimed   Status = "claimed"   // a tech has it
	StatusResolved  Status = "resolved"  // the tech closed it
	StatusCancelled Status = "cancelled" // the requester withdrew it
)

// Closed reports whether the case no longer needs a tech.
func (s Status) Closed() bool { return s == StatusResolved || s == StatusCancelled }

// Priority orders the queue; urgent cases are re-announced sooner.
type Priority string

const (
	PriorityNormal Priority = "normal"
	PriorityUrgent Priority = "urgent"
)

// Reason records why a case was opened, for the card and the digest.
type Reason string

const (
	ReasonRequested   Reason = "requested"    // asked for a person
	ReasonUrgent      Reason = "urgent"       // urgent wording
	ReasonStillBroken Reason = "still_broken" // the answer did not fix it
	ReasonUnanswered  Reason = "not_in_kb"    // the KB did not know, twice
	ReasonNotFixed    Reason = "reopened"     // requester said the fix did not work
)

// Escalation is a case handed to a live tech, with the context the tech needs
// so nobody asks the requester again.
type Escalation struct {
	ID       string   `json:"id"`
	Status   Status   `json:"status"`
	Priority Priority `json:"priority"`
	Reason   Reason   `json:"reason"`

	Requester    Person `json:"requester"`
	Platform     string `json:"platform"`
	Conversation string `json:"conversation"`
	Thread       string `json:"thread,omitempty"`
	Ref          string `json:"ref,omitempty"` // edge's reference to reach the requester

	Location   string   `json:"location,omitempty"` // building / room
	Building   string   `json:"building,omitempty"` // the building alone, for grouping
	Topic      string   `json:"topic,omitempty"`    // kind of problem ("Wi-Fi"), for grouping
	Device     string   `json:"device,omitempty"`   // asset tag, if given
	Summary    string   `json:"summary"`            // short, redacted
	Transcript []Turn   `json:"transcript,omitempty"`
	Articles   []Source `json:"articles,omitempty"` // articles already tried

	// Brief is two lines for the tech: the problem, then what was tried
	// (written by the Desk's Summarizer, or CodeBrief). Redacted like Summary.
	Brief string `json:"brief,omitempty"`

	Claimer      Person    `json:"claimer,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	ClaimedAt    time.Time `json:"claimed_at,omitempty"`
	ResolvedAt   time.Time `json:"resolved_at,omitempty"`
	Card         string    `json:"card,omitempty"` // edge's reference to the techs' card
	Satisfaction string    `json:"satisfaction,omitempty"`

	// Incident is the id of the case this one is grouped under (one outage,
	// many reporters); Reports is how many cases a primary case stands for.
	Incident string `json:"incident,omitempty"`
	Reports  int    `json:"reports,omitempty"`
}

// Satisfaction verdicts.
const (
	VerdictFixed    = "fixed"
	VerdictNotFixed = "not_fixed"
)

// Age is how long the case has existed at now, rounded for display.
func (e Escalation) Age(now time.Time) time.Duration {
	return now.Sub(e.CreatedAt).Round(time.Minute)
}

// Title is what a card is headed with: the summary, or for an incident
// "Wi-Fi at Lincoln MS — 5 reports".
func (e Escalation) Title() string {
	if e.Reports > 1 {
		return fmt.Sprintf("%s at %s — %d reports", e.Topic, e.Building, e.Reports)
	}
	return e.Summary
}

// StatusText says where the case stands, for card status lines:
// "claimed by Alex Chen", "resolved by Alex Chen · requester confirmed fixed".
// Edges may decorate it (emoji, capitals) but should not re-derive it.
func (e Escalation) StatusText() string {
	switch e.Status {
	case StatusClaimed:
		return "claimed by " + e.Claimer.Display()
	case StatusResolved:
		s := "resolved by " + e.Claimer.Display()
		switch e.Satisfaction {
		case VerdictFixed:
			s += " · requester confirmed fixed"
		case VerdictNotFixed:
			s += " · requester says still broken"
		}
		return s
	case StatusCancelled:
		return "cancelled by the requester"
	}
	if e.Satisfaction == VerdictNotFixed {
		return "reopened: requester says still broken · waiting for a tech"
	}
	return "waiting for a tech"
}

// Headline is a one-line description used in lists and notices.
func (e Escalation) Headline() string {
	s := fmt.Sprintf("%s · %s", e.ID, e.Summary)
	if e.Location != "" {
		s += " · " + e.Location
	}
	return s
}

// Ago renders a duration as "just now" or "4 min ago".
func Ago(d time.Duration) string {
	if d < time.Minute {
		return "just now"
	}
	return FormatAge(d) + " ago"
}

// FormatAge renders a duration the way people say it: "4 min", "2 h 5 min".
func FormatAge(d time.Duration) string {
	if d < time.Minute {
		return "just now"
	}
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	switch {
	case h >= 48:
		return fmt.Sprintf("%d days", h/24)
	case h > 0 && m > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case h > 0:
		return fmt.Sprintf("%d h", h)
	default:
		return fmt.Sprintf("%d min", m)
	}
}
