package bot

import (
	"context"
	"time"
)

// EventType names something that happened at the desk.
type EventType string

const (
	EventAsked        EventType = "asked"        // a question reached the desk
	EventAnswered     EventType = "answered"     // confident answer given
	EventNotSure      EventType = "not_sure"     // the KB did not cover it
	EventSolved       EventType = "solved"       // requester: that fixed it
	EventPolicy       EventType = "policy"       // fixed refusal given
	EventEscalated    EventType = "escalated"    // case filed
	EventClaimed      EventType = "claimed"      // a tech took it
	EventReleased     EventType = "released"     // back to the queue
	EventResolved     EventType = "resolved"     // tech closed it
	EventReopened     EventType = "reopened"     // requester says still broken
	EventCancelled    EventType = "cancelled"    // requester withdrew it
	EventSatisfaction EventType = "satisfaction" // requester answered "is it fixed?"
	EventFileFailed   EventType = "file_failed"  // could not file a case (store down)
	EventReminded     EventType = "reminded"     // an unclaimed case was put in front of the techs again
	EventGrouped      EventType = "grouped"      // a case joined an incident (one outage, many reports)
)

// Event is what observers (stats, metrics, ticketing webhook) see. It never
// carries message text, except Question on EventNotSure: the redacted
// question the KB could not answer, which tells the team what to write next.
type Event struct {
	Type       EventType
	At         time.Time
	Platform   string
	User       string // platform user id of whoever acted
	Case       *Escalation
	Sources    []Source
	Confidence float64
	Question   string
	Verdict    string // satisfaction verdict
}

// Observer is told about events. Observe must be quick and must not fail the
// conversation: log and move on.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

func (d *Desk) emit(ctx context.Context, e Event) {
	if e.At.IsZero() {
		e.At = d.now()
	}
	for _, o := range d.observers {
		o.Observe(ctx, e)
	}
}
