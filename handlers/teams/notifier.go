package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/helpbot/helpbot/bot"
)

// ErrNoTechChannel: no channel has been chosen for escalation cards yet.
var ErrNoTechChannel = errors.New("teams: no tech channel yet: add the bot to the techs' team or mention it there with \"use this channel for escalations\"")

// Notifier returns the Desk's Notifier for Teams: case cards in the techs'
// channel, messages to requesters in their personal chat.
func (e *Edge) Notifier() bot.Notifier { return notifier{e} }

type notifier struct{ e *Edge }

var _ bot.Notifier = notifier{}

var (
	_ bot.Reminder    = notifier{}
	_ bot.Broadcaster = notifier{}
)

// Announce posts a case card to the techs' channel as a new thread.
func (n notifier) Announce(ctx context.Context, c bot.Escalation) (string, error) {
	return n.post(ctx, c, "")
}

// Remind implements bot.Reminder: the old card loses its buttons and points
// below, and a fresh card goes to the bottom of the channel where techs
// look, so nobody claims from a card scrolled out of sight.
func (n notifier) Remind(ctx context.Context, c bot.Escalation, urgent bool) (string, error) {
	e := n.e
	wait := bot.FormatAge(c.Age(e.now()))
	if old, err := parseCardRef(c.Card); err == nil {
		stale := caseCard(c, e.now(), old.Chat)
		stale.Actions = nil
		stale.text("⏰ Still unclaimed after "+wait+": reposted below.", textBlock{IsSubtle: true, Spacing: "medium"})
		a := outActivity{Type: typeMessage, Conversation: &schema.ConversationAccount{ID: old.Conversation},
			Attachments: []schema.Attachment{stale.attachment()}}
		if err := e.conn.update(ctx, old.ServiceURL, old.Conversation, old.Activity, a); err != nil {
			e.log.Warn("teams: could not retire the old card", "case", c.ID, "err", err)
		}
	}
	note := "⏰ Waiting " + wait
	if urgent {
		note = "⏰ Urgent, waiting " + wait
	}
	return n.post(ctx, c, note)
}

// Broadcast implements bot.Broadcaster: a post in the techs' channel.
func (n notifier) Broadcast(ctx context.Context, r bot.Reply) error {
	e := n.e
	ch, err := e.refs.techChannel(ctx)
	if errors.Is(err, errNoRef) {
		return ErrNoTechChannel
	}
	if err != nil {
		return err
	}
	if err := e.sendTo(ctx, ch, r); err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

func (n notifier) post(ctx context.Context, c bot.Escalation, note string) (string, error) {
	e := n.e
	ch, err := e.refs.techChannel(ctx)
	if errors.Is(err, errNoRef) {
		return "", ErrNoTechChannel
	}
	if err != nil {
		return "", err
	}
	chat := e.requesterChat(ctx, c)
	a := outActivity{Type: typeMessage, From: &ch.Bot,
		Conversation: &schema.ConversationAccount{ID: ch.Conversation.ID},
		Summary:      "New IT request " + c.ID,
		Attachments:  []schema.Attachment{caseCardWith(c, e.now(), chat, note).attachment()}}
	id, err := e.conn.send(ctx, ch.ServiceURL, ch.Conversation.ID, a)
	if err != nil {
		return "", fmt.Errorf("announce %s: %w", c.ID, err)
	}
	raw, _ := json.Marshal(cardRef{ServiceURL: ch.ServiceURL, Conversation: ch.Conversation.ID, Activity: id, Chat: chat})
	return string(raw), nil
}

// UpdateCard redraws the case card in place.
func (n notifier) UpdateCard(ctx context.Context, c bot.Escalation) error {
	e := n.e
	ref, err := parseCardRef(c.Card)
	if err != nil {
		return err
	}
	a := outActivity{Type: typeMessage,
		Conversation: &schema.ConversationAccount{ID: ref.Conversation},
		Attachments:  []schema.Attachment{caseCard(c, e.now(), chatTarget(c)).attachment()}}
	if err := e.conn.update(ctx, ref.ServiceURL, ref.Conversation, ref.Activity, a); err != nil {
		return fmt.Errorf("update card of %s: %w", c.ID, err)
	}
	return nil
}

// Tell messages the requester: in their personal chat with the bot when
// there is one, else where they asked.
func (n notifier) Tell(ctx context.Context, c bot.Escalation, r bot.Reply) error {
	e := n.e
	ref, err := e.refs.user(ctx, c.Requester.ID)
	if err != nil {
		if jerr := json.Unmarshal([]byte(c.Ref), &ref); jerr != nil || ref.Conversation.ID == "" {
			return fmt.Errorf("tell requester of %s: no way to reach them", c.ID)
		}
	}
	if err := e.sendTo(ctx, ref, r); err != nil {
		return fmt.Errorf("tell requester of %s: %w", c.ID, err)
	}
	return nil
}

// requesterChat finds whom the "Chat with" link should open a chat with:
// the requester's UPN, looked up once when the case is announced (Teams
// deep links take a UPN); their Entra object id when the lookup fails.
func (e *Edge) requesterChat(ctx context.Context, c bot.Escalation) string {
	var ref schema.ConversationReference
	if json.Unmarshal([]byte(c.Ref), &ref) == nil && ref.User.ID != "" && ref.Conversation.ID != "" {
		m, err := e.conn.member(ctx, ref.ServiceURL, channelRoot(ref.Conversation.ID), ref.User.ID)
		if err == nil && m.UserPrincipalName != "" {
			return m.UserPrincipalName
		}
		if err != nil {
			e.log.Debug("teams: requester lookup failed; chat link uses the object id", "case", c.ID, "err", err)
		}
	}
	if len(c.Requester.ID) > 3 && c.Requester.ID[:3] != "bf:" {
		return c.Requester.ID
	}
	return ""
}

// chatTarget is the chat link target saved with the card reference.
func chatTarget(c bot.Escalation) string {
	if ref, err := parseCardRef(c.Card); err == nil && ref.Chat != "" {
		return ref.Chat
	}
	if len(c.Requester.ID) > 3 && c.Requester.ID[:3] != "bf:" {
		return c.Requester.ID
	}
	return ""
}
