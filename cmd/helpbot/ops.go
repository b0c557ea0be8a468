package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"
	_ "time/tzdata" // zone names work in a scratch container without /usr/share/zoneinfo

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/calendar"
	"github.com/helpbot/helpbot/bot/stats"
	"github.com/helpbot/helpbot/handlers/metrics"
)

// OpsConfig is running the help desk: the district's time zone, the daily
// digest in the techs' channel, and /metrics.
type OpsConfig struct {
	// HelpdeskTimezone decides where a day ends for the figures and when
	// the digest goes out (IANA name, e.g. America/Chicago). Empty: the
	// SUPPORT_CALENDAR's timezone, else UTC.
	HelpdeskTimezone string `envconfig:"HELPDESK_TIMEZONE"`
	// DigestTime is when the day's digest is posted (24-hour, e.g. 15:30);
	// empty turns the digest off.
	DigestTime string `envconfig:"DIGEST_TIME"`
	// MetricsToken, when set, is required as "Authorization: Bearer …" on
	// /metrics (the HTTP server may face the internet for Slack/Teams).
	MetricsToken string `envconfig:"METRICS_TOKEN"`
}

// validateOps checks the zone and the digest time; both are exit 2.
func (c Config) validateOps() error {
	if z := strings.TrimSpace(c.HelpdeskTimezone); z != "" {
		if _, err := loadZone(z); err != nil {
			return err
		}
	}
	if c.DigestTime != "" {
		if _, _, err := stats.ParseClock(c.DigestTime); err != nil {
			return fmt.Errorf("DIGEST_TIME: %w", err)
		}
	}
	return nil
}

func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("HELPDESK_TIMEZONE %q is not a time zone name like America/Chicago or UTC", name)
	}
	return loc, nil
}

// opsLocation is the district's time zone: HELPDESK_TIMEZONE, else the
// support calendar's, else UTC.
func (c Config) opsLocation() (*time.Location, error) {
	if z := strings.TrimSpace(c.HelpdeskTimezone); z != "" {
		return loadZone(z)
	}
	if c.SupportCalendar != "" {
		cal, err := calendar.Load(c.SupportCalendar)
		if err != nil {
			return nil, exitCode(2, fmt.Errorf("SUPPORT_CALENDAR: %w", err))
		}
		if loc := cal.Location(); loc != nil {
			return loc, nil
		}
	}
	return time.UTC, nil
}

// wireOps registers the stats recorder and the metrics observer on the
// desk, mounts GET /metrics on mux and returns the runners: the stats
// writer and the daily digest (not when DIGEST_TIME is empty). serve calls it once, before traffic.
func (a *app) wireOps(mux *http.ServeMux) []runner {
	r, err := a.wireOpsWith(mux, metrics.Default())
	if err != nil {
		// Config validation already loaded the zone; this is a calendar
		// file changed under us. The figures fall back to UTC.
		a.log.Error("time zone for stats unavailable; using UTC", "err", err)
	}
	return r
}

// wireOpsWith is wireOps on a given registry (tests use their own).
func (a *app) wireOpsWith(mux *http.ServeMux, m *metrics.Metrics) ([]runner, error) {
	loc, err := a.cfg.opsLocation()
	if err != nil {
		loc = time.UTC
	}
	st := a.statsStore(loc)
	// The day's figures are written by the recorder's own runner, in
	// batches, so a teacher's reply never waits on them (bench/slackload
	// -stats sync|queued: 2 fewer Redis round trips per message). Stopping
	// writes what is queued; a full queue is counted, never silent.
	rec := st.Recorder(stats.RecorderOptions{Redact: a.redact, Logger: a.log, Queue: statsQueue})
	a.desk.AddObserver(rec)
	a.desk.AddObserver(m)
	a.rdb.AddHook(m.RedisHook())
	m.WatchQueue(a.openCases, a.desk.Now)
	m.WatchStatsDropped(rec.Dropped)
	mux.Handle("GET /metrics", metricsAuth(m.Handler(), a.cfg.MetricsToken))
	runners := []runner{rec.Run}

	if a.cfg.DigestTime == "" {
		return runners, err
	}
	d := a.digest(st)
	if _, ok := any(a.desk).(notifierSource); !ok {
		a.log.Warn("DIGEST_TIME is set but this build cannot reach the techs' channel (the desk does not list its notifiers); no digest will be posted")
	}
	a.log.Info("daily digest scheduled", "at", a.cfg.DigestTime, "time_zone", loc.String())
	return append(runners, d.Run), err
}

// statsQueue is how many desk events may wait for the stats writer: at
// 500 events a second, eight seconds of Redis trouble.
const statsQueue = 4096

func (a *app) statsStore(loc *time.Location) *stats.Store {
	return stats.New(a.rdb, a.store.Prefix(), loc)
}

// digest builds the daily digest for st; DIGEST_TIME has been validated.
func (a *app) digest(st *stats.Store) *stats.Digest {
	h, m, _ := stats.ParseClock(a.cfg.DigestTime)
	return &stats.Digest{
		Stats: st, Hour: h, Minute: m,
		Broadcasters: a.broadcasters,
		Open:         a.openCases,
		Clock:        a.desk.Now,
		Log:          a.log,
	}
}

func (a *app) openCases(ctx context.Context) ([]bot.Escalation, error) {
	return a.store.OpenEscalations(ctx, 200)
}

// redact is the screen's full redaction (secrets and personal data, with
// the district's student id patterns), as the stats want it.
func (a *app) redact(s string) string {
	t, _ := a.screener.Redact(s)
	return t
}

// notifierSource is the Desk's per-platform notifier lookup.
type notifierSource interface {
	Notifier(platform string) bot.Notifier
}

// broadcasters are the notifiers wired into the desk that can post to the
// techs' channel, by platform. They are looked up at post time, so an edge
// that registers late is included.
func (a *app) broadcasters() map[string]bot.Broadcaster {
	src, ok := any(a.desk).(notifierSource)
	if !ok {
		a.log.Warn("daily digest: the desk cannot list its notifiers; nothing to post to")
		return nil
	}
	out := map[string]bot.Broadcaster{}
	for _, p := range []string{bot.PlatformSlack, bot.PlatformTeams, bot.PlatformWeb, bot.PlatformConsole} {
		if b, ok := src.Notifier(p).(bot.Broadcaster); ok {
			out[p] = b
		}
	}
	return out
}

// metricsAuth requires "Authorization: Bearer <token>" when token is set.
// The comparison is constant-time over hashes, so neither the token nor
// its length leaks through timing.
func metricsAuth(h http.Handler, token string) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte("Bearer " + token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
