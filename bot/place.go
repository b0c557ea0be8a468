package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// Place is where a person said their last case was, offered first the next
// time they need a tech ("Are you in Lincoln MS, Room 204 again?"), so a
// teacher does not type their room for every request.
type Place struct {
	Location string `json:"location"`
	Building string `json:"building,omitempty"`
}

// Places is an optional Store ability: each person's last place, kept a
// limited time (see DATA.md), deleted with the rest of their data.
type Places interface {
	LastPlace(ctx context.Context, platform, userID string) (Place, bool, error)
	RememberPlace(ctx context.Context, platform, userID string, p Place) error
}

// lastPlace is the requester's remembered place, if the store keeps them.
func (d *Desk) lastPlace(ctx context.Context, o origin) (Place, bool) {
	ps, ok := d.store.(Places)
	if !ok {
		return Place{}, false
	}
	p, ok, err := ps.LastPlace(ctx, o.Platform, o.From.ID)
	if err != nil {
		d.log.Warn("last place lookup failed", "user", o.From.ID, "err", err)
		return Place{}, false
	}
	return p, ok && p.Location != ""
}

// rememberPlace keeps where this case was for the person's next one.
func (d *Desk) rememberPlace(ctx context.Context, o origin, sess *Session) {
	ps, ok := d.store.(Places)
	if !ok || sess.Location == "" {
		return
	}
	if err := ps.RememberPlace(ctx, o.Platform, o.From.ID, Place{Location: sess.Location, Building: sess.Building}); err != nil {
		d.log.Warn("could not remember place", "user", o.From.ID, "err", err)
	}
}

// samePlaceRe answers "are you in … again?" with yes in other words.
var samePlaceRe = prefilter.MustCompile(`(?i)^\s*(yes|yeah|yep|yup|correct|right|same|same place|same room|same as (last time|before)|still there|that'?s right)\b`)

// sameAsLast reports whether text confirms the place offered; a building
// or room in it is a different place ("yes, but room 210 now").
func sameAsLast(text string, buildings []string) bool {
	return samePlaceRe.MatchString(text) && Location(text, buildings) == "" && !strings.Contains(strings.ToLower(text), "but")
}

// placeFillers are the words around a place that say nothing else ("I'm
// in", "we are at").
var placeFillers = map[string]bool{"i'm": true, "im": true, "i": true, "am": true, "we": true, "we're": true, "are": true,
	"in": true, "at": true, "the": true, "my": true, "our": true, "it's": true, "its": true, "it": true, "is": true,
	"please": true, "thanks": true, "thank": true, "you": true, "ok": true, "sorry": true, "actually": true, "now": true,
	"here": true, "located": true, "forgot": true, "to": true, "say": true, "this": true, "that's": true, "oh": true, "and": true}

// placeOnly is the place a message gives when giving a place is all it
// does ("I'm in Lincoln MS room 12", "oh, Roosevelt HS"), or "".
func placeOnly(text string, buildings []string) string {
	loc := Location(text, buildings)
	if loc == "" {
		return ""
	}
	rest := placeRe.ReplaceAllString(withoutPlace(text, buildings), " ")
	for _, w := range strings.Fields(strings.ToLower(rest)) {
		w = strings.Trim(w, ",.!?;:-—()")
		if w != "" && !placeFillers[w] {
			return ""
		}
	}
	return loc
}

// mergePlace is the place a case moves to when its requester names loc
// after filing: a room alone stays in the building the case had, and a
// building alone takes the room the case had without one.
func mergePlace(old Place, loc string, buildings []string) Place {
	b := Building(loc, buildings)
	oldB := Building(old.Location, buildings)
	switch {
	case old.Location == "":
	case b == "" && oldB != "":
		return Place{Location: oldB + ", " + loc, Building: old.Building}
	case b != "" && loc == b && oldB == "":
		return Place{Location: loc + ", " + old.Location, Building: b}
	}
	return Place{Location: loc, Building: b}
}

