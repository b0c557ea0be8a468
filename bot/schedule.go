package bot

import (
	"fmt"
	"time"
)

// Schedule is when the IT team works and which days are special. The YAML
// school calendar (bot/calendar) implements it; nil means always open.
type Schedule interface {
	// Open reports whether the help desk is staffed at t.
	Open(t time.Time) bool
	// NextOpen is when it next opens (t itself when open).
	NextOpen(t time.Time) time.Time
	// Closure names the holiday or break at t ("" on ordinary days).
	Closure(t time.Time) string
	// Testing names the testing window at t ("" when none): device and
	// login problems are urgent then.
	Testing(t time.Time) string
}

type alwaysOpen struct{}

func (alwaysOpen) Open(time.Time) bool            { return true }
func (alwaysOpen) NextOpen(t time.Time) time.Time { return t }
func (alwaysOpen) Closure(time.Time) string       { return "" }
func (alwaysOpen) Testing(time.Time) string       { return "" }

// afterHoursLine tells a requester when someone will look at a case filed
// while the help desk is closed ("" when it is open).
func (d *Desk) afterHoursLine(now time.Time) string {
	if d.schedule.Open(now) {
		return ""
	}
	why := "The IT team is off right now"
	if c := d.schedule.Closure(now); c != "" {
		why = fmt.Sprintf("The IT team is off right now (%s)", c)
	}
	next := d.schedule.NextOpen(now)
	return fmt.Sprintf("%s. Your request is in the queue and a tech will pick it up when the help desk opens: %s.", why, whenText(now, next))
}

// whenText says a future time the way people do: "today at 7:00 AM",
// "tomorrow at 7:00 AM", "Monday, Nov 30 at 7:00 AM".
func whenText(now, t time.Time) string {
	now = now.In(t.Location())
	y1, m1, d1 := now.Date()
	y2, m2, d2 := t.Date()
	clock := t.Format("3:04 PM")
	switch {
	case y1 == y2 && m1 == m2 && d1 == d2:
		return "today at " + clock
	case t.Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, t.Location())) < 48*time.Hour:
		return "tomorrow at " + clock
	default:
		return t.Format("Monday, Jan 2") + " at " + clock
	}
}
