// Package bot is helpbot's platform-free core: the conversation flow, the
// escalation lifecycle and the ports (Store, Answerer, Notifier…) it needs.
//
// Edges (Slack, Teams, console, web) verify and translate platform events into
// a Message or an Action, call the Desk, and render what it returns. Nothing
// in this package knows about an SDK; it imports only the standard library.
package bot

import (
	"errors"
	"time"
)

// Platform names, used in keys, ids and to pick the Notifier for a case.
const (
	PlatformSlack   = "slack"
	PlatformTeams   = "teams"
	PlatformConsole = "console"
	PlatformWeb     = "web"
)

// Action names: the Slack action_id and the Teams card "action" field. They
// are a stable interface for integrations (see DESIGN.md).
const (
	ActionSolved     = "helpbot.solved"     // requester: the answer fixed it
	ActionEscalate   = "helpbot.escalate"   // requester: get a tech
	ActionClaim      = "helpbot.claim"      // tech: take the case
	ActionResolve    = "helpbot.resolve"    // claimer: done
	ActionRelease    = "helpbot.release"    // claimer: back to the queue
	ActionFixed      = "helpbot.fixed"      // requester after resolve: yes, fixed
	ActionNotFixed   = "helpbot.notfixed"   // requester after resolve: still broken
	ActionCancelCase = "helpbot.cancelcase" // requester: never mind, withdraw the case
	ActionSeparate   = "helpbot.separate"   // requester: what I just added is a request of its own
)

// Person is someone on a chat platform. ID is the platform's stable user id
// (Slack U…, Entra object id); Name is for display only and never trusted for
// authorisation.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Display returns the name, or the id when the name is unknown.
func (p Person) Display() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// Message is one thing a person said to the bot, already verified and
// translated by an edge.
type Message struct {
	Platform     string
	Conversation string // DM or channel id
	Thread       string // thread/reply-chain id; empty for a DM's main line
	From         Person
	Text         string // raw text as typed; the Desk normalises and screens it
	Direct       bool   // a 1:1 chat with the bot (DM / personal chat)
	// Ref is the edge's opaque way to reach this conversation later (for
	// example a Teams conversation reference as JSON). Stored with
	// escalations so the requester can be told what happens next.
	Ref string
}

// SessionKey identifies the conversation context a message belongs to.
func (m Message) SessionKey() string {
	return sessionKey(m.Platform, m.Conversation, m.Thread)
}

func sessionKey(platform, conversation, thread string) string {
	k := platform + ":" + conversation
	if thread != "" {
		k += ":" + thread
	}
	return k
}

// Action is a button press (or its console/chat-command equivalent).
type Action struct {
	Platform     string
	Conversation string
	Thread       string
	From         Person // always from the verified payload, never from Value
	Name         string // one of the Action… constants
	EscalationID string // carried in the button value; may be empty
	Ref          string // as Message.Ref
}

// SessionKey identifies the conversation the button was pressed in.
func (a Action) SessionKey() string {
	return sessionKey(a.Platform, a.Conversation, a.Thread)
}

// ReplyKind tells an edge what sort of reply it renders (a card with buttons,
// a plain notice…). Edges may style kinds differently; the text says it all.
type ReplyKind string

const (
	KindAnswer      ReplyKind = "answer"       // confident KB/LLM answer with sources
	KindNotSure     ReplyKind = "not_sure"     // low confidence: related articles + offer a tech
	KindAskLocation ReplyKind = "ask_location" // one question before filing a case
	KindEscalated   ReplyKind = "escalated"    // case filed, with its id
	KindNotice      ReplyKind = "notice"       // status, help text, acknowledgements
	KindPolicy      ReplyKind = "policy"       // fixed refusal (filter bypass, attacks…)
	KindWarning     ReplyKind = "warning"      // e.g. a password was removed from the message
	KindError       ReplyKind = "error"        // could not do it; says how to reach IT
)

// Reply is what the bot says in the conversation the request came from.
// Text is plain text (no markup is interpreted): edges escape it for their
// platform. Lines are separated by "\n"; list items keep their "1." / "•".
type Reply struct {
	Kind         ReplyKind
	Text         string
	Sources      []Source // articles the answer is from (cite them)
	Related      []Source // closest articles when not sure
	Choices      []Choice // buttons, in order
	EscalationID string
	// Ephemeral replies are shown only to the person who acted (a refusal
	// to a non-tech who pressed Claim, for instance).
	Ephemeral bool
}

// Choice is a button the edge renders. Value is the escalation id for case
// actions; the actor comes from the verified event, never from here.
type Choice struct {
	Action string
	Label  string
	Value  string
	Style  string // "primary", "danger" or ""
}

// Source is an article cited or suggested.
type Source struct {
	Title   string `json:"title"`
	Path    string `json:"path"`              // path inside the KB, e.g. "display/no-signal.md"
	URL     string `json:"url,omitempty"`     // front-matter url, if any
	Section string `json:"section,omitempty"` // heading of the matched section
	Version string `json:"version,omitempty"` // content hash, for caches
}

// Turn is one line of a conversation, already redacted.
type Turn struct {
	Who  string    `json:"who"` // "requester", "bot" or "tech"
	Text string    `json:"text"`
	At   time.Time `json:"at"`
	// Report is set on an outage's primary case for what another reporter
	// added to their own report (that report's id); From is their name.
	Report string `json:"report,omitempty"`
	From   string `json:"from,omitempty"`
}

// Reporter names another reporter of an outage ("Sam Lee (IT-1004)"), or
// is "" for the case's own requester, the bot and techs. Renderers show it
// in place of the requester's name.
func (t Turn) Reporter() string {
	if t.Report == "" {
		return ""
	}
	return t.From + " (" + t.Report + ")"
}

// Errors the Store returns; the Desk turns them into plain words.
var (
	ErrNotFound       = errors.New("not found")
	ErrAlreadyClaimed = errors.New("already claimed")
	ErrClosed         = errors.New("already resolved")
	ErrNotClaimer     = errors.New("claimed by someone else")
)
