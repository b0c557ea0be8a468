package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

// The slash command. It is answered in the acknowledgement itself (HTTP
// response or Socket Mode ack payload), visible to the caller only: the
// lookups are single Redis reads, well inside Slack's 3 s.
const command = "/helpdesk"

const textCommandHelp = "*/helpdesk* commands:\n" +
	"• `/helpdesk status`: your open requests\n" +
	"• `/helpdesk queue`: open cases, oldest first (IT team only)\n" +
	"• `/helpdesk help`: this list\n" +
	"To ask for help, send me a direct message or mention me in a channel."

// commandReply is the JSON Slack shows in reply to a slash command.
type commandReply struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func parseCommand(body []byte) (slack.SlashCommand, error) {
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, err
	}
	c := slack.SlashCommand{
		TeamID: f.Get("team_id"), ChannelID: f.Get("channel_id"), UserID: f.Get("user_id"),
		UserName: f.Get("user_name"), Command: f.Get("command"), Text: f.Get("text"),
		ResponseURL: f.Get("response_url"), TriggerID: f.Get("trigger_id"), APIAppID: f.Get("api_app_id"),
	}
	if c.UserID == "" || c.Command == "" {
		return slack.SlashCommand{}, errors.New("not a slash command")
	}
	return c, nil
}

// runCommand answers /helpdesk.
func (e *Edge) runCommand(ctx context.Context, c slack.SlashCommand) commandReply {
	verb := strings.ToLower(strings.TrimSpace(c.Text))
	verb, _, _ = strings.Cut(verb, " ")
	e.log.Debug("slack command", "user", c.UserID, "verb", verb)
	switch verb {
	case "", "help", "?":
		return ephemeralReply(message{blocks: []slack.Block{section(textCommandHelp)}, fallback: "helpdesk commands"})
	case "status", "mine", "my":
		p := e.people.person(ctx, c.UserID)
		list, err := e.desk.MyCases(ctx, bot.PlatformSlack, p)
		if err != nil {
			e.log.Warn("status lookup failed", "user", c.UserID, "err", err)
			return ephemeralText("I can't look up your requests right now. Please try again in a minute.")
		}
		var lines []string
		for _, x := range list {
			if x.Status.Closed() {
				continue
			}
			lines = append(lines, fmt.Sprintf("• *%s* %s · %s · opened %s", esc(x.ID), capEsc(x.Summary, 140), caseState(x), bot.Ago(x.Age(e.desk.Now()))))
		}
		if len(lines) == 0 {
			return ephemeralText("You have no open requests with the tech team.")
		}
		return ephemeralReply(renderList("Your open requests", lines))
	case "queue":
		p := e.people.person(ctx, c.UserID)
		list, err := e.desk.Queue(ctx, bot.PlatformSlack, p)
		if errors.Is(err, bot.ErrNotTech) {
			return ephemeralText("Only the IT team can see the queue. Try `/helpdesk status` for your own requests.")
		}
		if err != nil {
			e.log.Warn("queue lookup failed", "user", c.UserID, "err", err)
			return ephemeralText("I can't read the queue right now. Please try again in a minute.")
		}
		if len(list) == 0 {
			return ephemeralText("The queue is empty. 🎉")
		}
		now := e.desk.Now()
		var lines []string
		for _, x := range list {
			loc := ""
			if x.Location != "" {
				loc = " · " + capEsc(x.Location, 80)
			}
			urgent := ""
			if x.Priority == bot.PriorityUrgent {
				urgent = "🔴 "
			}
			lines = append(lines, fmt.Sprintf("• %s*%s* %s%s · %s · opened %s", urgent, esc(x.ID), capEsc(x.Summary, 120), loc, caseState(x), bot.Ago(x.Age(now))))
		}
		return ephemeralReply(renderList(fmt.Sprintf("Open cases (%d), oldest first", len(list)), lines))
	}
	return ephemeralReply(message{blocks: []slack.Block{section("I don't know that one.\n" + textCommandHelp)}, fallback: "helpdesk commands"})
}

func caseState(x bot.Escalation) string {
	if x.Status == bot.StatusClaimed {
		return "with " + esc(x.Claimer.Display())
	}
	return "waiting for a tech"
}

func ephemeralText(s string) commandReply {
	return commandReply{ResponseType: "ephemeral", Text: esc(s)}
}

func ephemeralReply(m message) commandReply {
	return commandReply{ResponseType: "ephemeral", Text: m.fallback, Blocks: m.blocks}
}
