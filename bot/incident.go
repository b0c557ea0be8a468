package bot

import (
	"context"
	"fmt"
	"time"
)

// Incidents is an optional Store ability: several cases about one outage
// grouped under a primary case, so the techs see one card ("Wi-Fi at
// Lincoln MS — 5 reports") and every reporter hears when it is fixed.
type Incidents interface {
	// LinkCase puts case id under primary and returns how many reports
	// the primary now stands for (itself included). A linked case leaves
	// the open queue; it follows its primary.
	LinkCase(ctx context.Context, primary, id string, at time.Time) (reports int, err error)
	// UnlinkCase makes a linked case stand on its own again (back in the
	// queue), e.g. when its reporter says the fix did not work for them.
	UnlinkCase(ctx context.Context, id string, at time.Time) error
	// LinkedCases lists the cases grouped under primary.
	LinkedCases(ctx context.Context, primary string) ([]Escalation, error)
}

// group attaches a new case to an incident when enough reports of the same
// problem come from one building: an existing incident is joined whenever
// it is still open; a new one forms when IncidentReports cases arrive
// within IncidentWindow. It returns the reply for the requester when the
// case was grouped (then no card of its own is posted).
func (d *Desk) group(ctx context.Context, e Escalation) (Reply, bool) {
	inc, ok := d.store.(Incidents)
	if !ok || d.policy.IncidentOff || e.Building == "" || e.Topic == "" {
		return Reply{}, false
	}
	open, err := d.store.OpenEscalations(ctx, 200)
	if err != nil {
		return Reply{}, false
	}
	var (
		primary *Escalation
		recent  []Escalation
	)
	for _, o := range open {
		if o.ID == e.ID || o.Topic != e.Topic || !sameBuilding(o.Building, e.Building) {
			continue
		}
		if o.Reports > 1 {
			primary = &o
			break
		}
		if e.CreatedAt.Sub(o.CreatedAt) <= d.policy.IncidentWindow {
			recent = append(recent, o)
		}
	}
	now := d.now()
	var joined []Escalation
	if primary == nil {
		if len(recent)+1 < d.policy.IncidentReports {
			return Reply{}, false
		}
		primary = &recent[0] // oldest first
		joined = recent[1:]
	}
	for _, o := range append(joined, e) {
		if _, err := inc.LinkCase(ctx, primary.ID, o.ID, now); err != nil {
			d.log.Warn("could not group case", "case", o.ID, "incident", primary.ID, "err", err)
			return Reply{}, false
		}
		if primary.Status == StatusClaimed {
			// The tech on the outage is on every report of it.
			d.store.Claim(ctx, o.ID, primary.Claimer, now)
		}
	}
	p, err := d.store.Escalation(ctx, primary.ID)
	if err == nil {
		primary = &p
	}
	n := d.notifier(primary.Platform)
	if n != nil {
		if err := n.UpdateCard(ctx, *primary); err != nil {
			d.log.Warn("card update failed", "case", primary.ID, "err", err)
		}
	}
	for _, o := range joined {
		// Their own cards now say where the work is tracked.
		if c, err := d.store.Escalation(ctx, o.ID); err == nil {
			if on := d.notifier(c.Platform); on != nil {
				on.UpdateCard(ctx, c)
			}
		}
	}
	d.emit(ctx, Event{Type: EventGrouped, Platform: e.Platform, User: e.Requester.ID, Case: &e})

	text := fmt.Sprintf("This looks like a problem the tech team already knows about: %s (%s). I've added your report as %s and I'll tell you here when it's fixed.",
		primary.Title(), primary.ID, e.ID)
	if primary.Status == StatusClaimed {
		text += fmt.Sprintf("\n%s is working on it.", primary.Claimer.Display())
	}
	return Reply{Kind: KindEscalated, Text: text, EscalationID: e.ID}, true
}

func sameBuilding(a, b string) bool {
	return a != "" && normalizeBuilding(a) == normalizeBuilding(b)
}

func normalizeBuilding(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			out = append(out, c)
		}
	}
	return string(out)
}

// followIncident applies a tech's claim, release or resolve on a primary
// case to the reports grouped under it and tells each reporter.
func (d *Desk) followIncident(ctx context.Context, action string, primary Escalation, tech Person) {
	_, linked := d.openReports(ctx, primary)
	now := d.now()
	for _, l := range linked {
		var (
			c    Escalation
			err  error
			tell *Reply
		)
		switch action {
		case ActionClaim:
			c, _, err = d.store.Claim(ctx, l.ID, tech, now)
			tell = &Reply{Kind: KindNotice, EscalationID: l.ID,
				Text: fmt.Sprintf("%s from the IT team is working on %s (your report %s).", tech.Display(), primary.Title(), l.ID)}
		case ActionRelease:
			c, err = d.store.Release(ctx, l.ID, tech, now)
		case ActionResolve:
			c, err = d.store.Resolve(ctx, l.ID, tech, now)
			tell = &Reply{Kind: KindNotice, EscalationID: l.ID,
				Text: fmt.Sprintf("%s has fixed %s (your report %s). Is it working for you now?", tech.Display(), primary.Title(), l.ID),
				Choices: []Choice{
					{Action: ActionFixed, Label: "Yes, it's fixed", Value: l.ID, Style: "primary"},
					{Action: ActionNotFixed, Label: "No, still broken", Value: l.ID},
				}}
		}
		if err != nil {
			d.log.Warn("could not update grouped case", "case", l.ID, "incident", primary.ID, "err", err)
			continue
		}
		if tell != nil {
			if n := d.notifier(c.Platform); n != nil {
				if err := n.Tell(ctx, c, *tell); err != nil {
					d.log.Warn("could not notify reporter", "case", c.ID, "err", err)
				}
			}
		}
	}
}

// dissolve puts the reports grouped under a primary that is going away
// (its own reporter cancelled it) back in the queue, each with its own card,
// so no report is left stranded out of sight.
func (d *Desk) dissolve(ctx context.Context, primary Escalation) {
	inc, linked := d.openReports(ctx, primary)
	now := d.now()
	for _, l := range linked {
		if err := inc.UnlinkCase(ctx, l.ID, now); err != nil {
			d.log.Warn("could not ungroup case", "case", l.ID, "err", err)
			continue
		}
		l.Incident = ""
		d.announce(ctx, l)
	}
}

// openReports lists the still-open cases grouped under primary (none when
// the store cannot group or primary is a single report).
func (d *Desk) openReports(ctx context.Context, primary Escalation) (Incidents, []Escalation) {
	inc, ok := d.store.(Incidents)
	if !ok || primary.Reports < 2 {
		return nil, nil
	}
	linked, err := inc.LinkedCases(ctx, primary.ID)
	if err != nil {
		d.log.Warn("could not load grouped cases", "incident", primary.ID, "err", err)
		return nil, nil
	}
	open := linked[:0]
	for _, l := range linked {
		if !l.Status.Closed() {
			open = append(open, l)
		}
	}
	return inc, open
}
