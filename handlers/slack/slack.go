// Package slack is helpbot's Slack edge: Socket Mode and the Events API,
// interactivity, /helpdesk, Block Kit rendering and the techs' case cards.
//
// Every delivery goes verify → ack → translate → core → render: the
// connection layer (http.go, socket.go) only verifies and acknowledges, a
// bounded worker pool does the rest, and Redis dedupes so that Slack's
// retries and several replicas never produce a second reply.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

// Desk is the part of the core the edge drives; *bot.Desk implements it.
// Declared here so benchmarks can put a fixed-reply floor in its place.
type Desk interface {
	HandleMessage(ctx context.Context, m bot.Message) []bot.Reply
	HandleAction(ctx context.Context, a bot.Action) bot.Outcome
	Queue(ctx context.Context, platform string, p bot.Person) ([]bot.Escalation, error)
	MyCases(ctx context.Context, platform string, p bot.Person) ([]bot.Escalation, error)
	Now() time.Time
}

// Store is what the edge keeps in Redis: delivery dedupe, and sessions to
// know which threads the bot is already talking in. bot.Store implements it.
type Store interface {
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
	LoadSession(ctx context.Context, key string) (bot.Session, error)
}

// Config is the edge's settings, read by cmd/helpbot from SLACK_* variables.
type Config struct {
	BotToken      string   // xoxb-…
	AppToken      string   // xapp-…: Socket Mode
	SigningSecret string   // HTTP mode
	TechChannel   string   // where case cards go
	TechUsers     []string // user ids allowed to claim
	TechUsergroup string   // or members of this user group (S…)
	// AnswerChannels are channels where every top-level message is a
	// question (no mention needed).
	AnswerChannels []string
	APIURL         string // Web API base URL; default https://slack.com/api/

	Workers int // concurrent deliveries being handled (default 32)
	Queue   int // acknowledged deliveries waiting for a worker (default 1024)

	// UsergroupTTL is how long the tech user group's membership is cached.
	UsergroupTTL time.Duration
	// JobTimeout bounds the work on one delivery (default 30 s: an LLM
	// answer may take LLM_TIMEOUT and still be posted). Once shutdown has
	// begun, DrainTimeout bounds it too.
	JobTimeout time.Duration
	// DrainTimeout is how long Run may take, once its context ends, to
	// close Socket Mode and finish the deliveries already acknowledged
	// (default 15 s). What is still running then is cancelled, and Run
	// returns an error saying how much. cmd/helpbot derives it from
	// SHUTDOWN_TIMEOUT.
	DrainTimeout time.Duration

	// Metrics receives delivery outcomes and reply latency; nil: none.
	// *metrics.Metrics (handlers/metrics) implements it.
	Metrics Metrics

	Logger     *slog.Logger
	HTTPClient *http.Client // for the Web API; default has timeouts and pooling
}

// Metrics is where the edge reports what became of each delivery
// (PlatformEvent: ok, duplicate, rejected, rate_limited, error) and how
// long a question took from its arrival to the bot's reply (ObserveReply).
type Metrics interface {
	PlatformEvent(platform, outcome string)
	ObserveReply(platform string, d time.Duration)
}

type noMetrics struct{}

func (noMetrics) PlatformEvent(string, string)       {}
func (noMetrics) ObserveReply(string, time.Duration) {}

// Outcomes of a delivery, as PlatformEvent counts them.
const (
	outcomeOK          = "ok"
	outcomeDuplicate   = "duplicate"    // a retry or a second replica's copy, already handled
	outcomeRejected    = "rejected"     // bad signature, stale timestamp, too large
	outcomeRateLimited = "rate_limited" // too busy: the person was told so (or Slack rate-limits the app)
	outcomeError       = "error"        // unreadable, a reply that failed, or no room even to say "busy"
)

// Dedupe windows. Slack retries for about 5 minutes; an hour covers retries
// and replicas with room to spare (PLATFORMS.md §3).
const (
	dedupeTTL  = time.Hour
	historyTTL = 10 * time.Minute
	maxBody    = 1 << 20 // bytes accepted on an HTTP endpoint
)

// Edge is one Slack connection of the bot. It implements bot.Notifier and
// bot.HandOffer for the Desk, and bot.Techs for the Slack platform.
type Edge struct {
	cfg    Config
	api    slackAPI
	client *slack.Client
	desk   Desk
	store  Store
	log    *slog.Logger
	met    Metrics

	work *pool // deliveries
	shed *pool // "busy, try again" replies when work is full

	answerIn map[string]bool
	people   *people
	techs    *techs

	mu       sync.RWMutex
	botUser  string // our own user id, from auth.test
	botID    string // our bot id, from auth.test
	fatal    chan error
	wait     func(ctx context.Context, d time.Duration) error // 429 back-off; tests record it
	stopOnce sync.Once

	socketAcks sync.WaitGroup // workers that owe Slack a Socket Mode ack (slash commands)
}

