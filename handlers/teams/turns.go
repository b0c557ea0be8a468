package teams

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/helpbot/helpbot/bot"
)

// What the Teams edge says itself; everything else comes from the Desk.
const (
	textBusy          = "I'm handling a lot of requests right now and couldn't get to yours. Please send it again in a minute."
	textWelcome       = "Hi! I'm the IT help bot. Tell me what's wrong in your own words, for example \"the projector says no signal\". I'll answer from the district's help articles, and pass it to a tech if that doesn't fix it."
	textChannelHello  = "Hi! Mention me with a question (@helpbot the printer is jammed) and I'll answer in the thread."
	textTechChannel   = "Got it: escalation cards will be posted in this channel. Techs can claim them right here."
	textTechDefault   = "Escalation cards will be posted in this channel. To move them, a tech can mention me in another channel with \"use this channel for escalations\"."
	textNotTechSetup  = "Only the IT team can choose where escalations go."
	textSetupInTeam   = "Run this in the team channel where the techs should see new cases."
	setupCommandWords = "use this channel for escalations"
)

// process runs one acknowledged activity on a worker (within the pool's
// budget for one job) and records what came of it.
func (e *Edge) process(ctx context.Context, j job) {
	act := j.act
	if !e.firstDelivery(ctx, act) {
		e.log.Debug("teams: duplicate activity ignored", "activity", act.ID)
		e.count(outcomeDuplicate)
		return
	}
	ctx, t := withTurn(ctx)
	switch act.Type {
	case typeMessage:
		if d, ok := act.submitted(); ok {
			e.submit(ctx, act, d)
		} else {
			e.message(ctx, act)
		}
	case typeConversationUpdate:
		e.installed(ctx, act)
	}
	sent, failed := t.result()
	if failed {
		e.count(outcomeError)
	} else {
		e.count(outcomeOK)
	}
	if !sent.IsZero() && act.Type == typeMessage {
		e.metrics.ObserveReply(bot.PlatformTeams, sent.Sub(j.received))
	}
}

// turn follows one activity through a worker: when the first thing the
// bot sent for it went out (the reply latency) and whether any send failed.
// It travels in the context so every send on the activity's behalf, the
// Desk's notifications included, is seen.
type turn struct {
	mu     sync.Mutex
	sent   time.Time
	failed bool
}

type turnKey struct{}

func withTurn(ctx context.Context) (context.Context, *turn) {
	t := &turn{}
	return context.WithValue(ctx, turnKey{}, t), t
}

// noteSend records a connector send (or update) made under ctx.
func noteSend(ctx context.Context, err error) {
	t, _ := ctx.Value(turnKey{}).(*turn)
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err != nil:
		t.failed = true
	case t.sent.IsZero():
		t.sent = time.Now()
	}
}

func (t *turn) result() (sent time.Time, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent, t.failed
}

func (e *Edge) person(act activity) bot.Person {
	return bot.Person{ID: act.userID(), Name: act.From.Name}
}

func refJSON(ref schema.ConversationReference) string {
	raw, _ := json.Marshal(ref)
	return string(raw)
}

// message answers a question: in personal chat always, elsewhere only when
// the bot is @mentioned (Teams sends nothing else, but a group chat may).
func (e *Edge) message(ctx context.Context, act activity) {
	kind := act.kind()
	if kind != "personal" && !act.mentionsBot() {
		return
	}
	from := e.person(act)
	text := act.question()
	if kind == "personal" && act.From.AadObjectID != "" {
		if err := e.refs.setUser(ctx, from.ID, act.ref()); err != nil {
			e.log.Warn("teams: could not store the personal chat reference", "user", from.ID, "err", err)
		}
	}
	if isSetupCommand(text) {
		e.setup(ctx, act, from, kind)
		return
	}
	e.log.Debug("teams: message", "activity", act.ID, "user", from.ID, "kind", kind)
	replies := e.desk.HandleMessage(ctx, bot.Message{
		Platform:     bot.PlatformTeams,
		Conversation: act.Conversation.ID,
		From:         from,
		Text:         text,
		Direct:       kind == "personal",
		Ref:          refJSON(act.ref()),
	})
	e.sendReplies(ctx, act, from, replies)
}

func isSetupCommand(text string) bool {
	t := strings.ToLower(strings.Trim(text, " .!"))
	return t == setupCommandWords || strings.HasSuffix(t, " "+setupCommandWords) || t == "use this channel"
}

