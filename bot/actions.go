package bot

import (
	"context"
	"errors"
	"fmt"
)

// Outcome is the result of a button press.
type Outcome struct {
	// Replies go to the conversation the button was in; Ephemeral ones are
	// shown to the person who pressed it only.
	Replies []Reply
	// Status replaces the buttons on the message that was pressed (so no
	// stale buttons remain); empty leaves that message as it is.
	Status string
	// Case is the case after a case action, for edges that must answer with
	// the updated card in the same HTTP response (Teams Action.Execute).
	Case *Escalation
}

// HandleAction runs a button press (or its typed equivalent). The actor is
// a.From, taken by the edge from the verified event, never from a.Value.
func (d *Desk) HandleAction(ctx context.Context, a Action) Outcome {
	switch a.Name {
	case ActionSolved:
		return d.solved(ctx, a)
	case ActionEscalate, ActionSeparate:
		return d.escalateAction(ctx, a)
	case ActionClaim, ActionResolve, ActionRelease:
		return d.techAction(ctx, a)
	case ActionFixed, ActionNotFixed:
		return d.verdict(ctx, a)
	case ActionCancelCase:
		return d.cancel(ctx, a)
	}
	return Outcome{Replies: []Reply{{Kind: KindNotice, Ephemeral: true, Text: "That button is no longer supported."}}}
}

func (d *Desk) solved(ctx context.Context, a Action) Outcome {
	sess, err := d.store.LoadSession(ctx, a.SessionKey())
	if err == nil && sess.Requester.ID != "" && sess.Requester.ID != a.From.ID {
		return Outcome{Replies: []Reply{{Kind: KindNotice, Ephemeral: true, Text: "Only the person who asked can mark this as fixed."}}}
	}
	if err == nil {
		sess.Key = a.SessionKey()
		sess.Answered = false
		sess.addTurn("requester", turnFixed, d.now())
		sess.UpdatedAt = d.now()
		if err := d.store.SaveSession(ctx, sess); err != nil {
			d.log.Warn("session save failed", "session", sess.Key, "err", err)
		}
	}
	d.emit(ctx, Event{Type: EventSolved, Platform: a.Platform, User: a.From.ID, Sources: sess.Offered})
	if err == nil && len(sess.Offered) > 0 {
		// The next problem starts afresh: its case lists only what was tried for it.
		sess.Offered = nil
		if err := d.store.SaveSession(ctx, sess); err != nil {
			d.log.Warn("session save failed", "session", sess.Key, "err", err)
		}
	}
	return Outcome{
		Status:  "✅ " + a.From.Display() + " said this fixed it.",
		Replies: []Reply{{Kind: KindNotice, Text: textGlad}},
	}
}

func (d *Desk) escalateAction(ctx context.Context, a Action) Outcome {
	sess, err := d.store.LoadSession(ctx, a.SessionKey())
	if err != nil {
		d.log.Warn("session load failed", "session", a.SessionKey(), "err", err)
	}
	if sess.Requester.ID != "" && sess.Requester.ID != a.From.ID {
		return Outcome{Replies: []Reply{{Kind: KindNotice, Ephemeral: true, Text: "Only the person who asked can send this to a tech. Ask your own question and I'll help."}}}
	}
	sess.Key = a.SessionKey()
	if sess.Requester.ID == "" {
		sess.Requester = a.From
	}
	reason := ReasonRequested
	if sess.Answered {
		reason = ReasonStillBroken
	}
	o := origin{a.Platform, a.Conversation, a.Thread, a.Ref, a.From}
	var replies []Reply
	if a.Name == ActionSeparate && a.EscalationID == sess.Case {
		// "Separate request" under an addition to the open case (a stale
		// button, for a case no longer this conversation's, asks for a
		// tech as usual).
		replies = d.separately(ctx, &sess, o)
	} else {
		replies = d.escalate(ctx, &sess, o, reason, PriorityNormal, "")
	}
	for _, r := range replies {
		sess.addTurn("bot", turnSummary(r), d.now())
	}
	sess.UpdatedAt = d.now()
	if err := d.store.SaveSession(ctx, sess); err != nil {
		d.log.Warn("session save failed", "session", sess.Key, "err", err)
	}
	status := "🙋 " + a.From.Display() + " asked for a tech."
	for _, r := range replies {
		if r.Kind == KindError {
			status = ""
		}
	}
	return Outcome{Status: status, Replies: replies}
}