// New builds an edge. Call Connect before taking traffic.
func New(cfg Config, desk Desk, store Store) (*Edge, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("slack: bot token is required")
	}
	if cfg.AppToken == "" && cfg.SigningSecret == "" {
		return nil, errors.New("slack: an app token (Socket Mode) or a signing secret (HTTP) is required")
	}
	if cfg.TechChannel == "" {
		return nil, errors.New("slack: tech channel is required")
	}
	if desk == nil || store == nil {
		return nil, errors.New("slack: desk and store are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.UsergroupTTL <= 0 {
		cfg.UsergroupTTL = time.Minute
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 15 * time.Second
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 30 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient(cfg.Workers)
	}
	opts := []slack.Option{slack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/" // slack-go appends method names directly
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	client := slack.New(cfg.BotToken, opts...)
	e := &Edge{
		cfg:      cfg,
		api:      client,
		client:   client,
		desk:     desk,
		store:    store,
		log:      cfg.Logger,
		met:      cfg.Metrics,
		answerIn: map[string]bool{},
		fatal:    make(chan error, 1),
		wait:     sleepCtx,
	}
	for _, c := range cfg.AnswerChannels {
		if c = strings.TrimSpace(c); c != "" {
			e.answerIn[c] = true
		}
	}
	e.people = newPeople(e)
	e.techs = newTechs(e, cfg.TechUsers, cfg.TechUsergroup, cfg.UsergroupTTL)
	e.work = newPool(cfg.Workers, cfg.Queue, cfg.JobTimeout, e.log)
	e.shed = newPool(2, 256, 10*time.Second, e.log)
	return e, nil
}

// SocketMode reports whether the edge connects out over Socket Mode (an app
// token is set) rather than serving the Events API over HTTP.
func (e *Edge) SocketMode() bool { return e.cfg.AppToken != "" }

// ErrAuth is returned when Slack rejects the token (invalid_auth,
// token_revoked…): the process must stop and someone must fix the token.
var ErrAuth = errors.New("slack rejected the token")

// Connect checks the bot token with auth.test and learns the bot's own user
// id, so the bot never answers itself.
func (e *Edge) Connect(ctx context.Context) error {
	var res *slack.AuthTestResponse
	err := e.call(ctx, "auth.test", func() (err error) {
		res, err = e.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		if isAuthError(err) {
			return fmt.Errorf("SLACK_BOT_TOKEN: %w (%v)", ErrAuth, err)
		}
		return fmt.Errorf("slack auth.test: %w", err)
	}
	e.mu.Lock()
	e.botUser, e.botID = res.UserID, res.BotID
	e.mu.Unlock()
	e.log.Info("slack connected", "team", res.TeamID, "bot_user", res.UserID, "mode", e.mode())
	return nil
}

func (e *Edge) self() (user, botID string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.botUser, e.botID
}

func (e *Edge) mode() string {
	if e.SocketMode() {
		return "socket"
	}
	return "http"
}

// Run works through acknowledged deliveries (and, in Socket Mode, keeps the
// connection) until ctx ends. Then it stops taking work: Socket Mode stops
// reading envelopes, sends the acknowledgements still in hand and closes
// the connection (socket.go), and the workers finish every delivery that
// was acknowledged. All of that is bounded by Config.DrainTimeout; past
// it, work still running is cancelled and Run returns an error counting
// what was left unanswered. Run returns early with an error wrapping
// ErrAuth when Slack revokes the token.
func (e *Edge) Run(ctx context.Context) error {
	var pools sync.WaitGroup
	var lost atomic.Int64
	for _, p := range []*pool{e.work, e.shed} {
		pools.Go(func() { lost.Add(int64(p.run())) })
	}

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	var socketDone chan error // nil in HTTP mode: never ready
	if e.SocketMode() {
		socketDone = make(chan error, 1)
		go func() { socketDone <- e.runSocket(readCtx) }()
	}
	var err error
	socketEnded := false
	select {
	case <-ctx.Done():
	case err = <-e.fatal:
	case err = <-socketDone:
		socketEnded = true
	}
	deadline := time.Now().Add(e.cfg.DrainTimeout)
	stopReading()
	if socketDone != nil && !socketEnded {
		if serr := <-socketDone; err == nil {
			err = serr
		}
	}
	// The socket is closed, and the HTTP server stopped before ctx ended
	// (cmd's lifecycle); anything still arriving over HTTP (after a fatal
	// error) is refused with a 503 from here on.
	e.work.stop(deadline)
	e.shed.stop(deadline)
	pools.Wait()
	if n := lost.Load(); n > 0 {
		e.log.Error("slack: shutdown budget spent with acknowledged deliveries unanswered", "unanswered", n, "budget", e.cfg.DrainTimeout.String())
		if err == nil || errors.Is(err, context.Canceled) {
			err = fmt.Errorf("slack: %d acknowledged deliveries unanswered when the shutdown budget (%s) ran out", n, e.cfg.DrainTimeout)
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// count records one delivery's outcome.
func (e *Edge) count(outcome string) { e.met.PlatformEvent(bot.PlatformSlack, outcome) }

// fail stops the edge: the token is no longer valid.
func (e *Edge) fail(err error) {
	e.stopOnce.Do(func() {
		e.log.Error("slack rejected the bot token; stopping", "err", err)
		e.fatal <- fmt.Errorf("SLACK_BOT_TOKEN: %w (%v)", ErrAuth, err)
	})
}

// Notifier is the edge as the Desk's bot.Notifier (and bot.HandOffer).
func (e *Edge) Notifier() bot.Notifier { return e }

// Techs says who may act on cases on Slack.
func (e *Edge) Techs() bot.Techs { return e.techs }

func defaultHTTPClient(workers int) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		MaxIdleConns:          workers * 2,
		MaxIdleConnsPerHost:   workers * 2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
