package console

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/helpbot/helpbot/bot"
)

const helpText = `Commands:
  (just type)        ask the bot, as whoever you are now
  1, 2, …            press a numbered button from the last reply
  /as tech NAME      become a technician (may claim cases)
  /as staff [NAME]   become a staff member again (default Pat Rivera)
  /queue             open cases, oldest first (techs)
  /claim ID          take a case, e.g. /claim IT-1001 (techs)
  /resolve ID        close a case you have (techs)
  /release ID        put a case back in the queue (techs)
  /case ID           show a case card (techs)
  /status            your own open requests
  /quit              leave (end of input works too)`

func (c *Chat) command(ctx context.Context, line string) (quit bool) {
	f := strings.Fields(line)
	cmd, args := strings.ToLower(f[0]), f[1:]
	switch cmd {
	case "/quit", "/exit":
		return true
	case "/help":
		c.out.Line(helpText)
	case "/as":
		c.switchIdentity(args)
	case "/queue":
		c.queue(ctx)
	case "/claim", "/resolve", "/release":
		if len(args) != 1 {
			c.out.Line(fmt.Sprintf("usage: %s ID (for example %s IT-1001)", cmd, cmd))
			return false
		}
		c.press(ctx, "helpbot."+strings.TrimPrefix(cmd, "/"), strings.ToUpper(args[0]))
	case "/case":
		c.showCase(ctx, args)
	case "/status":
		me := c.whoami()
		c.show(me, c.desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformConsole, Conversation: conversation(me), From: me, Text: "status", Direct: true}))
	default:
		c.out.Line("unknown command " + cmd + "; /help lists them")
	}
	return false
}

func (c *Chat) switchIdentity(args []string) {
	if len(args) == 0 {
		c.out.Line("usage: /as tech NAME  or  /as staff [NAME]")
		return
	}
	role := strings.ToLower(args[0])
	name := strings.Join(args[1:], " ")
	c.mu.Lock()
	switch role {
	case "tech":
		if name == "" {
			name = "Alex Chen"
		}
		c.me = bot.Person{ID: "tech." + idOf(name), Name: name}
		c.techs[c.me.ID] = true
	case "staff":
		if name == "" {
			name = "Pat Rivera"
		}
		c.me = bot.Person{ID: idOf(name), Name: name}
	default:
		c.mu.Unlock()
		c.out.Line("usage: /as tech NAME  or  /as staff [NAME]")
		return
	}
	me := c.me
	c.mu.Unlock()
	c.out.Line(fmt.Sprintf("You are now %s (%s).", me.Display(), role))
}

func idOf(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), "."))
}

func (c *Chat) queue(ctx context.Context) {
	list, err := c.desk.Queue(ctx, bot.PlatformConsole, c.whoami())
	switch {
	case errors.Is(err, bot.ErrNotTech):
		c.out.Line("Only techs see the queue. Switch with /as tech NAME.")
		return
	case err != nil:
		c.out.Line("The queue is unavailable right now (case storage is not answering).")
		return
	case len(list) == 0:
		c.out.Line("No open cases.")
		return
	}
	now := c.desk.Now()
	c.out.Line(fmt.Sprintf("Open cases (%d), oldest first:", len(list)))
	for _, e := range list {
		who := "unclaimed"
		if e.Status == bot.StatusClaimed {
			who = "claimed by " + e.Claimer.Display()
		}
		prio := ""
		if e.Priority == bot.PriorityUrgent {
			prio = " URGENT"
		}
		c.out.Line(fmt.Sprintf("  %s%s  opened %s  %s  %s: %s", e.ID, prio, bot.Ago(e.Age(now)), who, e.Requester.Display(), e.Summary))
	}
}

func (c *Chat) showCase(ctx context.Context, args []string) {
	if len(args) != 1 {
		c.out.Line("usage: /case ID")
		return
	}
	list, err := c.desk.Queue(ctx, bot.PlatformConsole, c.whoami())
	if err != nil {
		c.out.Line("Only techs can view cases. Switch with /as tech NAME.")
		return
	}
	for _, e := range list {
		if strings.EqualFold(e.ID, args[0]) {
			c.out.Card("case", e, c.desk.Now())
			return
		}
	}
	c.out.Line("No open case " + strings.ToUpper(args[0]) + ".")
}
