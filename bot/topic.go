package bot

import (
	"strings"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// Topics group cases about the same kind of problem, so several reports of
// one outage in one building become one incident. Order matters: "can't get
// on the wifi to log in" is a Wi-Fi problem, not a login one.
var topics = []struct {
	name string
	re   *prefilter.Regexp
}{
	{"Wi-Fi", prefilter.MustCompile(`(?i)\b(wi-?fi|wireless|internet|network|online|ssid|hotspot|no connection|connection)\b`)},
	{"Phones", prefilter.MustCompile(`(?i)\b(phones?|dial tone|voicemail|extension|intercom)\b`)},
	{"Printing", prefilter.MustCompile(`(?i)\b(print\w*|copier\w*|copy machine|toner|paper jam|jammed|scan\w*)\b`)},
	{"Projectors and displays", prefilter.MustCompile(`(?i)\b(projector\w*|panel\w*|smart ?boards?|promethean|displays?|hdmi|no signal|tvs?|screen mirroring)\b`)},
	{"Classroom audio", prefilter.MustCompile(`(?i)\b(sound|audio|speakers?|microphones?|mics?|volume)\b`)},
	{"Email", prefilter.MustCompile(`(?i)\b(e-?mail|gmail|outlook|inbox)\b`)},
	{"Logins", prefilter.MustCompile(`(?i)\b(log ?in|logon|sign ?in|passwords?|locked out|accounts?|mfa|2fa|authenticator|clever|sso)\b`)},
	{"Testing", prefilter.MustCompile(`(?i)\b(testing|state test|kiosk|assessment)\b`)},
	{"Devices", prefilter.MustCompile(`(?i)\b(chromebooks?|laptops?|computers?|ipads?|tablets?|devices?|chargers?|keyboards?|trackpad|mouse)\b`)},
}

// Topic names the kind of problem described by text, or "".
func Topic(text string) string {
	for _, t := range topics {
		if t.re.MatchString(text) {
			return t.name
		}
	}
	return ""
}

// deviceOrLoginRe marks the problems that are urgent on a testing day.
var deviceOrLoginRe = prefilter.MustCompile(`(?i)\b(chromebooks?|laptops?|computers?|ipads?|tablets?|devices?|headphones|chargers?|log ?in|sign ?in|passwords?|locked out|accounts?|kiosk|testing app|wi-?fi|internet)\b`)

func deviceOrLogin(text string) bool { return deviceOrLoginRe.MatchString(text) }

// Building extracts just the building from free text (see Location).
func Building(text string, buildings []string) string {
	loc := Location(text, buildings)
	if loc == "" {
		return ""
	}
	first, _, _ := strings.Cut(loc, ", ")
	if roomRe.MatchString(first) || placeRe.MatchString(first) {
		return ""
	}
	return first
}
