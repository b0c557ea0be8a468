package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// escalate decides to hand the conversation to a person. It asks once for
// building and room when they are not known yet, then files the case.
func (d *Desk) escalate(ctx context.Context, sess *Session, o origin, reason Reason, prio Priority, text string) []Reply {
	if sess.Case != "" {
		if e, err := d.store.Escalation(ctx, sess.Case); err == nil && !e.Status.Closed() {
			return []Reply{d.alreadyFiled(ctx, sess, o, e)}
		}
	}
	return d.escalateAs(ctx, sess, o, reason, prio, text, summarize(sess, text))
}

// separately files what the person last said as a case of its own while
// another of theirs is open (they pressed "Separate request": a different
// problem, for which a tech may come separately).
func (d *Desk) separately(ctx context.Context, sess *Session, o origin) []Reply {
	problem := lastProblem(sess)
	if problem == "" {
		problem = "Asked for a tech"
	}
	sess.Case = ""
	return d.escalateAs(ctx, sess, o, ReasonRequested, d.priorityOf(problem), "", capRunes(problemWords(problem), 140))
}

// escalateAs files a case with the given problem line, asking for the place
// first when it is not known yet.
func (d *Desk) escalateAs(ctx context.Context, sess *Session, o origin, reason Reason, prio Priority, text, summary string) []Reply {
	d.learnDetails(sess, text)
	for _, t := range sess.Turns {
		if t.Who == "requester" {
			d.learnDetails(sess, t.Text)
		}
	}
	pending := &PendingCase{Reason: reason, Priority: prio, Summary: summary}
	if !sess.AskedDetail && (sess.Location == "" || d.needsBuilding(sess)) && prio == PriorityUrgent {
		return d.fileThenAskPlace(ctx, sess, o, *pending)
	}
	if !sess.AskedDetail && (sess.Location == "" || d.needsBuilding(sess)) {
		sess.AskedDetail = true
		sess.State = StateAwaitingDetails
		sess.Pending = pending
		d.markWaiting(ctx, sess, o)
		text := textAskLocation
		if sess.Location != "" {
			text = fmt.Sprintf(textAskBuilding, sess.Location)
		} else if p, ok := d.lastPlace(ctx, o); ok {
			pending.LastPlace = &p
			text = fmt.Sprintf(textAskSamePlace, p.Location)
		}
		return []Reply{{Kind: KindAskLocation, Text: text}}
	}
	return d.file(ctx, sess, o, *pending)
}

// fileThenAskPlace files an urgent case at once, before anyone knows where
// it is: a class is stopped, and a teacher who walks away from the chat
// after "which room?" must not leave the request unsent. The place their
// last request had is used when there is one; either way the reply asks
// for the place, and a message that gives it moves the case (placeCase).
func (d *Desk) fileThenAskPlace(ctx context.Context, sess *Session, o origin, p PendingCase) []Reply {
	sess.AskedDetail = true
	ask := textPlaceNow
	if sess.Location != "" {
		ask = fmt.Sprintf(textBuildingNow, sess.Location)
	} else if last, ok := d.lastPlace(ctx, o); ok {
		sess.Location, sess.Building = last.Location, last.Building
		ask = textLastPlaceUsed
	}
	out := d.file(ctx, sess, o, p)
	if len(out) == 1 && out[0].Kind == KindEscalated {
		out[0].Text += "\n" + ask
	}
	return out
}

// alreadyFiled answers a request for a tech while the person's case is
// open. What they last asked about goes onto that case when the case does
// not have it yet ("how do I reset his password" that the KB could not
// answer, then "Get a tech"): the same tech comes, and nothing is lost.
func (d *Desk) alreadyFiled(ctx context.Context, sess *Session, o origin, e Escalation) Reply {
	text := fmt.Sprintf("Your request %s is already with the tech team (%s). A tech will contact you here.", e.ID, statusWords(e))
	last := lastProblem(sess)
	if last == "" || e.Requester.ID != o.From.ID || slices.ContainsFunc(e.Transcript, func(t Turn) bool { return t.Text == capRunes(last, 300) }) {
		return Reply{Kind: KindNotice, EscalationID: e.ID, Text: text}
	}
	if e2, _, err := d.note(ctx, e, last); err == nil {
		text = fmt.Sprintf("Your request %s is already with the tech team (%s). I've added this to it, so the tech sees it too.", e2.ID, statusWords(e2))
	}
	return Reply{Kind: KindNotice, EscalationID: e.ID, Text: text}
}

