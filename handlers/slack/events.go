package slack

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// envelope is an Events API callback (HTTP body, or a Socket Mode payload).
// Only the fields the bot reads are decoded.
type envelope struct {
	Type      string     `json:"type"`
	Challenge string     `json:"challenge,omitempty"`
	EventID   string     `json:"event_id,omitempty"`
	TeamID    string     `json:"team_id,omitempty"`
	Event     innerEvent `json:"event"`
}

type innerEvent struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype,omitempty"`
	User        string `json:"user,omitempty"`
	BotID       string `json:"bot_id,omitempty"`
	Text        string `json:"text,omitempty"`
	Channel     string `json:"channel,omitempty"`
	ChannelType string `json:"channel_type,omitempty"`
	TS          string `json:"ts,omitempty"`
	ThreadTS    string `json:"thread_ts,omitempty"`
}

var errBadEvent = errors.New("not an event callback")

// key names the conversation an event belongs to (as route will see it):
// deliveries with one key are handled in order, one at a time.
func (env envelope) key() string {
	ev := env.Event
	thread := ev.ThreadTS
	if thread == "" && ev.ChannelType != "im" {
		thread = ev.TS // a channel question starts its own thread
	}
	return ev.Channel + ":" + thread
}

// parseEnvelope decodes an Events API body. It never panics on any input
// (FuzzParseEvent) and rejects callbacks without the ids dedupe needs.
func parseEnvelope(body []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return envelope{}, err
	}
	switch env.Type {
	case "url_verification":
		return env, nil
	case "event_callback":
		if env.EventID == "" || env.Event.Type == "" {
			return envelope{}, errBadEvent
		}
		return env, nil
	}
	return envelope{}, errBadEvent
}

// Subtypes that are still a person saying something; every other subtype
// (edits, deletions, joins, bot posts…) is ignored.
var spokenSubtypes = map[string]bool{"": true, "thread_broadcast": true, "file_share": true}

// route decides whether an event is a question for the bot, and turns it
// into a Message. Rules: DMs always; @mentions in channels (answered in a
// thread); follow-ups by the asker in a thread the bot is already in; any
// top-level message in SLACK_ANSWER_CHANNELS. Never bots, never itself.
func (e *Edge) route(ctx context.Context, ev innerEvent) (bot.Message, bool) {
	if ev.Type != "message" && ev.Type != "app_mention" {
		return bot.Message{}, false
	}
	me, _ := e.self()
	if ev.BotID != "" || ev.User == "" || ev.User == me ||
		!spokenSubtypes[ev.Subtype] || ev.Channel == "" || ev.TS == "" {
		return bot.Message{}, false
	}
	m := bot.Message{
		Platform:     bot.PlatformSlack,
		Conversation: ev.Channel,
		From:         bot.Person{ID: ev.User},
		Text:         plainText(ev.Text, me),
	}
	if ev.Type == "message" && ev.ChannelType == "im" {
		m.Direct = true
		m.Thread = ev.ThreadTS
		return m, true
	}
	if ev.ChannelType == "mpim" {
		// Group DMs are the hand-off chats between requester and tech.
		return bot.Message{}, false
	}
	mentioned := ev.Type == "app_mention" || (me != "" && strings.Contains(ev.Text, "<@"+me))
	inThread := ev.ThreadTS != "" && ev.ThreadTS != ev.TS
	m.Thread = ev.TS
	if inThread {
		m.Thread = ev.ThreadTS
	}
	switch {
	case mentioned:
		return m, true
	case inThread:
		// A follow-up without a mention: only the asker, only in a thread
		// the bot is already answering in.
		s, err := e.store.LoadSession(ctx, m.SessionKey())
		if err != nil {
			e.log.Warn("session lookup failed; ignoring thread reply", "channel", ev.Channel, "err", err)
			return bot.Message{}, false
		}
		return m, s.Requester.ID == ev.User
	case e.answerIn[ev.Channel]:
		return m, true
	}
	return bot.Message{}, false
}

