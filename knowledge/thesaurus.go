package knowledge

import (
	"slices"
	"strings"
)

// thesaurus maps a word or phrase people type to the words articles use for
// the same thing. Matching is on stems, so one entry covers plurals and
// verb forms.
type thesaurus struct {
	byFirst map[string][]phraseRef // first stem of a phrase → phrases
	phrases [][]string             // analyzed phrases
	groupOf []int                  // phrase → group
	groups  [][]int                // group → phrases
}

type phraseRef struct{ phrase int }

// thesMatch is a phrase found at query positions at..at+n-1, and the
// stems of one of its synonyms.
type thesMatch struct {
	at, n int
	stems []string
}

func newThesaurus(groups [][]string) *thesaurus {
	t := &thesaurus{byFirst: map[string][]phraseRef{}}
	for _, g := range groups {
		gi := len(t.groups)
		var members []int
		for _, p := range g {
			st := analyze(p)
			if len(st) == 0 {
				continue
			}
			pi := len(t.phrases)
			t.phrases = append(t.phrases, st)
			t.groupOf = append(t.groupOf, gi)
			t.byFirst[st[0]] = append(t.byFirst[st[0]], phraseRef{pi})
			members = append(members, pi)
		}
		t.groups = append(t.groups, members)
	}
	return t
}

// match finds thesaurus phrases in the query stems and returns, for each,
// the other members of its group.
func (t *thesaurus) match(stems []string) []thesMatch {
	if t == nil {
		return nil
	}
	var out []thesMatch
	for i, st := range stems {
		for _, ref := range t.byFirst[st] {
			p := t.phrases[ref.phrase]
			if i+len(p) > len(stems) || !equalStems(stems[i:i+len(p)], p) {
				continue
			}
			for _, other := range t.groups[t.groupOf[ref.phrase]] {
				if other != ref.phrase {
					out = append(out, thesMatch{at: i, n: len(p), stems: t.phrases[other]})
				}
			}
		}
	}
	// The longest match wins: "big screen" is a display, so the
	// synonyms of "big" alone (large, size) do not apply inside it.
	return slices.DeleteFunc(out, func(m thesMatch) bool {
		for _, o := range out {
			if o.n > m.n && o.at <= m.at && m.at+m.n <= o.at+o.n {
				return true
			}
		}
		return false
	})
}

func equalStems(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var builtinThesaurus = newThesaurus(parseGroups(builtinSynonyms))

func parseGroups(s string) [][]string {
	var groups [][]string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var g []string
		for _, p := range strings.Split(line, ",") {
			if p = strings.TrimSpace(p); p != "" {
				g = append(g, p)
			}
		}
		if len(g) > 1 {
			groups = append(groups, g)
		}
	}
	return groups
}

// builtinSynonyms is general help-desk vocabulary: how staff describe a
// problem versus how documentation names it, one group per line. It must
// stay general (no product or district specifics); a KB adds its own in
// synonyms.yaml.
const builtinSynonyms = `
wifi, wi-fi, wireless, wlan
internet, network, online
laptop, computer, pc, notebook, desktop
screen, display, monitor
projector, display, external monitor, big screen
delete, remove, erase
picture, image, photo, pic
email, e-mail, mail
password, passcode, passphrase, pw, pwd
fb, facebook
yt, youtube
account, acct, acc
info, information
msg, message
login, log in, sign in, signin, logon, log on
logout, log out, sign out, signout
mic, microphone
sound, audio, hear
headphones, headset, earphones, earbuds
print, printer, printing
freeze, frozen, froze, hang, unresponsive, stuck
slow, sluggish, laggy, lag, crawling
big, bigger, large, larger, enlarge
small, smaller, shrink
words, text, font, letters
hot, heat, overheat, overheating, temperature
noise, noisy, loud
charge, charging, battery
sideways, rotate, rotation, orientation, upside down
blurry, blurred, fuzzy, unsharp
video, movie, clip
admin, administrator
permission, rights, privileges, access
install, setup, set up
phishing, scam, suspicious, spam
hacked, compromised, breach
virus, malware, antivirus
recover, restore, undelete, retrieve
screenshot, screen shot, screen capture, print screen
cursor, pointer
touchpad, trackpad
touch, tap, touchscreen, touch screen
aloud, out loud, read out
usb stick, usb drive, flash drive, thumb drive, memory stick, pen drive, external drive
eject, take out, safely remove
repeat, repeated, repeating, twice
offboarding, leaving, retire, retiring, resign
paper jam, jam, jammed, paper stuck, stuck paper, misfeed
static ip, fixed ip, manual ip
screencast, screen recording, record screen, record my screen
alert sound, ding, beep, chime, notification sound
program, programs, software, application, applications, app, apps
unpair, disconnect a device, forget device, remove device
rename, change the name
students, kids, children, pupils
disconnect, drop, dropping, drops, cut out, keeps dropping
connect, pair, join
cancel, abort
double sided, duplex, two sided, both sides
ink, toner, cartridge
streaks, lines, smudge, smears, stripes
dim, dark, darker, brightness
blank, black screen
sleep, suspend, hibernate
update, upgrade
reset, forgot, forgotten
strikethrough, strike through, crossed out, cross out
calendar, schedule
rules, requirements, policy, policies, guidelines
share, sharing, collaborate
meeting, video call, conference call, call
unsubscribe, opt out
turn on, power on, boot, start up, startup
folder, directory, dir
oldest, earliest, first ever, farthest back
newest, latest, most recent
download, save locally, store locally, save offline, keep a copy
backup, back up, save a copy, keep a copy, offline copy
export, download all
contact, get in touch, communicate, reach out
unfriend, unfriended, defriend, remove friend
size, how big, how large, file size
split, break up, break down, separate
thread, conversation
autoplay, auto play, automatically play, play automatically
hide, hidden, invisible
owner, ownership
distance, how far
replace, overwrite, swap, upload over
send later, schedule, timer, delay, at a later date
bookmarks, favorites, favourites
special characters, symbols, chars
gd, google drive
pm, private message, direct message, dm, inbox message
repo, repository
`

// spanWord is the position of the query word a synonym stands for: the
// last word of the matched phrase that the synonym does not repeat. "jam"
// for "paper stuck" stands for "stuck" (the query's "paper" is still
// there), so an article about paper jams covers both words.
func (m thesMatch) spanWord(stems []string) int {
	for j := m.at + m.n - 1; j > m.at; j-- {
		if !slices.Contains(m.stems, stems[j]) {
			return j
		}
	}
	return m.at
}