// techAction claims, resolves or releases a case, atomically.
func (d *Desk) techAction(ctx context.Context, a Action) Outcome {
	if !d.isTech(ctx, a.Platform, a.From) {
		return refusal("Only the IT team can claim or close cases. If you need help, ask me your question and choose *Get a tech*.")
	}
	if a.EscalationID == "" {
		return refusal("Which case? Give its id, for example IT-1042.")
	}
	now := d.now()
	var (
		e     Escalation
		err   error
		first = true
	)
	switch a.Name {
	case ActionClaim:
		e, first, err = d.store.Claim(ctx, a.EscalationID, a.From, now)
	case ActionRelease:
		e, err = d.store.Release(ctx, a.EscalationID, a.From, now)
	case ActionResolve:
		e, err = d.store.Resolve(ctx, a.EscalationID, a.From, now)
	}
	if err != nil {
		return d.caseError(ctx, a, err)
	}
	n := d.notifier(e.Platform)
	var tell Reply
	var ev EventType
	switch a.Name {
	case ActionClaim:
		ev = EventClaimed
		tell = Reply{Kind: KindNotice, EscalationID: e.ID,
			Text: fmt.Sprintf("%s from the IT team has your request %s and will contact you shortly.", e.Claimer.Display(), e.ID)}
	case ActionRelease:
		ev = EventReleased
		tell = Reply{Kind: KindNotice, EscalationID: e.ID,
			Text: fmt.Sprintf("Your request %s is back in the queue; the next available tech will pick it up.", e.ID)}
	case ActionResolve:
		ev = EventResolved
		tell = Reply{Kind: KindNotice, EscalationID: e.ID,
			Text: fmt.Sprintf("%s marked your request %s as resolved. Is it fixed?", e.Claimer.Display(), e.ID),
			Choices: []Choice{
				{Action: ActionFixed, Label: "Yes, it's fixed", Value: e.ID, Style: "primary"},
				{Action: ActionNotFixed, Label: "No, still broken", Value: e.ID},
			}}
	}
	if n != nil {
		if err := n.UpdateCard(ctx, e); err != nil {
			d.log.Warn("card update failed", "case", e.ID, "err", err)
		}
	}
	if !first {
		// The same tech pressed Claim again (double click, retry): success,
		// but the requester was already told.
		return Outcome{Case: &e, Replies: []Reply{{Kind: KindNotice, Ephemeral: true, EscalationID: e.ID, Text: fmt.Sprintf("You already have %s.", e.ID)}}}
	}
	d.emit(ctx, Event{Type: ev, Platform: a.Platform, User: a.From.ID, Case: &e})
	d.followIncident(ctx, a.Name, e, a.From)
	if n != nil {
		if err := n.Tell(ctx, e, tell); err != nil {
			d.log.Warn("could not notify requester", "case", e.ID, "err", err)
		}
		if h, ok := n.(HandOffer); ok && a.Name == ActionClaim {
			if err := h.HandOff(ctx, e); err != nil {
				d.log.Warn("hand-off failed", "case", e.ID, "err", err)
			}
		}
	}
	var msg string
	switch a.Name {
	case ActionClaim:
		msg = fmt.Sprintf("You have %s. %s has been told you're coming.", e.ID, e.Requester.Display())
	case ActionRelease:
		msg = fmt.Sprintf("%s is back in the queue.", e.ID)
	case ActionResolve:
		msg = fmt.Sprintf("%s is resolved. %s has been asked to confirm it's fixed.", e.ID, e.Requester.Display())
	}
	return Outcome{Case: &e, Replies: []Reply{{Kind: KindNotice, Ephemeral: true, EscalationID: e.ID, Text: msg}}}
}

func (d *Desk) caseError(ctx context.Context, a Action, err error) Outcome {
	id := a.EscalationID
	cur, lookErr := d.store.Escalation(ctx, id)
	var c *Escalation
	if lookErr == nil {
		c = &cur
	}
	out := func(text string) Outcome {
		o := refusal(text)
		o.Case = c
		return o
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return refusal(fmt.Sprintf("I can't find case %s. It may have expired or the id may be mistyped.", id))
	case errors.Is(err, ErrAlreadyClaimed):
		return out(fmt.Sprintf("%s was already claimed by %s.", id, cur.Claimer.Display()))
	case errors.Is(err, ErrClosed):
		return out(fmt.Sprintf("%s is already closed.", id))
	case errors.Is(err, ErrNotClaimer):
		return out(fmt.Sprintf("%s is claimed by %s; only they can do that.", id, cur.Claimer.Display()))
	}
	d.log.Error("case action failed", "case", id, "action", a.Name, "err", err)
	return refusal("I couldn't update that case just now; please try again in a minute.")
}

