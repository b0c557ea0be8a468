package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Desk is the help desk: it takes Messages and Actions from the edges and
// returns what to say, filing and moving cases through the Store and telling
// techs and requesters through the platform's Notifier. It holds no state of
// its own, so any number of replicas can share one Store.
type Desk struct {
	store     Store
	answerer  Answerer
	screener  Screener
	notifiers map[string]Notifier
	techs     Techs
	observers []Observer
	now       func() time.Time
	log       *slog.Logger
	policy    Policy

	summarizer Summarizer // writes case briefs; nil means CodeBrief
	schedule   Schedule   // support hours and school calendar
}

// Policy holds the tunable behaviour of the desk.
type Policy struct {
	// Contact tells people how to reach IT when the bot cannot file a case
	// (e.g. "call the help line at x4357 or email help@district.org").
	Contact string
	// RateLimit messages per RateWindow per user; 0 disables the limit.
	RateLimit  int
	RateWindow time.Duration
	// MaxMisses is how many "not sure" replies in a row before the bot
	// hands the conversation to a person on its own (default 2).
	MaxMisses int
	// CasePrefix labels case ids in text ("IT" → IT-1042); the store assigns ids.
	CasePrefix string
	// RemindAfter is how long an unclaimed case waits before it is put in
	// front of the techs again (default 15 min); RemindUrgentAfter the same
	// for urgent cases (default 3 min).
	RemindAfter, RemindUrgentAfter time.Duration
	// IncidentReports cases about one topic in one building within
	// IncidentWindow become one incident (defaults 3 and 10 min; 0 reports
	// turns grouping off only when IncidentOff is set).
	IncidentReports int
	IncidentWindow  time.Duration
	IncidentOff     bool
	// Buildings are the district's building names (with short forms), used
	// to recognise where someone is ("Lincoln MS", "Lincoln Middle School").
	Buildings []string
}

// Config wires a Desk.
type Config struct {
	Store     Store
	Answerer  Answerer
	Screener  Screener
	Notifiers map[string]Notifier // by platform
	Techs     Techs
	Observers []Observer
	Clock     func() time.Time
	Logger    *slog.Logger
	Policy    Policy

	// Schedule is the support hours and school calendar; nil = always open.
	Schedule Schedule
	// Summarizer is optional: it writes the two-line brief on case cards
	// (an LLM when configured); nil means the code-built CodeBrief.
	Summarizer Summarizer
}

// New checks the wiring and returns a Desk.
func New(c Config) (*Desk, error) {
	switch {
	case c.Store == nil:
		return nil, errors.New("bot: Store is required")
	case c.Answerer == nil:
		return nil, errors.New("bot: Answerer is required")
	case c.Screener == nil:
		return nil, errors.New("bot: Screener is required")
	case c.Techs == nil:
		return nil, errors.New("bot: Techs is required")
	}
	d := &Desk{
		store:     c.Store,
		answerer:  c.Answerer,
		screener:  c.Screener,
		notifiers: map[string]Notifier{},
		techs:     c.Techs,
		observers: c.Observers,
		now:       c.Clock,
		log:       c.Logger,
		policy:    c.Policy,
	}
	d.summarizer = c.Summarizer
	d.schedule = c.Schedule
	if d.schedule == nil {
		d.schedule = alwaysOpen{}
	}
	if d.policy.RemindAfter <= 0 {
		d.policy.RemindAfter = 15 * time.Minute
	}
	if d.policy.RemindUrgentAfter <= 0 {
		d.policy.RemindUrgentAfter = 3 * time.Minute
	}
	if d.policy.IncidentReports <= 1 {
		d.policy.IncidentReports = 3
	}
	if d.policy.IncidentWindow <= 0 {
		d.policy.IncidentWindow = 10 * time.Minute
	}
	for p, n := range c.Notifiers {
		d.notifiers[p] = n
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.policy.MaxMisses <= 0 {
		d.policy.MaxMisses = 2
	}
	if d.policy.RateWindow <= 0 {
		d.policy.RateWindow = time.Minute
	}
	if d.policy.Contact == "" {
		d.policy.Contact = "call or email the IT help desk directly"
	}
	return d, nil
}

// SetNotifier adds or replaces the Notifier of a platform. Edges that learn
// their tech channel late (Teams) register before they take traffic.
func (d *Desk) SetNotifier(platform string, n Notifier) {
	d.notifiers[platform] = n
}

// AddObserver registers an observer; call it before taking traffic.
func (d *Desk) AddObserver(o Observer) { d.observers = append(d.observers, o) }

// Now is the desk's clock, for edges that render ages consistently.
func (d *Desk) Now() time.Time { return d.now() }

// Screener exposes the text screen so edges and the LLM answerer apply the
// same normalisation.
func (d *Desk) Screener() Screener { return d.screener }

func (d *Desk) notifier(platform string) Notifier {
	return d.notifiers[platform]
}

func (d *Desk) isTech(ctx context.Context, platform string, p Person) bool {
	ok, err := d.techs.IsTech(ctx, platform, p)
	if err != nil {
		d.log.Warn("tech lookup failed", "platform", platform, "user", p.ID, "err", err)
		return false
	}
	return ok
}

// Notifier is a platform's notifier (nil when none), for runners outside
// the desk such as the daily digest.
func (d *Desk) Notifier(platform string) Notifier { return d.notifiers[platform] }
