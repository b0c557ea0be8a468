package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// HandleMessage runs one turn of a conversation and returns the replies for
// the conversation it came from. It never fails: when a dependency is down
// the replies say so plainly and tell the person how to reach IT.
func (d *Desk) HandleMessage(ctx context.Context, m Message) []Reply {
	now := d.now()
	var admitted *Admission // the session, when the store loaded it with the rate check
	if d.policy.RateLimit > 0 {
		var ok, first bool
		var err error
		if a, can := d.store.(Admitter); can {
			ad := a.Admit(ctx, m.Platform+":"+m.From.ID, d.policy.RateLimit, d.policy.RateWindow, m.SessionKey())
			ok, first, err, admitted = ad.Allowed, ad.FirstRefusal, ad.LimitErr, &ad
		} else {
			ok, first, err = d.store.Allow(ctx, m.Platform+":"+m.From.ID, d.policy.RateLimit, d.policy.RateWindow)
		}
		switch {
		case err != nil:
			d.log.Warn("rate limit check failed; allowing", "user", m.From.ID, "err", err)
		case !ok && first:
			return []Reply{{Kind: KindNotice, Text: textSlowDown}}
		case !ok:
			return nil
		}
	}

	sc := d.screener.Screen(m.Text)
	var out []Reply
	if len(sc.Secrets) > 0 {
		out = append(out, Reply{Kind: KindWarning, Text: textSecretRemoved})
	}
	if sc.Policy != "" {
		d.emit(ctx, Event{Type: EventPolicy, Platform: m.Platform, User: m.From.ID})
		return append(out, Reply{Kind: KindPolicy, Text: PolicyAnswer(sc.Policy)})
	}
	if strings.TrimSpace(placeholderRe.ReplaceAllString(sc.Text, "")) == "" {
		return append(out, d.helpReply())
	}

	var sess Session
	var err error
	if admitted != nil {
		sess, err = admitted.Session, admitted.SessionErr
	} else {
		sess, err = d.store.LoadSession(ctx, m.SessionKey())
	}
	if err != nil {
		d.log.Warn("session load failed; continuing without context", "session", m.SessionKey(), "err", err)
		sess = Session{}
	}
	sess.Key = m.SessionKey()
	if sess.Requester.ID == "" {
		sess.Requester = m.From
	}
	sess.addTurn("requester", sc.Text, now)

	replies := d.converse(ctx, &sess, m, sc)

	for _, r := range replies {
		sess.addTurn("bot", turnSummary(r), now)
	}
	sess.UpdatedAt = now
	if sess.State == stateUnsaved { // forget me, purge, export: not kept (rights.go)
		return append(out, replies...)
	}
	if err := d.store.SaveSession(ctx, sess); err != nil {
		d.log.Warn("session save failed", "session", sess.Key, "err", err)
	}
	return append(out, replies...)
}

// placeholderRe matches what the screen leaves where a secret was; a message
// that was nothing but a secret gets the warning and the help text only.
var placeholderRe = prefilter.MustCompile(`\[(password|secret) removed\]`)

// origin is where a turn came from; messages and button presses both have one.
type origin struct {
	Platform, Conversation, Thread, Ref string
	From                                Person
}

func (m Message) origin() origin {
	return origin{m.Platform, m.Conversation, m.Thread, m.Ref, m.From}
}

