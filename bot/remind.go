package bot

import (
	"context"
	"fmt"
	"time"
)

// RemindUnclaimed puts every case that has waited too long unclaimed back in
// front of the techs: after Policy.RemindAfter (RemindUrgentAfter when
// urgent), then again every interval. Several replicas may call it on the
// same tick: each reminder is claimed once in the Store, so the techs see it
// once. Outside support hours nobody is there to see it, so it waits for
// the desk to open. It returns how many cases were reminded.
func (d *Desk) RemindUnclaimed(ctx context.Context) (int, error) {
	now := d.now()
	if !d.schedule.Open(now) {
		return 0, nil
	}
	open, err := d.store.OpenEscalations(ctx, 200)
	if err != nil {
		return 0, fmt.Errorf("remind: %w", err)
	}
	n := 0
	for _, e := range open {
		if e.Status != StatusOpen || e.Incident != "" {
			continue
		}
		every := d.policy.RemindAfter
		if e.Priority == PriorityUrgent {
			every = d.policy.RemindUrgentAfter
		}
		round := int(now.Sub(e.CreatedAt) / every)
		if round < 1 {
			continue
		}
		first, err := d.store.Once(ctx, fmt.Sprintf("remind:%s:%d", e.ID, round), 2*every)
		if err != nil || !first {
			continue
		}
		d.remind(ctx, e)
		n++
	}
	return n, nil
}

func (d *Desk) remind(ctx context.Context, e Escalation) {
	n := d.notifier(e.Platform)
	if n == nil {
		return
	}
	urgent := e.Priority == PriorityUrgent
	var (
		card string
		err  error
	)
	if r, ok := n.(Reminder); ok {
		card, err = r.Remind(ctx, e, urgent)
	} else {
		card, err = n.Announce(ctx, e)
	}
	if err != nil {
		d.log.Warn("reminder failed", "case", e.ID, "err", err)
		return
	}
	if card != "" && card != e.Card {
		if err := d.store.SetCard(ctx, e.ID, card); err != nil {
			d.log.Warn("could not store card reference", "case", e.ID, "err", err)
		}
	}
	d.emit(ctx, Event{Type: EventReminded, Platform: e.Platform, Case: &e})
}

// RunReminders calls RemindUnclaimed and FileWaiting every tick until ctx
// ends. The tick
// channel is injected so tests drive it without waiting.
func (d *Desk) RunReminders(ctx context.Context, tick <-chan time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			if _, err := d.RemindUnclaimed(ctx); err != nil {
				d.log.Warn("reminders skipped this round", "err", err)
			}
			if _, err := d.FileWaiting(ctx); err != nil {
				d.log.Warn("waiting requests not swept this round", "err", err)
			}
		}
	}
}