var markupRe = regexp.MustCompile(`<([^<>]*)>`)

// plainText turns Slack's message markup into what the person typed:
// our own mention removed, links as "label (url)", mentions as @id, and
// &amp; &lt; &gt; decoded. The core treats text as plain; edges escape it
// again on the way out.
func plainText(s, me string) string {
	s = markupRe.ReplaceAllStringFunc(s, func(tok string) string {
		inner := tok[1 : len(tok)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case me != "" && target == "@"+me:
			return ""
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if hasLabel && label != "" {
				return target[:1] + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			name, _, _ := strings.Cut(target[1:], "^")
			if hasLabel && label != "" {
				return label
			}
			return "@" + name
		case hasLabel && label != "" && label != target && strings.TrimPrefix(target, "mailto:") != label:
			return label + " (" + target + ")"
		case hasLabel && label != "":
			return label
		}
		return target
	})
	return strings.TrimSpace(unescaper.Replace(s))
}

// Slack encodes exactly these three in message text; anything else that
// looks like an entity is what the person typed.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// handleEvent is the worker side of one Events API delivery, received at
// received; it returns the delivery's outcome for the metrics.
func (e *Edge) handleEvent(ctx context.Context, env envelope, busy bool, received time.Time) string {
	first, err := e.store.Once(ctx, "slack:ev:"+env.EventID, dedupeTTL)
	if err != nil {
		// Without Redis we cannot tell a retry from a new event; answering
		// twice beats dropping a question, and the desk says Redis is down.
		e.log.Warn("event dedupe failed; handling anyway", "event", env.EventID, "err", err)
		first = true
	}
	if !first {
		e.log.Debug("duplicate event ignored", "event", env.EventID)
		return outcomeDuplicate
	}
	m, ok := e.route(ctx, env.Event)
	if !ok {
		return outcomeOK // not a question for the bot
	}
	// One @mention can arrive both as app_mention and as message, with
	// different event ids: the message itself is the unit of work.
	if first, err := e.store.Once(ctx, "slack:msg:"+env.Event.Channel+":"+env.Event.TS, dedupeTTL); err == nil && !first {
		e.log.Debug("message already handled", "event", env.EventID, "channel", env.Event.Channel)
		return outcomeDuplicate
	}
	if busy {
		if err := e.say(ctx, m.Conversation, m.Thread, bot.Reply{Kind: bot.KindNotice, Text: textBusy}); err != nil {
			return outcomeError
		}
		return outcomeRateLimited
	}
	m.From = e.people.person(ctx, m.From.ID)
	e.log.Debug("slack question", "event", env.EventID, "channel", m.Conversation, "user", m.From.ID, "text", m.Text)
	replies := e.desk.HandleMessage(ctx, m)
	outcome, replied := outcomeOK, false
	for _, r := range replies {
		var err error
		if r.Ephemeral {
			if err = e.ephemeral(ctx, m.Conversation, m.From.ID, withThread(renderReply(r), m.Thread)); err != nil {
				e.log.Warn("ephemeral reply failed", "channel", m.Conversation, "err", err)
			}
		} else {
			err = e.say(ctx, m.Conversation, m.Thread, r)
		}
		switch {
		case err != nil:
			outcome = outcomeError
		case !replied:
			replied = true
			e.met.ObserveReply(bot.PlatformSlack, time.Since(received))
		}
	}
	return outcome
}

const textBusy = "I'm swamped right now and couldn't get to your message. Please try again in a minute."

func withThread(m message, thread string) message {
	m.thread = thread
	return m
}

// say posts a reply in a conversation (in the thread, when there is one).
// A failure is logged here; the error is for the caller's bookkeeping.
func (e *Edge) say(ctx context.Context, channel, thread string, r bot.Reply) error {
	_, err := e.post(ctx, channel, withThread(renderReply(r), thread))
	if err != nil {
		e.log.Warn("reply failed", "channel", channel, "kind", string(r.Kind), "err", err)
	}
	return err
}