func (d *Desk) converse(ctx context.Context, sess *Session, m Message, sc Screened) []Reply {
	text := sc.Text
	o := m.origin()

	if r, ok := d.rightsCommand(ctx, sess, m, text); ok { // forget me, purge, export (rights.go)
		return r
	}
	if sess.State == StateAwaitingDetails && sess.Pending != nil {
		return d.takeDetails(ctx, sess, o, text)
	}
	switch {
	case isGreeting(text):
		return []Reply{d.helpReply()}
	case isStatus(text):
		return []Reply{d.statusReply(ctx, m.Platform, m.From)}
	}
	if sess.Case != "" {
		if r, ok := d.typedVerdict(ctx, sess, m, text); ok {
			return r
		}
		if isSolved(text) {
			if r, ok := d.solvedWithCaseOpen(ctx, sess); ok {
				return r
			}
		}
		// More about the problem goes on the case; a new question ("how
		// do I reset his password") is answered as any question is.
		if saysProblem(text) && !wantsPerson(text) && !stillBroken(text) && !isQuestion(text) {
			if r, ok := d.addToCase(ctx, sess, m, text); ok {
				return r
			}
		}
	}
	if isCancel(text) && !isSolved(text) {
		// "never mind" with nothing pending: nothing to search for. With
		// a case open, offer to withdraw it (only the person decides).
		if r, ok := d.openCaseOffer(ctx, sess, textCancelOffer); ok {
			return r
		}
		sess.Answered = false
		return []Reply{{Kind: KindNotice, Text: textOK}}
	}
	switch {
	case isThanks(text) && sess.Answered:
		sess.Answered = false
		d.emit(ctx, Event{Type: EventSolved, Platform: m.Platform, User: m.From.ID, Sources: sess.Offered})
		sess.Offered = nil
		return []Reply{{Kind: KindNotice, Text: textGlad}}
	case sess.Answered && isNo(text): // "no" to "That fixed it / Get a tech"
		return d.escalate(ctx, sess, o, ReasonStillBroken, PriorityNormal, "")
	case isThanks(text): // a plain "thank you" (to the tech, say): nothing to search for
		return []Reply{{Kind: KindNotice, Text: textWelcome}}
	case isYesNo(text): // "ok", "sure" with no question pending
		return []Reply{{Kind: KindNotice, Text: textOK}}
	case saysNothing(text): // "????", "👀": nothing to search for, and not a miss
		return []Reply{d.helpReply()}
	case wantsPerson(text):
		return d.escalate(ctx, sess, o, ReasonRequested, PriorityNormal, text)
	case (sess.Answered || sess.Case != "") && stillBroken(text):
		return d.escalate(ctx, sess, o, ReasonStillBroken, d.priorityOf(text), "")
	}

	d.emit(ctx, Event{Type: EventAsked, Platform: m.Platform, User: m.From.ID})
	audience := AudienceStaff
	if d.isTech(ctx, m.Platform, m.From) {
		audience = AudienceTech
	}
	ans, err := d.answerer.Answer(ctx, Question{Text: searchText(text, d.policy.Buildings), Audience: audience, History: sess.Turns, Sensitive: sc.Sensitive})
	if err != nil {
		d.log.Warn("answerer failed", "session", sess.Key, "err", err)
		ans = Answer{}
	}
	confident := ans.Confident && !ans.NotCovered && ans.Text != ""
	var shown Source // the section this answer shows, if any
	if confident && len(ans.Sources) > 0 {
		shown = ans.Sources[0]
	}

	if isUrgent(text) {
		// A class is stopped: get a person moving first; still show the fix
		// the KB has, so the teacher can try it while a tech is on the way.
		var out []Reply
		if confident {
			sess.offer(ans.Sources)
			d.emit(ctx, Event{Type: EventAnswered, Platform: m.Platform, User: m.From.ID, Sources: ans.Sources, Confidence: ans.Confidence})
			out = append(out, Reply{Kind: KindAnswer, Text: textWhileYouWait + "\n\n" + ans.Text, Sources: ans.Sources})
		}
		return append(out, d.escalate(ctx, sess, o, ReasonUrgent, PriorityUrgent, text)...)
	}

	if confident && sess.Answered && sameSection(shown, sess.Shown) {
		// The follow-up leads back to the steps just shown: say so, and
		// offer a person, rather than repeat them as if they were new.
		return []Reply{{Kind: KindNotice,
			Text:    fmt.Sprintf(textSameSteps, sectionName(sess.Shown)),
			Choices: []Choice{{Action: ActionEscalate, Label: "Get a tech", Style: "primary"}},
		}}
	}
	if confident {
		sess.Answered = true
		sess.Misses = 0
		sess.Shown = shown
		sess.offer(ans.Sources)
		d.emit(ctx, Event{Type: EventAnswered, Platform: m.Platform, User: m.From.ID, Sources: ans.Sources, Confidence: ans.Confidence})
		return []Reply{{
			Kind:    KindAnswer,
			Text:    ans.Text,
			Sources: ans.Sources,
			Choices: []Choice{
				{Action: ActionSolved, Label: "That fixed it", Style: "primary"},
				{Action: ActionEscalate, Label: "Get a tech"},
			},
		}}
	}

	sess.Answered = false
	sess.Misses++
	d.emit(ctx, Event{Type: EventNotSure, Platform: m.Platform, User: m.From.ID, Question: text, Sources: ans.Related, Confidence: ans.Confidence})
	if sess.Misses >= d.policy.MaxMisses {
		out := []Reply{{Kind: KindNotice, Text: textStillNoAnswer}}
		return append(out, d.escalate(ctx, sess, o, ReasonUnanswered, d.priorityOf(text), "")...)
	}
	r := Reply{Kind: KindNotSure, Text: textNotSure, Related: ans.Related,
		Choices: []Choice{{Action: ActionEscalate, Label: "Get a tech", Style: "primary"}}}
	if len(ans.Related) > 0 {
		r.Text = textNotSureRelated
	}
	return []Reply{r}
}

