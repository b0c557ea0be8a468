package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// maxSubscribers bounds open event streams; each browser tab holds one.
const maxSubscribers = 64

// keepAlive is how often an idle stream gets a comment line, so proxies and
// browsers do not drop it.
const keepAlive = 20 * time.Second

// event is one server-sent event. staff limits it to views of that staff
// member's chat; "" goes to every view (cards: every tech sees the channel).
type event struct {
	name  string
	staff string
	data  any
}

type subscriber struct {
	staff string
	ch    chan event
}

// publishLocked queues ev for every interested view. A view that cannot
// keep up is dropped; its browser reconnects and gets a fresh snapshot, so
// a stuck tab never blocks the desk. Callers hold p.mu.
func (p *Playground) publishLocked(ev event) {
	for s := range p.subs {
		if ev.staff != "" && ev.staff != s.staff {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			delete(p.subs, s)
			close(s.ch)
		}
	}
}

// snapshot is what a view needs to draw itself from scratch.
type snapshot struct {
	Staff string  `json:"staff"`
	Chat  []Entry `json:"chat"`
	Cards []Card  `json:"cards"`
}

// subscribe registers a view and returns the snapshot it starts from; the
// two happen under one lock so no update falls between them.
func (p *Playground) subscribe(staff string, open []bot.Escalation) (*subscriber, snapshot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.subs) >= maxSubscribers {
		return nil, snapshot{}, false
	}
	now := p.now()
	for _, e := range open {
		if e.Platform == bot.PlatformWeb && !p.hasCardLocked(e.ID) {
			p.putCardLocked(cardOf(e, now))
		}
	}
	s := &subscriber{staff: staff, ch: make(chan event, 64)}
	p.subs[s] = struct{}{}
	snap := snapshot{Staff: staff, Chat: append([]Entry{}, p.chats[staff]...), Cards: append([]Card{}, p.board...)}
	return s, snap, true
}

func (p *Playground) unsubscribe(s *subscriber) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.subs[s]; ok {
		delete(p.subs, s)
		close(s.ch)
	}
}

func (p *Playground) hasCardLocked(id string) bool {
	for _, c := range p.board {
		if c.ID == id {
			return true
		}
	}
	return false
}

// openCases reads the open web cases from the Store, so a playground
// restarted on a real Redis still shows the queue.
func (p *Playground) openCases(ctx context.Context) []bot.Escalation {
	if p.desk == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, t := range People {
		if t.Role != roleTech {
			continue
		}
		list, err := p.desk.Queue(ctx, bot.PlatformWeb, t.bot())
		if err != nil {
			p.log.Warn("playground: could not read the open cases", "err", err)
			return nil
		}
		return list
	}
	return nil
}

// events streams the view's chat and the techs' channel:
// GET /api/events?staff=ID → "snapshot", then "chat" and "card" events.
func (p *Playground) events(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead { // a HEAD must not hold a stream open
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if !allow(w, r, http.MethodGet) {
		return
	}
	staff, ok := person(r.URL.Query().Get("staff"))
	if !ok || staff.Role != roleStaff {
		writeError(w, http.StatusBadRequest, "staff must be the id of a playground staff member")
		return
	}
	sub, snap, ok := p.subscribe(staff.ID, p.openCases(r.Context()))
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "too many open views; close a tab and retry")
		return
	}
	defer p.unsubscribe(sub)

	// The server's WriteTimeout is for ordinary requests; a stream lives on.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	if err := writeEvent(w, "snapshot", snap); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(p.keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-p.done:
			return
		case <-tick.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case ev, ok := <-sub.ch:
			if !ok {
				return // dropped as too slow; the browser reconnects
			}
			if err := writeEvent(w, ev.name, ev.data); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// writeEvent writes one event; JSON never contains a raw newline, so the
// data fits on one "data:" line.
func writeEvent(w http.ResponseWriter, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(b)+len(name)+16)
	buf = append(buf, "event: "...)
	buf = append(buf, name...)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, b...)
	buf = append(buf, "\n\n"...)
	_, err = w.Write(buf)
	return err
}
