package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

// parseInteraction decodes an interactivity body (form: payload=<json>).
// It never panics on any input (FuzzParseInteraction).
func parseInteraction(body []byte) (slack.InteractionCallback, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	raw := form.Get("payload")
	if raw == "" {
		return slack.InteractionCallback{}, errors.New("no payload")
	}
	return decodeInteraction([]byte(raw))
}

func decodeInteraction(raw []byte) (slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	if err := json.Unmarshal(raw, &cb); err != nil {
		return slack.InteractionCallback{}, err
	}
	return cb, nil
}

// click is one button press, with everything taken from the verified
// payload: who pressed (never the button's value), where, and which case.
type click struct {
	user      string
	channel   string
	messageTS string
	threadTS  string
	ephemeral bool
	blockID   string
	action    string
	value     string
	blocks    slack.Blocks // the pressed message, to replace its buttons
}

// key names what a click acts on: a case (claims on one card queue up),
// or the conversation the button is in.
func (c click) key() string {
	if isCardAction(c.action) && c.value != "" {
		return "case:" + c.value
	}
	return c.channel + ":" + c.threadTS
}

func isCardAction(a string) bool {
	return a == bot.ActionClaim || a == bot.ActionResolve || a == bot.ActionRelease
}

// clicks extracts our buttons from a block_actions payload; other
// interactions (and other apps' action ids) are ignored.
func clicks(cb slack.InteractionCallback) []click {
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID == "" {
		return nil
	}
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	msgTS := cb.Container.MessageTs
	if msgTS == "" {
		msgTS = cb.Message.Timestamp
	}
	thread := cb.Container.ThreadTs
	if thread == "" {
		thread = cb.Message.ThreadTimestamp
	}
	if thread == msgTS {
		thread = "" // a top-level message that has replies
	}
	var out []click
	for _, a := range cb.ActionCallback.BlockActions {
		if a == nil || !strings.HasPrefix(a.ActionID, "helpbot.") || channel == "" || msgTS == "" {
			continue
		}
		out = append(out, click{
			user: cb.User.ID, channel: channel, messageTS: msgTS, threadTS: thread,
			ephemeral: cb.Container.IsEphemeral, blockID: a.BlockID,
			action: a.ActionID, value: strings.TrimSpace(a.Value), blocks: cb.Message.Blocks,
		})
	}
	return out
}

// handleClick is the worker side of one button press; it returns the
// press's outcome for the metrics.
func (e *Edge) handleClick(ctx context.Context, c click, busy bool) string {
	// The same press delivered twice (retry, two replicas) is one press.
	// The block id changes whenever the message is re-rendered, so pressing
	// Claim again on a card that was released is a new press.
	key := "slack:click:" + c.messageTS + ":" + c.blockID + ":" + c.action + ":" + c.user
	if first, err := e.store.Once(ctx, key, dedupeTTL); err != nil {
		e.log.Warn("click dedupe failed; handling anyway", "action", c.action, "err", err)
	} else if !first {
		e.log.Debug("duplicate click ignored", "action", c.action, "user", c.user)
		return outcomeDuplicate
	}
	if busy {
		if err := e.tellOnly(ctx, c, bot.Reply{Kind: bot.KindNotice, Text: textBusy}); err != nil {
			return outcomeError
		}
		return outcomeRateLimited
	}
	a := bot.Action{
		Platform:     bot.PlatformSlack,
		Conversation: c.channel,
		Thread:       c.threadTS,
		From:         e.people.person(ctx, c.user),
		Name:         c.action,
		EscalationID: c.value,
	}
	e.log.Debug("slack click", "action", c.action, "user", c.user, "case", c.value)
	out := e.desk.HandleAction(ctx, a)
	outcome := outcomeOK
	if out.Status != "" && !c.ephemeral {
		m := message{blocks: withStatus(c.blocks, out.Status), fallback: capEsc(out.Status, 300)}
		if err := e.update(ctx, c.channel, c.messageTS, m); err != nil {
			e.log.Warn("could not replace buttons", "channel", c.channel, "err", err)
			outcome = outcomeError
		}
	}
	for _, r := range out.Replies {
		var err error
		if r.Ephemeral {
			err = e.tellOnly(ctx, c, r)
		} else {
			err = e.say(ctx, c.channel, c.threadTS, r)
		}
		if err != nil {
			outcome = outcomeError
		}
	}
	return outcome
}

// tellOnly shows a reply to the person who pressed, nobody else.
func (e *Edge) tellOnly(ctx context.Context, c click, r bot.Reply) error {
	err := e.ephemeral(ctx, c.channel, c.user, withThread(renderReply(r), c.threadTS))
	if err != nil {
		e.log.Warn("ephemeral reply failed", "channel", c.channel, "err", err)
	}
	return err
}
