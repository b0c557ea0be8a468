package bot

// While a requester has a case open, what they say is read against it: an
// answer to "Is it fixed?", more about the problem for the tech, a place,
// or a wish to withdraw it (flow.go decides which applies).

import (
	"context"
	"fmt"
)

// typedVerdict answers "Is it fixed?" typed instead of pressed ("yes",
// "no", "still not working", "that fixed it") for the person's case the
// tech has just resolved and nobody has answered for yet: it confirms or
// reopens that case rather than filing a new one.
func (d *Desk) typedVerdict(ctx context.Context, sess *Session, m Message, text string) ([]Reply, bool) {
	var name string
	switch {
	case stillBroken(text) || isNo(text) || saysNoMore(text):
		name = ActionNotFixed
	case isSolved(text) || isThanks(text) || isYes(text) || saysYesMore(text):
		name = ActionFixed
	default:
		return nil, false
	}
	e, err := d.store.Escalation(ctx, sess.Case)
	if err != nil || e.Status != StatusResolved || e.Satisfaction != "" || e.Requester.ID != m.From.ID {
		return nil, false
	}
	out := d.verdict(ctx, Action{Platform: m.Platform, Conversation: m.Conversation, Thread: m.Thread,
		From: m.From, Name: name, EscalationID: e.ID, Ref: m.Ref})
	if name == ActionNotFixed && out.Case != nil && !out.Case.Status.Closed() && saysProblem(text) {
		// "no, it still has a crack": what is still wrong goes on the
		// reopened case for the tech.
		d.note(ctx, *out.Case, text)
	}
	return out.Replies, true
}

// addToCase puts what the person says while their case is open on the
// case, so the tech reads it on the card instead of asking again ("also
// it's beeping"), and still answers from the KB when it can.
func (d *Desk) addToCase(ctx context.Context, sess *Session, m Message, text string) ([]Reply, bool) {
	e, err := d.store.Escalation(ctx, sess.Case)
	if err != nil || e.Status.Closed() || e.Requester.ID != m.From.ID {
		return nil, false // a tech or a colleague in the thread is not the requester
	}
	if r, ok := d.placeCase(ctx, sess, m, e, text); ok {
		return r, true
	}
	topic := Topic(text)
	if topic != "" && e.Topic != "" && topic != e.Topic {
		// With two requests open (printer, then email), more about the
		// printer goes to the printer one.
		if other, ok := d.openCaseAbout(ctx, m, topic); ok {
			e = other
		}
	}
	e, urgent, err := d.note(ctx, e, text)
	if err != nil {
		return nil, false
	}
	added := "I've added that to %s, so the tech sees it (%s)."
	if urgent {
		added = "I've added that to %s and marked it urgent, so the tech sees it (%s)."
	}
	out := []Reply{{Kind: KindNotice, EscalationID: e.ID, Text: fmt.Sprintf(added, e.ID, statusWords(e))}}
	if topic != "" && e.Topic != "" && topic != e.Topic {
		// "also my email isn't syncing" on a projector case: the tech
		// sees it either way, but a problem of its own may want a case
		// of its own, which the person decides.
		out[0].Text += " " + fmt.Sprintf(textSeparate, e.ID)
		out[0].Choices = []Choice{{Action: ActionSeparate, Label: "Separate request", Value: e.ID}}
	}
	audience := AudienceStaff
	if d.isTech(ctx, m.Platform, m.From) {
		audience = AudienceTech
	}
	ans, err := d.answerer.Answer(ctx, Question{Text: searchText(text, d.policy.Buildings), Audience: audience, History: sess.Turns})
	if err == nil && ans.Confident && !ans.NotCovered && ans.Text != "" {
		sess.offer(ans.Sources)
		d.emit(ctx, Event{Type: EventAnswered, Platform: m.Platform, User: m.From.ID, Sources: ans.Sources, Confidence: ans.Confidence})
		out = append(out, Reply{Kind: KindAnswer, Text: textMeanwhile + "\n\n" + ans.Text, Sources: ans.Sources})
	}
	return out, true
}

// openCaseAbout is the person's open case about topic, if they have one.
func (d *Desk) openCaseAbout(ctx context.Context, m Message, topic string) (Escalation, bool) {
	list, err := d.store.RequesterEscalations(ctx, m.Platform, m.From.ID, 10)
	if err != nil {
		d.log.Warn("open cases lookup failed", "user", m.From.ID, "err", err)
		return Escalation{}, false
	}
	for _, e := range list {
		if e.Topic == topic && !e.Status.Closed() {
			return e, true
		}
	}
	return Escalation{}, false
}

