package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// Config wires the Teams edge. cmd/helpbot fills it from TEAMS_* settings.
type Config struct {
	AppID       string // TEAMS_APP_ID: the bot's Entra app (client) id
	AppPassword string // TEAMS_APP_PASSWORD: its client secret
	TenantID    string // TEAMS_TENANT_ID: required for SingleTenant
	AppType     string // TEAMS_APP_TYPE: SingleTenant (default) or MultiTenant
	// TechUsers are the Entra object ids of the techs (TEAMS_TECH_USERS).
	TechUsers []string
	// Overrides for tests and sovereign clouds.
	OpenIDMetadataURL string   // TEAMS_OPENID_METADATA_URL
	TokenURL          string   // TEAMS_TOKEN_URL
	ServiceURLHosts   []string // TEAMS_SERVICE_URL_HOSTS: added to DefaultServiceURLHosts
	Issuer            string   // inbound token issuer; default DefaultIssuer

	Desk    *bot.Desk
	Limiter bot.Limiter // dedupe of re-sent activities (the Store)
	Redis   goredis.UniversalClient
	Prefix  string // Redis key prefix, as the Store's

	// Workers reply to activities (default 8); QueueLen activities may
	// wait for them (default 8 per worker, at least one per worker) before
	// the bot answers "busy". cmd/helpbot sets them from TEAMS_WORKERS and
	// TEAMS_QUEUE.
	Workers, QueueLen int
	// DrainTimeout is how long Run may take, once its context ends, to
	// finish the activities already acknowledged (default 15 s). What is
	// still running then is cancelled, and Run returns an error saying how
	// much. cmd/helpbot derives it from SHUTDOWN_TIMEOUT.
	DrainTimeout time.Duration

	// Metrics receives delivery outcomes and reply latency; nil: none.
	// *metrics.Metrics (handlers/metrics) implements it.
	Metrics Metrics

	HTTPClient *http.Client // outbound calls; default has a 15 s timeout
	Clock      func() time.Time
	Logger     *slog.Logger
	// Sleep waits between retries of a throttled call (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Edge is the Teams edge: an http.Handler for /api/messages, a worker pool
// (Run), the Desk's Notifier for Teams, and who the techs are.
type Edge struct {
	desk      *bot.Desk
	validator *Validator
	conn      *connector
	refs      refStore
	limiter   bot.Limiter
	techs     map[string]bool
	log       *slog.Logger
	now       func() time.Time

	pool        *pool
	busy        *pool         // "busy, try again" replies when pool is full
	drain       time.Duration // shutdown budget (Config.DrainTimeout)
	metrics     Metrics
	invokeSlots chan struct{} // bounds card invokes handled in the request
}

// Metrics is where the edge reports what became of each activity
// (PlatformEvent: ok, duplicate, rejected, rate_limited, error) and how
// long replies took from the request's arrival (ObserveReply).
type Metrics interface {
	PlatformEvent(platform, outcome string)
	ObserveReply(platform string, d time.Duration)
}

type noMetrics struct{}

func (noMetrics) PlatformEvent(string, string)       {}
func (noMetrics) ObserveReply(string, time.Duration) {}

// Outcomes of an activity, as PlatformEvent counts them.
const (
	outcomeOK          = "ok"
	outcomeDuplicate   = "duplicate"    // a re-sent activity already handled
	outcomeRejected    = "rejected"     // bad or missing token, too large, serviceUrl not allowed
	outcomeRateLimited = "rate_limited" // too busy: the sender was told so
	outcomeError       = "error"        // unreadable, a reply that failed, or no room even to say "busy"
)

// Bounds of the pools and of one activity's work.
const (
	jobTimeout     = 60 * time.Second // one activity on a worker
	busyWorkers    = 2                // workers sending "busy" replies
	busyQueue      = 64               // "busy" replies waiting for them
	busyTimeout    = 10 * time.Second // one "busy" reply
	defaultDrain   = 15 * time.Second
	defaultWorkers = 8
	queuePerWorker = 8
	invokeTimeout  = 10 * time.Second
)

// New checks the configuration and builds the edge. It fails rather than
// run half-configured.
func New(c Config) (*Edge, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.AppType == "" {
		c.AppType = AppSingleTenant
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.Workers <= 0 {
		c.Workers = defaultWorkers
	}
	if c.QueueLen <= 0 {
		c.QueueLen = queuePerWorker * c.Workers
	}
	c.QueueLen = max(c.QueueLen, c.Workers) // every worker has room for one
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = defaultDrain
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	v, err := NewValidator(ValidatorOptions{AppID: c.AppID, MetadataURL: c.OpenIDMetadataURL,
		Issuer: c.Issuer, HTTPClient: c.HTTPClient, Clock: c.Clock, Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	tokenURL := c.TokenURL
	if tokenURL == "" {
		tokenURL = TokenURL(c.AppType, c.TenantID)
	}
	e := &Edge{
		desk:      c.Desk,
		validator: v,
		conn: &connector{
			tokens: &tokenSource{url: tokenURL, appID: c.AppID, secret: c.AppPassword,
				client: c.HTTPClient, now: c.Clock},
			client: c.HTTPClient, hosts: newHostList(c.ServiceURLHosts), log: c.Logger,
			sleep: c.Sleep, retries: 3, maxWait: 30 * time.Second,
		},
		refs:    refStore{rdb: c.Redis, prefix: c.Prefix},
		limiter: c.Limiter,
		techs:   map[string]bool{},
		log:     c.Logger,
		now:     c.Desk.Now,
		drain:   c.DrainTimeout,
		metrics: c.Metrics,
	}
	for _, id := range c.TechUsers {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
			e.techs[id] = true
		}
	}
	e.invokeSlots = make(chan struct{}, c.Workers)
	e.pool = newPool(c.Workers, c.QueueLen, jobTimeout, e.process, c.Logger)
	e.busy = newPool(busyWorkers, busyQueue, busyTimeout, e.sayBusy, c.Logger)
	return e, nil
}

func (c Config) check() error {
	switch {
	case strings.TrimSpace(c.AppID) == "":
		return errors.New("TEAMS_APP_ID is required")
	case c.AppPassword == "":
		return errors.New("TEAMS_APP_PASSWORD is required with TEAMS_APP_ID")
	case c.AppType != "" && c.AppType != AppSingleTenant && c.AppType != AppMultiTenant:
		return fmt.Errorf("TEAMS_APP_TYPE must be %s or %s, not %q", AppSingleTenant, AppMultiTenant, c.AppType)
	case (c.AppType == "" || c.AppType == AppSingleTenant) && strings.TrimSpace(c.TenantID) == "" && c.TokenURL == "":
		return errors.New("TEAMS_TENANT_ID is required for a SingleTenant bot")
	case c.Desk == nil || c.Limiter == nil || c.Redis == nil:
		return errors.New("teams: Desk, Limiter and Redis are required")
	}
	for name, u := range map[string]string{"TEAMS_OPENID_METADATA_URL": c.OpenIDMetadataURL, "TEAMS_TOKEN_URL": c.TokenURL} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("%s must be an http(s) URL, not %q", name, u)
		}
	}
	return nil
}

// Run runs the reply workers until ctx ends, then finishes the activities
// already acknowledged and returns. The finishing is bounded by
// Config.DrainTimeout: past it, work still running is cancelled, and Run
// returns an error counting the activities left unanswered.
func (e *Edge) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	var lost atomic.Int64
	for _, p := range []*pool{e.pool, e.busy} {
		wg.Go(func() { lost.Add(int64(p.run(ctx, e.drain))) })
	}
	wg.Wait()
	if n := lost.Load(); n > 0 {
		e.log.Error("teams: shutdown budget spent with acknowledged activities unanswered", "unanswered", n, "budget", e.drain.String())
		return fmt.Errorf("teams: %d acknowledged activities unanswered when the shutdown budget (%s) ran out", n, e.drain)
	}
	return nil
}

// count records one activity's outcome.
func (e *Edge) count(outcome string) { e.metrics.PlatformEvent(bot.PlatformTeams, outcome) }

// Techs says who may claim, resolve and release Teams cases: the Entra
// object ids in TEAMS_TECH_USERS.
func (e *Edge) Techs() bot.Techs {
	return bot.TechsFunc(func(_ context.Context, platform string, p bot.Person) (bool, error) {
		return platform == bot.PlatformTeams && e.techs[strings.ToLower(p.ID)], nil
	})
}

func (e *Edge) isTech(p bot.Person) bool { return e.techs[strings.ToLower(p.ID)] }

// KeyFetches is how many times the Bot Framework signing keys were fetched.
func (e *Edge) KeyFetches() int { return e.validator.KeyFetches() }
