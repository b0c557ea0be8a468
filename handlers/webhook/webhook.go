// Package webhook sends signed case events (created, claimed, released,
// resolved, reopened, cancelled) to a ticket system through a Redis outbox.
//
// An Outbox is a bot.Observer: it turns each case event into a JSON payload
// and queues it in Redis, one queue per case. A Deliverer (the runner) posts
// the oldest event of each case with an HMAC-SHA256 signature, retries with
// exponential backoff and jitter, and holds a lease on the case while it
// does, so several replicas never send one event at the same time and a
// crashed replica's work is picked up when its lease runs out. Nothing is
// lost across restarts; order is kept per case. See docs/WEBHOOK.md.
package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Key families this package writes under the store prefix. Each has a TTL
// (see DATA.md); none holds a key named after a person.
const (
	// KeyEvent + {event id} → hash: the signed body and delivery state.
	KeyEvent = "webhook:ev:"
	// KeyQueue + {case id} → list of event ids, oldest first.
	KeyQueue = "webhook:q:"
	// KeyDue → zset of case ids by the time their oldest event is due.
	KeyDue = "webhook:due"
	// KeyLease + {case id} → "token|until ms" while a replica delivers.
	KeyLease = "webhook:lease:"
	// KeyDead → list of JSON notes (ids, status, reason; no payload) about
	// events given up on, newest first.
	KeyDead = "webhook:dead"
)

// Bounds.
const (
	DeadTTL     = 30 * 24 * time.Hour
	DeadMax     = 1000
	keySlack    = time.Hour // queue keys outlive the oldest event's max age by this
	maxBodySize = 256 << 10
)

// Headers on every delivery.
const (
	HeaderSignature = "X-Helpbot-Signature" // sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
	HeaderTimestamp = "X-Helpbot-Timestamp" // Unix seconds, as signed
	HeaderEventID   = "X-Helpbot-Event-Id"  // the event id; the same on every retry
	HeaderEvent     = "X-Helpbot-Event"     // case.created, case.claimed…
	HeaderAttempt   = "X-Helpbot-Attempt"   // 1 on the first try
	HeaderIdemKey   = "Idempotency-Key"     // the event id again, for products that honour it
)

// Options configure an Outbox and a Deliverer. Both must see the same
// Redis and Prefix.
type Options struct {
	URL        string
	Secret     string
	Transcript bool // include the redacted transcript excerpt in payloads

	MaxAge    time.Duration // give up on an event this long after it happened; default 24h
	Timeout   time.Duration // per request; default 10s
	Lease     time.Duration // how long a replica holds a case; default max(30s, 3×Timeout)
	BaseDelay time.Duration // first retry delay; default 5s
	MaxDelay  time.Duration // cap on one retry delay; default 10 min
	Workers   int           // cases delivered in parallel; default 4

	Redis  goredis.UniversalClient
	Prefix string // the store's key prefix, e.g. "hb:"

	Client *http.Client     // default: Timeout, no redirects
	Clock  func() time.Time // default time.Now
	Rand   func() float64   // jitter in [0,1); default math/rand/v2
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Redis == nil {
		return o, errors.New("webhook: Redis is required")
	}
	if err := CheckURL(o.URL); err != nil {
		return o, err
	}
	if o.Secret == "" {
		return o, errors.New("webhook: a signing secret is required")
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 24 * time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = max(30*time.Second, 3*o.Timeout)
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 5 * time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 10 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: o.Timeout,
			// A redirect would send the signed body somewhere the district
			// did not configure; treat it as a misconfiguration instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

func (o Options) key(parts ...string) string { return o.Prefix + strings.Join(parts, "") }

// CheckURL accepts https:// URLs, and http:// only to a loopback address
// (a relay on the same host).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("webhook URL %q must look like https://tickets.example.org/hook", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("webhook URL %q must use https (plain http is allowed only to localhost)", raw)
	}
	return fmt.Errorf("webhook URL %q must use https", raw)
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
