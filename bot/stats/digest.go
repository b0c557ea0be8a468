package stats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// Digest posts the day's figures to the techs' channel of every platform
// that can broadcast, once a day at a local time, once across all replicas.
type Digest struct {
	Stats *Store
	// Hour and Minute of the post, in Stats' time zone (see ParseClock).
	Hour, Minute int
	// Broadcasters are asked for at post time, by platform, so edges that
	// connect late are included.
	Broadcasters func() map[string]bot.Broadcaster
	// Open lists the queue for the "open now" line; nil leaves it out.
	Open func(ctx context.Context) ([]bot.Escalation, error)
	// Clock and After drive the schedule (defaults time.Now, time.After);
	// tests pass a fake clock and a channel.
	Clock func() time.Time
	After func(time.Duration) <-chan time.Time
	Log   *slog.Logger
	// Grace is how late a digest still goes out after the set time (a
	// replica starting at 15:50 posts the 15:30 digest; one starting the
	// next morning does not); default 3 h.
	Grace time.Duration
	// Retry is the wait before trying a platform whose post failed again
	// (within Grace); default 5 min.
	Retry time.Duration
	// PostQuiet posts even on a day with nothing recorded (weekends and
	// holidays are skipped by default).
	PostQuiet bool
}

// ParseClock reads a 24-hour local time such as "15:30" or "7:05".
func ParseClock(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || len(h) < 1 || len(h) > 2 ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("%q is not a 24-hour time like 15:30", s)
	}
	return hour, minute, nil
}

func (d *Digest) defaults() {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.After == nil {
		d.After = time.After
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Grace <= 0 {
		d.Grace = 3 * time.Hour
	}
	if d.Retry <= 0 {
		d.Retry = 5 * time.Minute
	}
}

// at is the digest time on the calendar day of t (plus days).
func (d *Digest) at(t time.Time, days int) time.Time {
	l := t.In(d.Stats.loc)
	return time.Date(l.Year(), l.Month(), l.Day()+days, d.Hour, d.Minute, 0, 0, d.Stats.loc)
}

// Run posts each day's digest until ctx ends. It is a cmd runner: it
// returns nil on cancellation.
func (d *Digest) Run(ctx context.Context) error {
	d.defaults()
	done := "" // the day this runner has finished with
	for {
		now := d.Clock()
		target := d.at(now, 0)
		day := d.Stats.Day(now)
		retry := false
		if day != done && !now.Before(target) && now.Sub(target) <= d.Grace {
			var err error
			retry, err = d.Post(ctx, now)
			if err != nil {
				d.Log.Warn("daily digest not posted", "day", day, "err", err)
				retry = true
			}
			if !retry {
				done = day
			}
		}
		next := target
		if !now.Before(target) {
			next = d.at(now, 1)
		}
		wait := next.Sub(now)
		if retry && now.Sub(target)+d.Retry <= d.Grace {
			wait = min(wait, d.Retry)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.After(wait):
		}
	}
}

// Post sends the digest of now's day to every platform that has not had
// it yet. It reports retry when a platform's post failed (its slot is
// given back so this or another replica can try again).
func (d *Digest) Post(ctx context.Context, now time.Time) (retry bool, err error) {
	d.defaults()
	var bs map[string]bot.Broadcaster
	if d.Broadcasters != nil {
		bs = d.Broadcasters()
	}
	if len(bs) == 0 {
		d.Log.Debug("daily digest skipped: no platform can post to the techs' channel")
		return false, nil
	}
	day := d.Stats.Day(now)
	r, err := d.Stats.Report(ctx, []string{day})
	if err != nil {
		return true, err
	}
	if r.Quiet() && !d.PostQuiet {
		d.Log.Info("daily digest skipped: a quiet day", "day", day)
		return false, nil
	}
	var open []bot.Escalation
	if d.Open != nil {
		if open, err = d.Open(ctx); err != nil {
			d.Log.Warn("daily digest: queue not listed", "err", err)
			open = nil
		} else if open == nil {
			open = []bot.Escalation{}
		}
	}
	reply := bot.Reply{Kind: bot.KindNotice, Text: r.Digest(now.In(d.Stats.loc), open)}

	platforms := make([]string, 0, len(bs))
	for p := range bs {
		platforms = append(platforms, p)
	}
	slices.Sort(platforms)
	var errs []error
	for _, p := range platforms {
		key := d.Stats.dayKey(day, famDigest+p)
		token := randToken()
		ok, err := d.Stats.rdb.SetNX(ctx, key, token, TTL).Result()
		if err != nil {
			errs = append(errs, fmt.Errorf("digest slot %s: %w", p, err))
			retry = true
			continue
		}
		if !ok {
			continue // this or another replica posted it already
		}
		if err := bs[p].Broadcast(ctx, reply); err != nil {
			// Give the slot back so a retry (here or elsewhere) posts it.
			releaseScript.Run(context.WithoutCancel(ctx), d.Stats.rdb, []string{key}, token)
			errs = append(errs, fmt.Errorf("digest to %s: %w", p, err))
			retry = true
			continue
		}
		d.Log.Info("daily digest posted", "day", day, "platform", p)
	}
	return retry, errors.Join(errs...)
}

// releaseScript deletes the slot only if this replica still holds it.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func randToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