// setup makes the current channel the techs' channel (a tech's command).
func (e *Edge) setup(ctx context.Context, act activity, from bot.Person, kind string) {
	switch {
	case kind == "personal":
		e.reply(ctx, act, noticeCard(textSetupInTeam), nil)
		return
	case !e.isTech(from):
		e.log.Info("teams: non-tech tried to set the tech channel", "user", from.ID)
		e.reply(ctx, act, noticeCard(textNotTechSetup), nil)
		return
	}
	ref := act.ref()
	ref.Conversation.ID = channelRoot(ref.Conversation.ID)
	ref.ActivityID = ""
	if err := e.refs.setTechChannel(ctx, ref); err != nil {
		e.log.Error("teams: could not store the tech channel", "err", err)
		e.reply(ctx, act, noticeCard("I couldn't save that just now; please try again in a minute."), nil)
		return
	}
	e.log.Info("teams: tech channel set", "by", from.ID, "conversation", ref.Conversation.ID)
	e.reply(ctx, act, noticeCard(textTechChannel), nil)
}

// submit handles an Action.Submit press (a message with a value).
func (e *Edge) submit(ctx context.Context, act activity, d cardData) {
	from := e.person(act)
	e.log.Debug("teams: card action", "activity", act.ID, "user", from.ID, "action", d.Action, "case", d.ID)
	out := e.desk.HandleAction(ctx, e.action(act, d))
	if out.Status != "" && act.ReplyToID != "" {
		e.redraw(ctx, act, out.Status)
	}
	e.sendReplies(ctx, act, from, out.Replies)
}

func (e *Edge) action(act activity, d cardData) bot.Action {
	return bot.Action{
		Platform:     bot.PlatformTeams,
		Conversation: act.Conversation.ID,
		From:         e.person(act),
		Name:         d.Action,
		EscalationID: d.ID,
		Ref:          refJSON(act.ref()),
	}
}

// redraw replaces the pressed card with the same content and a status line
// instead of buttons, so nobody presses a stale button.
func (e *Edge) redraw(ctx context.Context, act activity, status string) {
	c := noticeCard(status)
	if r, err := e.refs.card(ctx, act.Conversation.ID, act.ReplyToID); err == nil {
		c = replyCard(r, status)
	}
	err := e.conn.update(ctx, act.ServiceURL, act.Conversation.ID, act.ReplyToID, e.outbound(act, c))
	if err != nil {
		e.log.Warn("teams: could not update the pressed card", "activity", act.ReplyToID, "err", err)
	}
}

var techActions = map[string]bool{bot.ActionClaim: true, bot.ActionResolve: true, bot.ActionRelease: true}

// execute handles an Action.Execute invoke and returns the invoke response:
// the updated card for a case, else a message shown to the presser only.
func (e *Edge) execute(ctx context.Context, act activity, d cardData) invokeResponse {
	select {
	case e.invokeSlots <- struct{}{}:
		defer func() { <-e.invokeSlots }()
	default:
		e.count(outcomeRateLimited)
		return messageResponse(textBusy)
	}
	ctx, t := withTurn(ctx)
	defer func() {
		if _, failed := t.result(); failed {
			e.count(outcomeError)
		} else {
			e.count(outcomeOK)
		}
	}()
	from := e.person(act)
	e.log.Debug("teams: card invoke", "activity", act.ID, "user", from.ID, "action", d.Action, "case", d.ID)
	out := e.desk.HandleAction(ctx, e.action(act, d))

	var resp invokeResponse
	switch {
	case techActions[d.Action] && out.Case != nil:
		resp = cardResponse(caseCard(*out.Case, e.now(), chatTarget(*out.Case)))
	case out.Status != "":
		c := noticeCard(out.Status)
		if r, err := e.refs.card(ctx, act.Conversation.ID, act.ReplyToID); err == nil {
			c = replyCard(r, out.Status)
		}
		resp = cardResponse(c)
	}
	var rest []bot.Reply
	for _, r := range out.Replies {
		if resp.Type == "" && r.Ephemeral {
			resp = messageResponse(r.Text)
			continue
		}
		if !r.Ephemeral {
			rest = append(rest, r)
		}
	}
	if resp.Type == "" {
		resp = messageResponse("Done.")
	}
	e.sendReplies(ctx, act, from, rest)
	return resp
}