// verdict records the requester's answer to "is it fixed?". Not fixed
// reopens the case and puts it back in front of the techs.
func (d *Desk) verdict(ctx context.Context, a Action) Outcome {
	e, err := d.store.Escalation(ctx, a.EscalationID)
	if err != nil {
		return d.caseError(ctx, a, err)
	}
	if e.Requester.ID != a.From.ID {
		return refusal("Only the person who asked for help can answer this.")
	}
	if e.Satisfaction != "" || e.Status != StatusResolved {
		// Answered already (by button or in words), or reopened since: an
		// old "Is it fixed?" button must not reopen or confirm twice.
		return Outcome{Replies: []Reply{{Kind: KindNotice, Ephemeral: true, EscalationID: e.ID,
			Text: fmt.Sprintf("Thanks, I already have your answer for %s (%s).", e.ID, e.StatusText())}}}
	}
	now := d.now()
	v := VerdictFixed
	if a.Name == ActionNotFixed {
		v = VerdictNotFixed
	}
	if err := d.store.SetSatisfaction(ctx, e.ID, v, now); err != nil {
		return d.caseError(ctx, a, err)
	}
	e.Satisfaction = v
	d.emit(ctx, Event{Type: EventSatisfaction, Platform: a.Platform, User: a.From.ID, Case: &e, Verdict: v})
	if v == VerdictFixed {
		return Outcome{Status: "✅ Confirmed fixed.", Replies: []Reply{{Kind: KindNotice, Text: "Thanks for confirming. Glad it's sorted!"}}, Case: &e}
	}
	re, err := d.store.Reopen(ctx, e.ID, now)
	if err != nil {
		return d.caseError(ctx, a, err)
	}
	d.emit(ctx, Event{Type: EventReopened, Platform: a.Platform, User: a.From.ID, Case: &re})
	if inc, ok := d.store.(Incidents); ok && re.Incident != "" {
		// The outage was fixed but not for this reporter: their case
		// stands on its own again, with a card of its own.
		if err := inc.UnlinkCase(ctx, re.ID, now); err != nil {
			d.log.Warn("could not ungroup case", "case", re.ID, "err", err)
		}
		re.Incident = ""
		d.announce(ctx, re)
	} else if n := d.notifier(re.Platform); n != nil {
		if err := n.UpdateCard(ctx, re); err != nil {
			d.log.Warn("card update failed", "case", re.ID, "err", err)
		}
	}
	return Outcome{Status: "↩️ Still broken: reopened.", Case: &re, Replies: []Reply{{Kind: KindNotice, EscalationID: re.ID,
		Text: fmt.Sprintf("Sorry about that. I've reopened %s and put it back in front of the tech team.", re.ID)}}}
}

// cancel lets the requester withdraw a case they no longer need.
func (d *Desk) cancel(ctx context.Context, a Action) Outcome {
	e, err := d.store.Escalation(ctx, a.EscalationID)
	if err != nil {
		return d.caseError(ctx, a, err)
	}
	if e.Requester.ID != a.From.ID {
		return refusal("Only the person who asked for help can cancel the request.")
	}
	c, err := d.store.Cancel(ctx, e.ID, d.now())
	if err != nil {
		return d.caseError(ctx, a, err)
	}
	d.emit(ctx, Event{Type: EventCancelled, Platform: a.Platform, User: a.From.ID, Case: &c})
	d.dissolve(ctx, c)
	if n := d.notifier(c.Platform); n != nil {
		if err := n.UpdateCard(ctx, c); err != nil {
			d.log.Warn("card update failed", "case", c.ID, "err", err)
		}
	}
	return Outcome{Status: "Request " + c.ID + " cancelled.", Case: &c,
		Replies: []Reply{{Kind: KindNotice, EscalationID: c.ID, Text: fmt.Sprintf("OK, I've cancelled %s and told the tech team.", c.ID)}}}
}

func refusal(text string) Outcome {
	return Outcome{Replies: []Reply{{Kind: KindNotice, Ephemeral: true, Text: text}}}
}

// Queue lists open cases, oldest first, for techs.
func (d *Desk) Queue(ctx context.Context, platform string, p Person) ([]Escalation, error) {
	if !d.isTech(ctx, platform, p) {
		return nil, ErrNotTech
	}
	return d.store.OpenEscalations(ctx, 50)
}

// MyCases lists a requester's own cases (newest first).
func (d *Desk) MyCases(ctx context.Context, platform string, p Person) ([]Escalation, error) {
	return d.store.RequesterEscalations(ctx, platform, p.ID, 20)
}

// ErrNotTech is returned to non-techs asking for tech-only views.
var ErrNotTech = errors.New("only the IT team can do that")