// placeCase handles a message that only says where ("I'm in Lincoln MS
// room 12") sent after the case was filed: the case's place is updated
// (and remembered for next time) rather than added as a note.
func (d *Desk) placeCase(ctx context.Context, sess *Session, m Message, e Escalation, text string) ([]Reply, bool) {
	loc := placeOnly(text, d.policy.Buildings)
	if loc == "" {
		return nil, false
	}
	p := mergePlace(Place{Location: e.Location, Building: e.Building}, loc, d.policy.Buildings)
	if err := d.store.SetPlace(ctx, e.ID, p, d.now()); err != nil {
		d.log.Warn("could not update the case's place", "case", e.ID, "err", err)
		return nil, false
	}
	e.Location, e.Building = p.Location, p.Building
	sess.Location, sess.Building = p.Location, p.Building
	d.rememberPlace(ctx, m.origin(), sess)
	if n := d.notifier(e.Platform); n != nil && e.Card != "" {
		if err := n.UpdateCard(ctx, e); err != nil {
			d.log.Warn("card update failed", "case", e.ID, "err", err)
		}
	}
	return []Reply{{Kind: KindNotice, EscalationID: e.ID,
		Text: fmt.Sprintf("Thanks. I've updated %s: the tech will come to %s (%s).", e.ID, p.Location, statusWords(e))}}, true
}

// note puts what the requester said onto their open case e and shows the
// techs: the card is redrawn, the outage it is grouped under gets a copy,
// and urgent words make the case urgent (reported by marked).
func (d *Desk) note(ctx context.Context, e Escalation, text string) (_ Escalation, marked bool, _ error) {
	e, err := d.store.AddNote(ctx, e.ID, Turn{Who: "requester", Text: capRunes(text, 300), At: d.now()})
	if err != nil {
		d.log.Warn("could not add to case", "case", e.ID, "err", err)
		return e, false, err
	}
	if e.Priority != PriorityUrgent && isUrgent(text) {
		if err := d.store.SetUrgent(ctx, e.ID, d.now()); err != nil {
			d.log.Warn("could not mark case urgent", "case", e.ID, "err", err)
		} else {
			e.Priority = PriorityUrgent
			marked = true
		}
	}
	if n := d.notifier(e.Platform); n != nil && e.Card != "" {
		if err := n.UpdateCard(ctx, e); err != nil {
			d.log.Warn("card update failed", "case", e.ID, "err", err)
		}
	}
	if e.Incident != "" {
		d.noteIncident(ctx, e, text)
	}
	return e, marked, nil
}

// noteIncident copies what a reporter added to their report onto the
// outage it is grouped under: the techs work from the incident's card, not
// from each report's. An urgent addition makes the incident urgent. The
// copy leaves the incident with the report (Incidents.UnlinkCase).
func (d *Desk) noteIncident(ctx context.Context, report Escalation, text string) {
	note := Turn{Who: "requester", Report: report.ID, From: report.Requester.Display(), Text: capRunes(text, 300), At: d.now()}
	p, err := d.store.AddNote(ctx, report.Incident, note)
	if err != nil {
		d.log.Warn("could not add to incident", "case", report.ID, "incident", report.Incident, "err", err)
		return
	}
	if p.Priority != PriorityUrgent && isUrgent(text) {
		if err := d.store.SetUrgent(ctx, p.ID, d.now()); err != nil {
			d.log.Warn("could not mark incident urgent", "incident", p.ID, "err", err)
		} else {
			p.Priority = PriorityUrgent
		}
	}
	if n := d.notifier(p.Platform); n != nil && p.Card != "" {
		if err := n.UpdateCard(ctx, p); err != nil {
			d.log.Warn("card update failed", "case", p.ID, "err", err)
		}
	}
}

// solvedWithCaseOpen answers "it works now" typed while the person's case
// is still open: the case stays (a tech may be on the way, and only the
// person decides), with the button that cancels it.
func (d *Desk) solvedWithCaseOpen(ctx context.Context, sess *Session) ([]Reply, bool) {
	return d.openCaseOffer(ctx, sess, "Glad it's working! "+textCancelOffer)
}

// openCaseOffer reminds the person of their open case with the button that
// withdraws it; text has a %s for the case id. It is false when no case of
// theirs is open.
func (d *Desk) openCaseOffer(ctx context.Context, sess *Session, text string) ([]Reply, bool) {
	if sess.Case == "" {
		return nil, false
	}
	e, err := d.store.Escalation(ctx, sess.Case)
	if err != nil || e.Status.Closed() {
		return nil, false
	}
	return []Reply{{Kind: KindNotice, EscalationID: e.ID,
		Text:    fmt.Sprintf(text, e.ID),
		Choices: []Choice{{Action: ActionCancelCase, Label: "Cancel request", Value: e.ID}},
	}}, true
}