// sameSection reports whether two sources are the same part of the same
// article.
func sameSection(a, b Source) bool {
	return a.Path != "" && a.Path == b.Path && a.Section == b.Section
}

// sectionName is how a source is named to the person: its section, or its
// title when the whole article was shown.
func sectionName(s Source) string {
	if s.Section != "" {
		return s.Section
	}
	return s.Title
}

func (d *Desk) priorityOf(text string) Priority {
	if isUrgent(text) {
		return PriorityUrgent
	}
	return PriorityNormal
}

func (d *Desk) helpReply() Reply {
	return Reply{Kind: KindNotice, Text: textHelp}
}

// statusReply lists the person's own cases.
func (d *Desk) statusReply(ctx context.Context, platform string, p Person) Reply {
	list, err := d.store.RequesterEscalations(ctx, platform, p.ID, 10)
	if err != nil {
		d.log.Warn("status lookup failed", "user", p.ID, "err", err)
		return Reply{Kind: KindError, Text: "I can't look up your requests right now. " + d.contactLine()}
	}
	if len(list) == 0 {
		return Reply{Kind: KindNotice, Text: "You have no open requests with the tech team."}
	}
	now := d.now()
	var b strings.Builder
	b.WriteString("Your requests:")
	for _, e := range list {
		fmt.Fprintf(&b, "\n• %s: %s (%s, opened %s)", e.ID, e.Summary, statusWords(e), Ago(e.Age(now)))
	}
	return Reply{Kind: KindNotice, Text: b.String()}
}

func statusWords(e Escalation) string {
	switch e.Status {
	case StatusClaimed:
		return e.Claimer.Display() + " is on it"
	case StatusResolved:
		return "resolved"
	case StatusCancelled:
		return "cancelled"
	default:
		return "waiting for a tech"
	}
}

func (d *Desk) contactLine() string {
	return "Please reach IT another way: " + d.policy.Contact + "."
}

// turnSummary is what a bot reply contributes to the transcript: the kind of
// reply and the articles, not the whole article text.
func turnSummary(r Reply) string {
	switch r.Kind {
	case KindAnswer:
		var titles []string
		for _, s := range r.Sources {
			titles = append(titles, s.Title)
		}
		return "answered from: " + strings.Join(titles, "; ")
	case KindNotSure:
		return "not sure; offered a tech"
	case KindEscalated:
		return "filed " + r.EscalationID
	case KindAskLocation:
		return "asked for building/room"
	case KindPolicy:
		return "policy answer"
	}
	return ""
}
