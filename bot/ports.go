package bot

import (
	"context"
	"time"
)

// Answerer finds what the knowledge base says about a question. The
// extractive KB answerer lives in knowledge/; the LLM one in knowledge/llm
// wraps it and must never be worse.
type Answerer interface {
	Answer(ctx context.Context, q Question) (Answer, error)
}

// Audience says who is asking; articles for techs are never shown to staff.
type Audience string

const (
	AudienceStaff Audience = "staff"
	AudienceTech  Audience = "tech"
)

// Question is what the Desk asks an Answerer. Text is normalised and has had
// secrets redacted; History holds recent turns of this session, oldest first.
type Question struct {
	Text      string
	Audience  Audience
	History   []Turn
	Sensitive bool // health/IEP/504/discipline: must not leave for an LLM
}

// Answer is an Answerer's result. When Confident is false the Desk says it is
// not sure, shows Related and offers a tech; it never presents Text as fact.
type Answer struct {
	Confident  bool
	Confidence float64 // 0..1, calibrated so one threshold works across KBs
	Text       string  // plain text, ready to show
	Sources    []Source
	Related    []Source
	// NotCovered is set by an answerer that can tell the KB does not cover
	// the question (an LLM saying so); it is treated as low confidence.
	NotCovered bool
}

// Screener normalises and screens incoming text before anything else sees it.
// The implementation (bot/screen) needs Unicode tables outside the standard
// library, so the core takes it as a port.
type Screener interface {
	Screen(text string) Screened
}

// Screened is text made safe to store and search.
type Screened struct {
	Text      string   // normalised, secrets redacted
	Secrets   []string // kinds of secret removed ("password", "token"…); non-empty → warn the user
	Policy    string   // non-empty: a request the bot refuses with a fixed answer (see PolicyAnswer)
	Sensitive bool     // health/IEP/504/discipline topic
	Truncated bool     // longer than the cap; cut
}

// Sessions keeps conversation context.
type Sessions interface {
	LoadSession(ctx context.Context, key string) (Session, error) // zero Session (with Key) when new
	SaveSession(ctx context.Context, s Session) error
	DeleteSession(ctx context.Context, key string) error
}

// Escalations keeps cases and their lifecycle. Claim, Release, Resolve and
// Reopen are atomic: with many replicas and double clicks exactly one claim
// wins, and the same tech claiming twice succeeds both times (Claim reports
// first=false the second time, so nobody is notified twice).
type Escalations interface {
	CreateEscalation(ctx context.Context, e Escalation) (Escalation, error) // assigns ID
	Escalation(ctx context.Context, id string) (Escalation, error)
	Claim(ctx context.Context, id string, tech Person, at time.Time) (e Escalation, first bool, err error)
	Release(ctx context.Context, id string, tech Person, at time.Time) (Escalation, error)
	Resolve(ctx context.Context, id string, tech Person, at time.Time) (Escalation, error)
	Reopen(ctx context.Context, id string, at time.Time) (Escalation, error)
	Cancel(ctx context.Context, id string, at time.Time) (Escalation, error)
	SetCard(ctx context.Context, id, card string) error
	SetSatisfaction(ctx context.Context, id, verdict string, at time.Time) error
	// AddNote appends what the requester said after the case was filed to
	// its transcript (the latest few are kept).
	AddNote(ctx context.Context, id string, t Turn) (Escalation, error)
	// SetUrgent raises a case to urgent (what the requester added says a
	// class or a building is stopped).
	SetUrgent(ctx context.Context, id string, at time.Time) error
	// SetPlace replaces the building and room of an open case (the
	// requester said where only after it was filed).
	SetPlace(ctx context.Context, id string, p Place, at time.Time) error
	OpenEscalations(ctx context.Context, limit int) ([]Escalation, error) // oldest first
	RequesterEscalations(ctx context.Context, platform, userID string, limit int) ([]Escalation, error)
}

// Limiter is the per-user rate limit and the dedupe of delivered events.
type Limiter interface {
	// Allow reports whether user may send another message now, and whether
	// this is the first refusal in the window (so one notice is sent).
	Allow(ctx context.Context, user string, limit int, window time.Duration) (ok, firstRefusal bool, err error)
	// Once reports true the first time key is seen within ttl, across replicas.
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Admitter is an optional Store ability: a message's rate-limit check and
// its conversation's session load in one round trip instead of two. The
// results are exactly Allow's and LoadSession's, each with its own error,
// so the Desk treats them as it treats the separate calls.
type Admitter interface {
	Admit(ctx context.Context, user string, limit int, window time.Duration, sessionKey string) Admission
}

// Admission is what Admit found.
type Admission struct {
	Allowed, FirstRefusal bool  // as Allow's ok and firstRefusal
	LimitErr              error // as Allow's error
	Session               Session
	SessionErr            error // as LoadSession's error
}

// Store is everything the Desk keeps; bot/redis implements it.
type Store interface {
	Sessions
	Escalations
	Limiter
	Ping(ctx context.Context) error
}

// Notifier delivers to people other than the one who just spoke: the techs'
// channel and the requester's conversation. One per platform.
type Notifier interface {
	// Announce posts a new case card to the techs and returns a reference
	// the edge can later use to update it.
	Announce(ctx context.Context, e Escalation) (card string, err error)
	// UpdateCard re-renders the case card in place.
	UpdateCard(ctx context.Context, e Escalation) error
	// Tell sends replies to the requester's conversation of the case.
	Tell(ctx context.Context, e Escalation, r Reply) error
}

// HandOffer is an optional Notifier ability: put requester and tech in one
// conversation after a claim (Slack opens a group DM).
type HandOffer interface {
	HandOff(ctx context.Context, e Escalation) error
}

// Techs says who may claim, resolve and release cases on a platform.
type Techs interface {
	IsTech(ctx context.Context, platform string, p Person) (bool, error)
}

// TechsFunc adapts a function to Techs.
type TechsFunc func(ctx context.Context, platform string, p Person) (bool, error)

// IsTech calls f.
func (f TechsFunc) IsTech(ctx context.Context, platform string, p Person) (bool, error) {
	return f(ctx, platform, p)
}

// Broadcaster is an optional Notifier ability: post to the techs' channel
// (daily digest, notices). Edges without it simply skip those posts.
type Broadcaster interface {
	Broadcast(ctx context.Context, r Reply) error
}

// Reminder is an optional Notifier ability: bring an unclaimed case back in
// front of the techs (Slack: a thread reply, with @here when urgent; Teams:
// a fresh card). It returns the card reference to use from now on ("" keeps
// the old one). Without it the Desk announces the case again.
type Reminder interface {
	Remind(ctx context.Context, e Escalation, urgent bool) (card string, err error)
}