// takeDetails handles the answer to "which building and room?".
func (d *Desk) takeDetails(ctx context.Context, sess *Session, o origin, text string) []Reply {
	if !d.takeWaiting(ctx, sess) {
		if r, ok := d.afterSweep(ctx, sess, o, text); ok {
			return r
		}
		// Taken by a sweep that has not filed it (yet, or ever): file it
		// here; a duplicate is better than a lost request.
	}
	pending := *sess.Pending
	sess.State = StateIdle
	sess.Pending = nil
	if isCancel(text) {
		return []Reply{{Kind: KindNotice, Text: "OK, I won't send it to the tech team. Ask me again any time."}}
	}
	// "That fixed it" instead of a room: the answer shown while asking
	// worked. (A plain "thanks" is not enough: it may thank us for getting
	// a tech, and dropping that request would lose it.)
	if isSolved(text) {
		sess.Answered = false
		d.emit(ctx, Event{Type: EventSolved, Platform: o.Platform, User: o.From.ID, Sources: sess.Offered})
		sess.Offered = nil
		return []Reply{{Kind: KindNotice, Text: textGladNoCase}}
	}
	if last := pending.LastPlace; last != nil {
		switch {
		case sameAsLast(text, d.policy.Buildings):
			sess.Location, sess.Building = last.Location, last.Building
			pending.LastPlace = nil
			return d.file(ctx, sess, o, pending)
		case isNo(text):
			// Somewhere else today: ask where, once more.
			pending.LastPlace = nil
			sess.State, sess.Pending = StateAwaitingDetails, &pending
			d.markWaiting(ctx, sess, o)
			return []Reply{{Kind: KindAskLocation, Text: textAskLocation}}
		}
		pending.LastPlace = nil
	}
	if isAgreement(text) {
		// "yes please", "thanks": agreeing to the tech, not saying where.
		// The case goes now (they may have walked away), and the place
		// can follow.
		out := d.file(ctx, sess, o, pending)
		if len(out) == 1 && out[0].Kind == KindEscalated {
			out[0].Text += "\n" + textPlaceLater
		}
		return out
	}
	if notALocation(text, d.policy.Buildings) {
		// "it says paper jam but there's no paper": more about the
		// problem, not where it is. It describes the case instead.
		pending.Summary = summarize(sess, "")
	} else if !isSkip(text) && !saysNothing(text) {
		before := sess.Location
		d.learnDetails(sess, text)
		// Asked for building and room, a number with no word before it
		// is the room: "Lincoln MS 118", or just "118".
		room := bareRoom(text)
		switch {
		case sess.Location != before && sess.Location != "":
			if room != "" && !strings.Contains(sess.Location, "Room") {
				sess.Location += ", Room " + room
			}
		case room != "" && len(strings.Fields(text)) == 1:
			sess.Location = "Room " + room
		default:
			// Not a pattern we know ("upstairs by the library", "the
			// annex"): keep the person's own words, capped, with the room
			// they gave before.
			sess.Location = capRunes(strings.TrimSpace(text), 80)
			if before != "" {
				sess.Location += ", " + before
			}
		}
	}
	if isUrgent(text) {
		pending.Priority = PriorityUrgent
	}
	return d.file(ctx, sess, o, pending)
}

// locationWordRe is a word that says where, for answers to "which building
// and room?" no pattern recognises ("second floor, east wing").
var locationWordRe = prefilter.MustCompile(`(?i)\b(floor|wing|hall|hallway|building|campus|room|upstairs|downstairs|next to|near|behind|across|beside|by the|portable|annex|office|center|centre|lab|trailer|site|school|district)\b`)

// notALocation reports whether an answer to "which building and room?" is
// not one: no building, room or place in it, no word that says where, and
// long enough, or a question, to be about the problem instead.
func notALocation(text string, buildings []string) bool {
	if Location(text, buildings) != "" || locationWordRe.MatchString(text) {
		return false
	}
	return len(strings.Fields(text)) > 5 || isQuestion(text)
}

// bareRoomRe is a room number given without the word "room" ("Lincoln MS
// 118", "B12"), only read in answers to "which building and room?".
var bareRoomRe = prefilter.MustCompile(`(?i)(?:^|[\s,#])([a-z]?\d{1,4}[a-z]?)\s*$`)

// bareRoom is the room number that ends an answer to "which building and
// room?", or "" (an asset tag or a number inside words does not count).
func bareRoom(text string) string {
	if roomRe.MatchString(text) || deviceRe.MatchString(text) {
		return ""
	}
	if m := bareRoomRe.FindStringSubmatch(strings.TrimRight(text, " .!")); m != nil {
		return strings.ToUpper(m[1])
	}
	return ""
}

// needsBuilding reports whether the case would go to a district of
// several buildings with a room and no building ("Room 114": which one?).
func (d *Desk) needsBuilding(sess *Session) bool {
	return len(d.policy.Buildings) > 1 && sess.Building == "" && Building(sess.Location, d.policy.Buildings) == ""
}

func (d *Desk) learnDetails(sess *Session, text string) {
	if text == "" {
		return
	}
	if loc := Location(text, d.policy.Buildings); loc != "" {
		switch {
		case sess.Location == "":
			sess.Location = loc
		case loc == Building(text, d.policy.Buildings) && Building(sess.Location, d.policy.Buildings) == "":
			// Only a building, after a room without one: the building
			// of that room ("Lincoln MS" after "room 114").
			sess.Location = loc + ", " + sess.Location
		case len(loc) > len(sess.Location):
			sess.Location = loc
		}
	}
	if b := Building(text, d.policy.Buildings); b != "" && sess.Building == "" {
		sess.Building = b
	}
	if dev := Device(text); dev != "" {
		sess.Device = dev
	}
}

// afterSweep answers a reply to "which building and room?" that came as the
// sweep (FileWaiting) sent the request without it: the reply belongs to
// that case now. It is false when the sweep has not filed a case.
func (d *Desk) afterSweep(ctx context.Context, sess *Session, o origin, text string) ([]Reply, bool) {
	now, err := d.store.LoadSession(ctx, sess.Key)
	if err != nil || now.Case == "" {
		return nil, false
	}
	e, err := d.store.Escalation(ctx, now.Case)
	if err != nil {
		return nil, false
	}
	now.Key, now.Turns = sess.Key, sess.Turns
	*sess = now
	m := Message{Platform: o.Platform, Conversation: o.Conversation, Thread: o.Thread, Ref: o.Ref, From: o.From, Text: text}
	if r, ok := d.placeCase(ctx, sess, m, e, text); ok {
		return r, true
	}
	if e, _, err := d.note(ctx, e, text); err == nil {
		return []Reply{{Kind: KindNotice, EscalationID: e.ID, Text: fmt.Sprintf("I've added that to %s, so the tech sees it (%s).", e.ID, statusWords(e))}}, true
	}
	return nil, false
}
