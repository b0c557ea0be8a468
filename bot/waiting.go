package bot

import (
	"context"
	"fmt"
	"time"
)

// A request waiting for "which building and room?" is sent anyway when
// the teacher does not answer: they asked for a tech, and walking back to
// the class must not leave the request unsent.

// placeWait is how long a request waits for its place before it goes.
const placeWait = 10 * time.Minute

// Waiting is an optional Store ability: conversations with a request
// waiting for its place, by when it is due to go without one.
type Waiting interface {
	MarkWaiting(ctx context.Context, session string, due time.Time) error
	// TakeWaiting removes the mark and reports whether this caller removed
	// it: of a reply and the sweep, exactly one files the request.
	TakeWaiting(ctx context.Context, session string) (bool, error)
	DueWaiting(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// PendingOrigin is where a waiting request came from, so the sweep can
// file it and tell the requester without a message to answer.
type PendingOrigin struct {
	Platform     string `json:"platform"`
	Conversation string `json:"conversation"`
	Thread       string `json:"thread,omitempty"`
	Ref          string `json:"ref,omitempty"`
	From         Person `json:"from"`
}

func (d *Desk) markWaiting(ctx context.Context, sess *Session, o origin) {
	w, ok := d.store.(Waiting)
	if !ok || sess.Pending == nil {
		return
	}
	sess.Pending.Origin = &PendingOrigin{o.Platform, o.Conversation, o.Thread, o.Ref, o.From}
	if err := w.MarkWaiting(ctx, sess.Key, d.now().Add(placeWait)); err != nil {
		d.log.Warn("could not mark request waiting", "session", sess.Key, "err", err)
	}
}

// takeWaiting claims the waiting request of sess for the caller; false
// means the sweep has taken it (it is being or has been filed).
func (d *Desk) takeWaiting(ctx context.Context, sess *Session) bool {
	w, ok := d.store.(Waiting)
	if !ok || sess.Pending == nil || sess.Pending.Origin == nil {
		return true
	}
	took, err := w.TakeWaiting(ctx, sess.Key)
	if err != nil {
		d.log.Warn("waiting mark lookup failed; filing from the reply", "session", sess.Key, "err", err)
		return true
	}
	return took
}

// FileWaiting sends the requests whose place question went unanswered,
// without a place, and tells each requester; it returns how many it sent.
// Several replicas may run it at once: each request is taken once.
func (d *Desk) FileWaiting(ctx context.Context) (int, error) {
	w, ok := d.store.(Waiting)
	if !ok {
		return 0, nil
	}
	due, err := w.DueWaiting(ctx, d.now(), 50)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, key := range due {
		if took, err := w.TakeWaiting(ctx, key); err != nil || !took {
			continue
		}
		sess, err := d.store.LoadSession(ctx, key)
		if err != nil || sess.State != StateAwaitingDetails || sess.Pending == nil || sess.Pending.Origin == nil {
			continue
		}
		sess.Key = key
		po, p := sess.Pending.Origin, *sess.Pending
		sess.State, sess.Pending = StateIdle, nil
		o := origin{po.Platform, po.Conversation, po.Thread, po.Ref, po.From}
		out := d.file(ctx, &sess, o, p)
		for _, r := range out {
			sess.addTurn("bot", turnSummary(r), d.now())
			if r.Kind != KindEscalated {
				continue
			}
			n++
			e, err := d.store.Escalation(ctx, r.EscalationID)
			if nt := d.notifier(o.Platform); err == nil && nt != nil {
				told := Reply{Kind: KindEscalated, EscalationID: e.ID, Text: fmt.Sprintf(textSentWithoutPlace, e.ID),
					Choices: []Choice{{Action: ActionCancelCase, Label: "Cancel request", Value: e.ID}}}
				if err := nt.Tell(ctx, e, told); err != nil {
					d.log.Warn("could not tell the requester", "case", e.ID, "err", err)
				}
			}
		}
		sess.UpdatedAt = d.now()
		if err := d.store.SaveSession(ctx, sess); err != nil {
			d.log.Warn("session save failed", "session", key, "err", err)
		}
	}
	return n, nil
}