func cardResponse(c card) invokeResponse {
	return invokeResponse{StatusCode: 200, Type: cardContentType, Value: c}
}

func messageResponse(text string) invokeResponse {
	return invokeResponse{StatusCode: 200, Type: "application/vnd.microsoft.activity.message", Value: text}
}

// installed handles the bot being added to a team, a group chat or a
// person's chat. The first team channel it is added to becomes the techs'
// channel unless one is already set; a later install never moves it.
func (e *Edge) installed(ctx context.Context, act activity) {
	added := false
	for _, m := range act.MembersAdded {
		if m.ID != "" && m.ID == act.Recipient.ID {
			added = true
		}
	}
	if !added {
		return
	}
	switch act.kind() {
	case "personal":
		if act.From.AadObjectID != "" {
			if err := e.refs.setUser(ctx, e.person(act).ID, act.ref()); err != nil {
				e.log.Warn("teams: could not store the personal chat reference", "err", err)
			}
		}
		e.reply(ctx, act, noticeCard(textWelcome), nil)
	case "channel":
		ref := act.ref()
		ref.Conversation.ID = channelRoot(ref.Conversation.ID)
		ref.ActivityID = ""
		first, err := e.refs.techChannelIfNone(ctx, ref)
		if err != nil {
			e.log.Warn("teams: could not store the tech channel", "err", err)
		}
		if first {
			e.log.Info("teams: tech channel set on install", "conversation", ref.Conversation.ID)
			e.reply(ctx, act, noticeCard(textTechDefault), nil)
			return
		}
		e.reply(ctx, act, noticeCard(textChannelHello), nil)
	default:
		e.reply(ctx, act, noticeCard(textChannelHello), nil)
	}
}

// sendReplies renders the Desk's replies into the conversation they answer.
// Teams has no ephemeral messages, so a reply meant for the presser alone
// goes to their personal chat when the bot has one with them.
func (e *Edge) sendReplies(ctx context.Context, act activity, from bot.Person, replies []bot.Reply) {
	for _, r := range replies {
		if r.Ephemeral && act.kind() != "personal" {
			if ref, err := e.refs.user(ctx, from.ID); err == nil {
				e.sendTo(ctx, ref, r)
				continue
			}
		}
		e.reply(ctx, act, replyCard(r, ""), &r)
	}
}

// reply posts a card into the activity's conversation (the thread, in a
// channel). A reply with buttons is remembered so it can be redrawn.
func (e *Edge) reply(ctx context.Context, act activity, c card, r *bot.Reply) error {
	id, err := e.conn.send(ctx, act.ServiceURL, act.Conversation.ID, e.outbound(act, c))
	if err != nil {
		e.log.Warn("teams: could not send reply", "activity", act.ID, "err", err)
		return err
	}
	e.remember(ctx, act.Conversation.ID, id, r)
	return nil
}

func (e *Edge) remember(ctx context.Context, conversation, id string, r *bot.Reply) {
	if r == nil || len(r.Choices) == 0 || id == "" {
		return
	}
	if err := e.refs.setCard(ctx, conversation, id, *r); err != nil {
		e.log.Warn("teams: could not remember a sent card", "activity", id, "err", err)
	}
}

// sendTo posts a reply to a stored conversation (proactive message).
func (e *Edge) sendTo(ctx context.Context, ref schema.ConversationReference, r bot.Reply) error {
	a := outActivity{Type: typeMessage, From: &ref.Bot,
		Conversation: &schema.ConversationAccount{ID: ref.Conversation.ID},
		Attachments:  []schema.Attachment{replyCard(r, "").attachment()}}
	id, err := e.conn.send(ctx, ref.ServiceURL, ref.Conversation.ID, a)
	if err != nil {
		return err
	}
	e.remember(ctx, ref.Conversation.ID, id, &r)
	return nil
}

// outbound addresses a card as a reply to act.
func (e *Edge) outbound(act activity, c card) outActivity {
	bot := act.Recipient
	to := act.From.ChannelAccount
	return outActivity{
		Type:         typeMessage,
		From:         &bot,
		Recipient:    &to,
		Conversation: &schema.ConversationAccount{ID: act.Conversation.ID},
		Attachments:  []schema.Attachment{c.attachment()},
	}
}
