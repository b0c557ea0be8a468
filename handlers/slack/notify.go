package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

var (
	_ bot.Notifier    = (*Edge)(nil)
	_ bot.HandOffer   = (*Edge)(nil)
	_ bot.Reminder    = (*Edge)(nil)
	_ bot.Broadcaster = (*Edge)(nil)
)

// A card reference is "channel:ts", stored with the case so any replica can
// update the card.
func cardRef(channel, ts string) string { return channel + ":" + ts }

func parseCardRef(ref string) (channel, ts string, ok bool) {
	channel, ts, ok = strings.Cut(ref, ":")
	return channel, ts, ok && channel != "" && ts != ""
}

// Announce posts a new case card to the techs' channel.
func (e *Edge) Announce(ctx context.Context, c bot.Escalation) (string, error) {
	ts, err := e.post(ctx, e.cfg.TechChannel, renderCard(c))
	if err != nil {
		return "", fmt.Errorf("post case card %s: %w", c.ID, err)
	}
	return cardRef(e.cfg.TechChannel, ts), nil
}

// UpdateCard re-renders the card in place and records the change in the
// card's thread, so the thread is the case's history.
func (e *Edge) UpdateCard(ctx context.Context, c bot.Escalation) error {
	channel, ts, ok := parseCardRef(c.Card)
	if !ok {
		return fmt.Errorf("case %s has no Slack card to update", c.ID)
	}
	if err := e.update(ctx, channel, ts, renderCard(c)); err != nil {
		return fmt.Errorf("update case card %s: %w", c.ID, err)
	}
	// The Desk re-renders the card on repeats too (a double click on
	// Claim); the history gets one line per change.
	key := fmt.Sprintf("slack:hist:%s:%s:%s:%d:%d", c.ID, c.Status, c.Claimer.ID, c.ClaimedAt.UnixMilli(), c.ResolvedAt.UnixMilli())
	if first, err := e.store.Once(ctx, key, historyTTL); err == nil && !first {
		return nil
	}
	line := historyLine(c) + " · " + slackDate(e.desk.Now())
	if _, err := e.post(ctx, channel, message{blocks: []slack.Block{contextLine(line)}, fallback: capEsc(historyLine(c), 300), thread: ts}); err != nil {
		e.log.Warn("card history post failed", "case", c.ID, "err", err)
	}
	return nil
}

// Tell sends a reply to the requester's conversation of the case.
func (e *Edge) Tell(ctx context.Context, c bot.Escalation, r bot.Reply) error {
	if c.Conversation == "" {
		return errors.New("case has no Slack conversation")
	}
	if _, err := e.post(ctx, c.Conversation, withThread(renderReply(r), c.Thread)); err != nil {
		return fmt.Errorf("tell requester of %s: %w", c.ID, err)
	}
	return nil
}

// HandOff opens a group DM with the requester and the tech that starts with
// the case summary, so they can talk directly.
func (e *Edge) HandOff(ctx context.Context, c bot.Escalation) error {
	users := []string{c.Requester.ID}
	if c.Claimer.ID != "" && c.Claimer.ID != c.Requester.ID {
		users = append(users, c.Claimer.ID)
	}
	var ch *slack.Channel
	err := e.call(ctx, "conversations.open", func() (err error) {
		ch, _, _, err = e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: users, ReturnIM: true})
		return err
	})
	if err != nil {
		return fmt.Errorf("open group DM for %s: %w", c.ID, err)
	}
	if ch == nil || ch.ID == "" {
		return fmt.Errorf("open group DM for %s: no channel returned", c.ID)
	}
	if _, err := e.post(ctx, ch.ID, renderHandOff(c)); err != nil {
		return fmt.Errorf("post hand-off for %s: %w", c.ID, err)
	}
	return nil
}

// Remind brings a case that waited too long back in front of the techs: a
// reply in the card's thread (with @here when urgent, the one mention the
// bot makes on its own) and a refreshed card. A case whose card was never
// posted gets one now.
func (e *Edge) Remind(ctx context.Context, c bot.Escalation, urgent bool) (string, error) {
	channel, ts, ok := parseCardRef(c.Card)
	if !ok {
		return e.Announce(ctx, c)
	}
	if err := e.update(ctx, channel, ts, renderCard(c)); err != nil {
		e.log.Warn("card refresh failed", "case", c.ID, "err", err)
	}
	if _, err := e.post(ctx, channel, renderReminder(c, e.desk.Now(), urgent, ts)); err != nil {
		return "", fmt.Errorf("remind %s: %w", c.ID, err)
	}
	return "", nil
}

// Broadcast posts to the techs' channel (the daily digest, notices).
func (e *Edge) Broadcast(ctx context.Context, r bot.Reply) error {
	if _, err := e.post(ctx, e.cfg.TechChannel, renderReply(r)); err != nil {
		return fmt.Errorf("post to the techs' channel: %w", err)
	}
	return nil
}
