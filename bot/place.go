package bot

import (
	"context"
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