// lastProblem is the requester's latest message that says something about
// a problem (not "get a tech", "thanks" or "still broken"), or "".
func lastProblem(sess *Session) string {
	for i := len(sess.Turns) - 1; i >= 0; i-- {
		t := sess.Turns[i]
		if t.Who != "requester" {
			continue
		}
		if saysProblem(t.Text) && !stillBroken(t.Text) && !(wantsPerson(t.Text) && len(t.Text) < 40) {
			return t.Text
		}
	}
	return ""
}

// requesterText is everything the requester said in the session, for
// classifying the problem.
func requesterText(sess *Session) string {
	var b strings.Builder
	for _, t := range sess.Turns {
		if t.Who == "requester" {
			b.WriteString(t.Text)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// file creates the case, posts the card and tells the requester its id.
func (d *Desk) file(ctx context.Context, sess *Session, o origin, p PendingCase) []Reply {
	now := d.now()
	e := Escalation{
		Status:       StatusOpen,
		Priority:     p.Priority,
		Reason:       p.Reason,
		Requester:    o.From,
		Platform:     o.Platform,
		Conversation: o.Conversation,
		Thread:       o.Thread,
		Ref:          o.Ref,
		Location:     sess.Location,
		Building:     sess.Building,
		Topic:        Topic(p.Summary + "\n" + requesterText(sess)),
		Device:       sess.Device,
		Summary:      p.Summary,
		Transcript:   excerpt(sess.Turns, 8),
		Articles:     append([]Source(nil), sess.Offered...),
		CreatedAt:    now,
	}
	if sess.Requester.ID != "" {
		e.Requester = sess.Requester
	}
	if t := d.schedule.Testing(now); t != "" && e.Priority != PriorityUrgent && deviceOrLogin(requesterText(sess)) {
		// On a testing day a device or login problem stops a student's test.
		e.Priority = PriorityUrgent
	}
	e.Brief = d.brief(ctx, sess.Turns)
	e, err := d.store.CreateEscalation(ctx, e)
	if err != nil {
		d.log.Error("could not file escalation", "session", sess.Key, "err", err)
		d.emit(ctx, Event{Type: EventFileFailed, Platform: o.Platform, User: o.From.ID})
		return []Reply{{Kind: KindError, Text: "I couldn't pass this to the tech team just now: our case system is having trouble. " + d.contactLine()}}
	}
	sess.Case = e.ID
	sess.Answered = false
	sess.Misses = 0
	d.rememberPlace(ctx, o, sess)
	d.emit(ctx, Event{Type: EventEscalated, Platform: o.Platform, User: o.From.ID, Case: &e})
	if known, ok := d.group(ctx, e); ok {
		return []Reply{known}
	}
	d.announce(ctx, e)

	prio := ""
	if e.Priority == PriorityUrgent {
		prio = " as urgent"
	}
	text := fmt.Sprintf("I've sent this to the tech team%s as %s. A tech will claim it and contact you here; you won't need to explain it again.", prio, e.ID)
	if e.Location != "" {
		text += "\nLocation: " + e.Location
	}
	if line := d.afterHoursLine(now); line != "" {
		text += "\n" + line
	} else if e.Priority == PriorityUrgent {
		text += "\nIf a class is stopped right now, you can also " + d.policy.Contact + "."
	}
	return []Reply{{
		Kind: KindEscalated, Text: text, EscalationID: e.ID,
		Choices: []Choice{{Action: ActionCancelCase, Label: "Cancel request", Value: e.ID}},
	}}
}

// announce posts the card; a failure leaves the case in the queue (the
// reminder loop re-announces it), so the requester's case is never lost.
func (d *Desk) announce(ctx context.Context, e Escalation) {
	n := d.notifier(e.Platform)
	if n == nil {
		d.log.Warn("no notifier for platform; case is in the queue only", "case", e.ID, "platform", e.Platform)
		return
	}
	card, err := n.Announce(ctx, e)
	if err != nil {
		d.log.Error("could not post escalation card", "case", e.ID, "err", err)
		return
	}
	if card != "" {
		if err := d.store.SetCard(ctx, e.ID, card); err != nil {
			d.log.Warn("could not store card reference", "case", e.ID, "err", err)
		}
	}
}

// summarize makes the one-line case summary (already redacted): see
// problemLine.
func summarize(sess *Session, text string) string {
	if line, _ := problemLine(sess.Turns, text); line != "" {
		return line
	}
	return "Asked for a tech"
}

// problemLine is what the person said the problem is, from turns and the
// message being handled (text, when not yet a turn), and the index of the
// turn its topic starts at. The conversation may hold problems already
// solved ("thanks", "That fixed it"): the line describes the latest one
// that says anything. "" when nothing does.
func problemLine(turns []Turn, text string) (string, int) {
	var parts, latest []string
	var asked string // "get a tech, I'm in room 210": the problem only if nothing else is
	start, latestStart := 0, 0
	n := 0
	add := func(t string) {
		t = problemWords(t)
		if t == "" || n >= summaryEnough || len(parts) == summaryTurns || !saysProblem(t) {
			return
		}
		if wantsPerson(t) {
			if asked == "" {
				asked = t
			}
			return
		}
		parts = append(parts, t)
		n += len([]rune(t))
	}
	cut := func(next int) {
		if len(parts) > 0 {
			latest, latestStart = parts, start
		}
		parts, n, start = nil, 0, next
	}
	for i, t := range turns {
		if t.Who != "requester" {
			continue
		}
		if isSolved(t.Text) || isThanks(t.Text) || t.Text == turnFixed {
			cut(i + 1)
			continue
		}
		add(t.Text)
	}
	if !slices.Contains(parts, problemWords(text)) {
		add(text)
	}
	cut(len(turns))
	if len(latest) == 0 && asked != "" {
		latest = []string{asked}
	}
	return capRunes(strings.Join(latest, " · "), 140), latestStart
}

// greetingRe is a greeting or a cry for help that opens a message ("hi,
// my projector…", "URGENT: …"; the card shows urgency on its own).
var greetingRe = prefilter.MustCompile(`(?i)^((hi there|hey there|hello there|good (morning|afternoon|evening)|hiya|hello|hey|hi|urgent|urgently|asap|emergency)\b[\s,!.:;-]*|(help|please help|sos)[!:,.;-]+\s*)+`)

// problemWords is a message as the problem line quotes it: spaces folded,
// an opening greeting or "URGENT" left out ("hi, my projector is dead" →
// "my projector is dead").
func problemWords(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	if rest := greetingRe.ReplaceAllString(t, ""); rest != "" {
		return rest
	}
	return t
}

// The problem line is the person's first words that describe the problem,
// joined with the next ones while they are short ("my projector" · "it
// says no signal"): never "hi", "no", "still broken" or "get a tech".
const (
	summaryEnough = 40 // characters after which one more turn is not needed
	summaryTurns  = 3
)

// saysProblem reports whether a requester's message describes the problem
// rather than steering the conversation.
func saysProblem(t string) bool {
	switch {
	case isGreeting(t), isThanks(t), isSkip(t), isCancel(t), isStatus(t), isYesNo(t), saysNothing(t):
		return false
	case wantsPerson(t) && len(t) < 40, stillBroken(t) && len(t) < 40:
		return false
	}
	return true
}

func excerpt(turns []Turn, n int) []Turn {
	if len(turns) > n {
		turns = turns[len(turns)-n:]
	}
	out := make([]Turn, len(turns))
	for i, t := range turns {
		t.Text = capRunes(t.Text, 300)
		out[i] = t
	}
	return out
}

func capRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
