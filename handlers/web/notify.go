package web

import (
	"context"
	"errors"

	"github.com/helpbot/helpbot/bot"
)

// Limits on what the playground keeps in memory; it is a local demo, and
// the cases themselves live in the Store with their TTLs.
const (
	maxEntries = 200 // per staff member
	maxCards   = 100
)

// Notifier is the web platform's bot.Notifier: cards go to every open tech
// view, Tell goes to the requester's chat.
type Notifier struct{ p *Playground }

var _ bot.Notifier = Notifier{}

// Notifier returns the playground's Notifier; register it for bot.PlatformWeb.
func (p *Playground) Notifier() Notifier { return Notifier{p: p} }

// Announce implements bot.Notifier.
func (n Notifier) Announce(_ context.Context, e bot.Escalation) (string, error) {
	n.p.upsertCard(e)
	return "web:" + e.ID, nil
}

// UpdateCard implements bot.Notifier.
func (n Notifier) UpdateCard(_ context.Context, e bot.Escalation) error {
	n.p.upsertCard(e)
	return nil
}

// errNotHere is returned when a case's requester is not a playground person
// (a case filed on another platform sharing the Store).
var errNotHere = errors.New("requester is not a playground identity")

// Tell implements bot.Notifier.
func (n Notifier) Tell(_ context.Context, e bot.Escalation, r bot.Reply) error {
	who, ok := person(e.Requester.ID)
	if !ok || who.Role != roleStaff {
		return errNotHere
	}
	en := replyEntry(r, n.p.now())
	en.Pushed = true
	n.p.appendEntries(who.ID, en)
	return nil
}

// appendEntries adds entries to a staff member's chat, assigns their ids and
// pushes them to that person's open views.
func (p *Playground) appendEntries(staff string, entries ...Entry) []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		p.nextID++
		e.ID = p.nextID
		log := append(p.chats[staff], e)
		if len(log) > maxEntries {
			log = append([]Entry(nil), log[len(log)-maxEntries:]...)
		}
		p.chats[staff] = log
		p.publishLocked(event{name: "chat", staff: staff, data: e})
		out = append(out, e)
	}
	return out
}

// settleEntry replaces an entry's buttons with what happened (Outcome.Status).
func (p *Playground) settleEntry(staff string, id int64, status string) (Entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	log := p.chats[staff]
	for i := range log {
		if log[i].ID == id {
			log[i].Choices = nil
			log[i].Status = status
			p.publishLocked(event{name: "chat", staff: staff, data: log[i]})
			return log[i], true
		}
	}
	return Entry{}, false
}

// hasEntry reports whether staff's chat holds the entry id.
func (p *Playground) hasEntry(staff string, id int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.chats[staff] {
		if e.ID == id {
			return true
		}
	}
	return false
}

// upsertCard updates a card in place (as chat.update does in Slack) or adds
// it to the bottom of the channel, and pushes it to every view.
func (p *Playground) upsertCard(e bot.Escalation) Card {
	c := cardOf(e, p.now())
	p.mu.Lock()
	defer p.mu.Unlock()
	p.putCardLocked(c)
	p.publishLocked(event{name: "card", data: c})
	return c
}

func (p *Playground) putCardLocked(c Card) {
	for i := range p.board {
		if p.board[i].ID == c.ID {
			p.board[i] = c
			return
		}
	}
	p.board = append(p.board, c)
	if len(p.board) > maxCards {
		p.board = append([]Card(nil), p.board[len(p.board)-maxCards:]...)
	}
}
