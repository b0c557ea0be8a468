package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// Output renders replies and the techs' channel to one terminal. It is safe
// for concurrent use (notifications can arrive from any goroutine).
type Output struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewOutput writes to w.
func NewOutput(w io.Writer) *Output { return &Output{w: w, now: time.Now} }

// Line prints one line (or block) as is.
func (o *Output) Line(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintln(o.w, s)
}

// Prompt prints without a newline.
func (o *Output) Prompt(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprint(o.w, s)
}

// Reply renders one bot reply with its sources and numbered choices.
func (o *Output) Reply(r bot.Reply) {
	var b strings.Builder
	label := "helpbot"
	if r.Ephemeral {
		label = "helpbot (only you)"
	}
	b.WriteString(label + " ▸ ")
	b.WriteString(indent(r.Text, "  "))
	b.WriteString("\n")
	for _, s := range r.Sources {
		b.WriteString("  📄 Source: " + sourceLine(s) + "\n")
	}
	if len(r.Related) > 0 {
		for i, s := range r.Related {
			fmt.Fprintf(&b, "  %s %s\n", bullet(i), sourceLine(s))
		}
	}
	if len(r.Choices) > 0 {
		var parts []string
		for i, c := range r.Choices {
			parts = append(parts, fmt.Sprintf("[%d] %s", i+1, c.Label))
		}
		b.WriteString("  " + strings.Join(parts, "   ") + "\n")
	}
	o.Line(strings.TrimRight(b.String(), "\n"))
}

func bullet(int) string { return "•" }

func sourceLine(s bot.Source) string {
	line := "“" + s.Title + "”"
	if s.Section != "" && s.Section != s.Title {
		line += " › " + s.Section
	}
	if s.URL != "" {
		line += " <" + s.URL + ">"
	} else if s.Path != "" {
		line += " (" + s.Path + ")"
	}
	return line
}

func indent(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}

// Card prints a case the way the techs' channel shows it.
func (o *Output) Card(event string, e bot.Escalation, now time.Time) {
	var b strings.Builder
	head := map[string]string{
		"new":    "NEW CASE",
		"update": "CASE UPDATE",
		"case":   "CASE",
		"remind": "⏰ STILL UNCLAIMED",
	}[event]
	prio := ""
	if e.Priority == bot.PriorityUrgent {
		prio = " · 🔴 URGENT"
	}
	fmt.Fprintf(&b, "┌─ #tech-help ── %s %s%s · %s\n", head, e.ID, prio, e.StatusText())
	fmt.Fprintf(&b, "│ From:    %s\n", e.Requester.Display())
	if e.Location != "" {
		fmt.Fprintf(&b, "│ Where:   %s\n", e.Location)
	}
	if e.Device != "" {
		fmt.Fprintf(&b, "│ Device:  %s\n", e.Device)
	}
	if e.Reports > 1 {
		fmt.Fprintf(&b, "│ Outage:  %s\n", e.Title())
	}
	if e.Incident != "" {
		fmt.Fprintf(&b, "│ Grouped: part of %s (same problem, same building)\n", e.Incident)
	}
	fmt.Fprintf(&b, "│ Problem: %s\n", e.Summary)
	if len(e.Articles) > 0 {
		var t []string
		for _, a := range e.Articles {
			t = append(t, "“"+a.Title+"”")
		}
		fmt.Fprintf(&b, "│ Tried:   %s\n", strings.Join(t, ", "))
	}
	if len(e.Transcript) > 0 {
		b.WriteString("│ Conversation:\n")
		for _, t := range e.Transcript {
			who := e.Requester.Display()
			if t.Who == "bot" {
				who = "bot"
			}
			if r := t.Reporter(); r != "" {
				who = r // another reporter of the outage
			}
			fmt.Fprintf(&b, "│   %s: %s\n", who, strings.ReplaceAll(t.Text, "\n", " "))
		}
	}
	fmt.Fprintf(&b, "│ Opened %s\n", bot.Ago(e.Age(now)))
	switch e.Status {
	case bot.StatusOpen:
		fmt.Fprintf(&b, "└─ techs: /claim %s", e.ID)
	case bot.StatusClaimed:
		fmt.Fprintf(&b, "└─ %s: /resolve %s or /release %s", e.Claimer.Display(), e.ID, e.ID)
	default:
		b.WriteString("└─")
	}
	o.Line(b.String())
}

// Notifier is the console's bot.Notifier: the techs' channel and messages
// to requesters print inline, and the requester's numbered choices are
// remembered so they can answer after switching back with /as staff.
type Notifier struct {
	chat *Chat
}

var _ bot.Notifier = Notifier{}

// Notifier returns the chat's notifier, to wire into the Desk.
func (c *Chat) Notifier() Notifier { return Notifier{chat: c} }

// Announce implements bot.Notifier.
func (n Notifier) Announce(_ context.Context, e bot.Escalation) (string, error) {
	n.chat.out.Card("new", e, n.chat.desk.Now())
	return "console:" + e.ID, nil
}

// UpdateCard implements bot.Notifier.
func (n Notifier) UpdateCard(_ context.Context, e bot.Escalation) error {
	n.chat.out.Card("update", e, n.chat.desk.Now())
	return nil
}

// Remind implements bot.Reminder: the card is printed again, flagged.
func (n Notifier) Remind(_ context.Context, e bot.Escalation, _ bool) (string, error) {
	n.chat.out.Card("remind", e, n.chat.desk.Now())
	return "", nil
}

// Tell implements bot.Notifier.
func (n Notifier) Tell(_ context.Context, e bot.Escalation, r bot.Reply) error {
	n.chat.out.Line("🔔 to " + e.Requester.Display() + ":")
	n.chat.out.Reply(r)
	if len(r.Choices) > 0 {
		n.chat.setChoices(e.Requester, r.Choices)
	}
	return nil
}

var _ bot.Broadcaster = Notifier{}

// Broadcast implements bot.Broadcaster: a post in the techs' channel (the
// daily digest, notices), printed the way the channel shows it.
func (n Notifier) Broadcast(_ context.Context, r bot.Reply) error {
	n.chat.out.Post(r.Text)
	return nil
}

// Post prints a message from the bot in the techs' channel.
func (o *Output) Post(text string) {
	var b strings.Builder
	b.WriteString("┌─ #tech-help ── helpbot\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString("│ " + line + "\n")
	}
	b.WriteString("└─")
	o.Line(b.String())
}
