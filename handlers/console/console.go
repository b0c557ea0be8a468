// Package console is the terminal edge used by `helpbot chat` and by tests:
// one process plays staff and techs, and the techs' channel prints inline.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/helpbot/helpbot/bot"
)

// Chat is a terminal conversation with the Desk.
type Chat struct {
	desk   *bot.Desk
	out    *Output
	in     io.Reader
	echo   bool
	prompt bool

	mu      sync.Mutex
	me      bot.Person
	techs   map[string]bool // person ids that said /as tech
	choices map[string][]bot.Choice
}

// Options configure a Chat.
type Options struct {
	// Echo repeats each input line, so a piped transcript reads like a
	// conversation. Prompt prints "you> " (interactive terminals).
	Echo, Prompt bool
	// Staff is who you are at start (default Pat Rivera, a teacher).
	Staff bot.Person
}

// New returns a Chat on desk. The Notifier and Techs it provides must be
// wired into the desk (see Notifier, Techs) before Run.
func New(in io.Reader, out *Output, o Options) *Chat {
	if o.Staff.ID == "" {
		o.Staff = bot.Person{ID: "pat.rivera", Name: "Pat Rivera"}
	}
	return &Chat{out: out, in: in, echo: o.Echo, prompt: o.Prompt, me: o.Staff,
		techs: map[string]bool{}, choices: map[string][]bot.Choice{}}
}

// Attach sets the desk the chat talks to (the desk needs the chat's
// Notifier and Techs first, hence two steps).
func (c *Chat) Attach(d *bot.Desk) { c.desk = d }

// Techs says who is a tech on the console: whoever switched with /as tech.
func (c *Chat) Techs() bot.Techs {
	return bot.TechsFunc(func(_ context.Context, _ string, p bot.Person) (bool, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.techs[p.ID], nil
	})
}

// Run reads lines until end of input or ctx is done.
func (c *Chat) Run(ctx context.Context) error {
	c.out.Line(fmt.Sprintf("helpbot chat: you are %s (staff). Ask a question; /help lists commands.", c.me.Display()))
	sc := bufio.NewScanner(c.in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
	}()
	for {
		if c.prompt {
			c.out.Prompt(c.promptText())
		}
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				select {
				case err := <-errc:
					return err
				default:
					return nil
				}
			}
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if c.echo {
				c.out.Line(c.promptText() + line)
			}
			if quit := c.handle(ctx, line); quit {
				return nil
			}
		}
	}
}

func (c *Chat) promptText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	role := "staff"
	if c.techs[c.me.ID] {
		role = "tech"
	}
	return fmt.Sprintf("%s (%s)> ", c.me.Display(), role)
}

func (c *Chat) whoami() bot.Person {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.me
}

// conversation is the identity's DM with the bot.
func conversation(p bot.Person) string { return "dm-" + p.ID }

func (c *Chat) handle(ctx context.Context, line string) (quit bool) {
	if strings.HasPrefix(line, "/") {
		return c.command(ctx, line)
	}
	me := c.whoami()
	if n, ok := choiceNumber(line); ok {
		if ch, ok := c.choice(me, n); ok {
			c.press(ctx, ch.Action, ch.Value)
			return false
		}
	}
	replies := c.desk.HandleMessage(ctx, bot.Message{
		Platform: bot.PlatformConsole, Conversation: conversation(me), From: me, Text: line, Direct: true,
	})
	c.show(me, replies)
	return false
}

func (c *Chat) press(ctx context.Context, action, id string) {
	me := c.whoami()
	out := c.desk.HandleAction(ctx, bot.Action{
		Platform: bot.PlatformConsole, Conversation: conversation(me), From: me, Name: action, EscalationID: id,
	})
	if out.Status != "" {
		c.out.Line("   " + out.Status)
	}
	c.show(me, out.Replies)
}

// show prints replies; the numbered choices of the last reply that has
// some become what "1", "2"… mean next (old numbers never linger).
func (c *Chat) show(me bot.Person, replies []bot.Reply) {
	var latest []bot.Choice
	for _, r := range replies {
		c.out.Reply(r)
		if len(r.Choices) > 0 {
			latest = r.Choices
		}
	}
	if len(replies) > 0 {
		c.setChoices(me, latest)
	}
}

func (c *Chat) setChoices(p bot.Person, ch []bot.Choice) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.choices[p.ID] = ch
}

func (c *Chat) choice(p bot.Person, n int) (bot.Choice, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := c.choices[p.ID]
	if n < 1 || n > len(ch) {
		return bot.Choice{}, false
	}
	return ch[n-1], true
}

func choiceNumber(s string) (int, bool) {
	if len(s) != 1 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	return int(s[0] - '0'), true
}
