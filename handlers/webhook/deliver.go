package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Deliverer posts queued events. Any number of them (one per replica) may
// run on one Redis: a lease on each case keeps one event from being sent
// by two at once, and keeps each case's events in order.
type Deliverer struct {
	o    Options
	wake chan struct{}
}

// NewDeliverer checks the options and returns a Deliverer.
func NewDeliverer(o Options) (*Deliverer, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Deliverer{o: o, wake: make(chan struct{}, 1)}, nil
}

// Wake makes a running Deliverer look for due events now (an Outbox in the
// same process calls it after queueing).
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// pollEvery bounds how long Run sleeps: events queued by other replicas
// are seen within it.
const pollEvery = 2 * time.Second

// Run delivers until ctx ends. Deliveries already started finish (bounded
// by the request timeout) so their results are recorded.
func (d *Deliverer) Run(ctx context.Context) error {
	d.o.Logger.Info("webhook: delivering case events", "workers", d.o.Workers)
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.o.Logger.Warn("webhook: outbox unavailable; will retry", "err", err)
		}
		wait := pollEvery
		if next, ok, err := d.nextDue(ctx); err == nil && ok {
			if w := next.Sub(d.o.Clock()); w < wait {
				wait = max(w, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

func (d *Deliverer) nextDue(ctx context.Context) (time.Time, bool, error) {
	z, err := d.o.Redis.ZRangeWithScores(ctx, d.o.key(KeyDue), 0, 0).Result()
	if err != nil || len(z) == 0 {
		return time.Time{}, false, err
	}
	return time.UnixMilli(int64(z[0].Score)), true, nil
}

// Result counts what one DeliverDue did.
type Result struct {
	Delivered, Retried, Dead int
}

// maxRounds bounds one DeliverDue: each round sends at most one event per
// case, so a case with a backlog needs a round per event.
const maxRounds = 1000

// DeliverDue sends every event that is due now (in order per case) and
// returns what happened. Failed events are rescheduled; it does not wait
// for them.
func (d *Deliverer) DeliverDue(ctx context.Context) (Result, error) {
	var total Result
	for range maxRounds {
		if ctx.Err() != nil {
			return total, nil
		}
		jobs, err := d.claim(ctx)
		if err != nil {
			return total, err
		}
		if len(jobs) == 0 {
			return total, nil
		}
		var (
			mu  sync.Mutex
			wg  sync.WaitGroup
			sem = make(chan struct{}, d.o.Workers)
		)
		for _, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				// Finish what was started even if ctx ends: the result must
				// be recorded, or the event would be sent again.
				r := d.deliver(context.WithoutCancel(ctx), j)
				mu.Lock()
				total.Delivered += r.Delivered
				total.Retried += r.Retried
				total.Dead += r.Dead
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	return total, nil
}

// job is one case's oldest event, leased to this Deliverer.
type job struct {
	caseID, eventID, token string
	ev                     map[string]string
}

// claimScript leases a due case and returns its oldest event id. The case's
// due time moves to the end of the lease, so if this replica dies the case
// is due again when the lease runs out.
//
// KEYS: due zset, lease, case queue. ARGV: case id, now ms, lease-until ms,
// token, lease ms.
var claimScript = goredis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return false end
local l = redis.call('GET', KEYS[2])
if l then
  local untl = tonumber(string.match(l, '|(%d+)$'))
  if untl and untl > tonumber(ARGV[2]) then return false end
end
local head = redis.call('LINDEX', KEYS[3], 0)
if not head then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return false
end
redis.call('SET', KEYS[2], ARGV[4] .. '|' .. ARGV[3], 'PX', ARGV[5])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return head
`)

const claimBatch = 64

func (d *Deliverer) claim(ctx context.Context) ([]job, error) {
	now := d.o.Clock()
	cases, err := d.o.Redis.ZRangeByScore(ctx, d.o.key(KeyDue), &goredis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: claimBatch,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("webhook outbox: %w", err)
	}
	until := now.Add(d.o.Lease).UnixMilli()
	var jobs []job
	for _, c := range cases {
		token := newToken()
		head, err := claimScript.Run(ctx, d.o.Redis,
			[]string{d.o.key(KeyDue), d.o.key(KeyLease, c), d.o.key(KeyQueue, c)},
			c, now.UnixMilli(), until, token, d.o.Lease.Milliseconds()).Text()
		if errors.Is(err, goredis.Nil) {
			continue // not due any more, or another replica has it
		}
		if err != nil {
			return jobs, fmt.Errorf("webhook lease: %w", err)
		}
		ev, err := d.o.Redis.HGetAll(ctx, d.o.key(KeyEvent, head)).Result()
		if err != nil {
			return jobs, fmt.Errorf("webhook event: %w", err)
		}
		jobs = append(jobs, job{caseID: c, eventID: head, token: token, ev: ev})
	}
	return jobs, nil
}

// finishScript ends an event: delivered, or given up on (with a note in
// the dead list). The event leaves its queue whoever holds the lease — it
// is done — but only the lease holder reschedules the case.
//
// KEYS: lease, case queue, due zset, event hash, dead list. ARGV: token,
// event id, case id, now ms, dead note (empty when delivered), dead max,
// dead ttl s.
var finishScript = goredis.NewScript(`
if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then redis.call('LPOP', KEYS[2]) end
redis.call('DEL', KEYS[4])
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[5], ARGV[5])
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[6]) - 1)
  redis.call('EXPIRE', KEYS[5], ARGV[7])
end
local l = redis.call('GET', KEYS[1])
if not l or string.sub(l, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. '|' then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('LLEN', KEYS[2]) > 0 then
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
else
  redis.call('ZREM', KEYS[3], ARGV[3])
end
return 1
`)

// retryScript reschedules the case for another try, if this replica still
// holds its lease.
//
// KEYS: lease, due zset, event hash. ARGV: token, case id, next ms, last
// status, ttl s.
var retryScript = goredis.NewScript(`
local l = redis.call('GET', KEYS[1])
if not l or string.sub(l, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. '|' then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HINCRBY', KEYS[3], 'attempts', 1)
  redis.call('HSET', KEYS[3], 'last', ARGV[4])
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('DEL', KEYS[1])
return 1
`)

// deliver posts one event and records the outcome.
func (d *Deliverer) deliver(ctx context.Context, j job) Result {
	log := d.o.Logger.With("case", j.caseID, "event_id", j.eventID)
	now := d.o.Clock()
	if len(j.ev) == 0 || j.ev["body"] == "" {
		// Expired before its turn (its case's queue was blocked longer
		// than the event's lifetime), or dropped by a purge meanwhile.
		d.finish(ctx, j, now, &DeadLetter{Reason: "expired before delivery"}, log)
		return Result{Dead: 1}
	}
	attempts := atoi(j.ev["attempts"])
	first := time.UnixMilli(int64(atoi64(j.ev["first"])))
	name := j.ev["event"]
	if now.Sub(first) > d.o.MaxAge {
		d.finish(ctx, j, now, &DeadLetter{Event: name, Attempts: attempts, Reason: "max age reached"}, log)
		log.Error("webhook: gave up on event: the ticket system did not accept it in time", "attempts", attempts)
		return Result{Dead: 1}
	}

	status, retryAfter, err := d.post(ctx, j, name, attempts+1, now)
	switch {
	case err == nil && status >= 200 && status < 300:
		d.finish(ctx, j, d.o.Clock(), nil, log)
		log.Debug("webhook: delivered", "event", name, "attempt", attempts+1)
		return Result{Delivered: 1}
	case err == nil && !retryable(status):
		reason := "rejected by the receiver"
		if status >= 300 && status < 400 {
			reason = "redirected: set TICKET_WEBHOOK_URL to the final address"
		}
		d.finish(ctx, j, d.o.Clock(), &DeadLetter{Event: name, Status: status, Attempts: attempts + 1, Reason: reason}, log)
		log.Error("webhook: the ticket system rejected an event; not retrying", "event", name, "status", status)
		return Result{Dead: 1}
	}
	next := d.o.Clock().Add(d.backoff(attempts+1, retryAfter))
	if next.Sub(first) > d.o.MaxAge {
		d.finish(ctx, j, d.o.Clock(), &DeadLetter{Event: name, Status: status, Attempts: attempts + 1, Reason: "max age reached"}, log)
		log.Error("webhook: gave up on event: the ticket system did not accept it in time", "event", name, "status", status, "attempts", attempts+1)
		return Result{Dead: 1}
	}
	ttl := int64((d.o.MaxAge + keySlack) / time.Second)
	if rerr := retryScript.Run(ctx, d.o.Redis, []string{d.o.key(KeyLease, j.caseID), d.o.key(KeyDue), d.o.key(KeyEvent, j.eventID)},
		j.token, j.caseID, next.UnixMilli(), status, ttl).Err(); rerr != nil {
		log.Warn("webhook: could not reschedule; the lease will expire and it is retried then", "err", rerr)
	}
	if err != nil {
		log.Warn("webhook: delivery failed; will retry", "event", name, "attempt", attempts+1, "retry_in", next.Sub(d.o.Clock()).Round(time.Second), "err", err)
	} else {
		log.Warn("webhook: delivery failed; will retry", "event", name, "attempt", attempts+1, "status", status, "retry_in", next.Sub(d.o.Clock()).Round(time.Second))
	}
	return Result{Retried: 1}
}

func (d *Deliverer) finish(ctx context.Context, j job, now time.Time, dead *DeadLetter, log interface {
	Warn(string, ...any)
}) {
	note := ""
	if dead != nil {
		dead.At, dead.ID, dead.Case = now.UTC(), j.eventID, j.caseID
		raw, _ := json.Marshal(dead)
		note = string(raw)
	}
	err := finishScript.Run(ctx, d.o.Redis,
		[]string{d.o.key(KeyLease, j.caseID), d.o.key(KeyQueue, j.caseID), d.o.key(KeyDue), d.o.key(KeyEvent, j.eventID), d.o.key(KeyDead)},
		j.token, j.eventID, j.caseID, now.UnixMilli(), note, DeadMax, int64(DeadTTL/time.Second)).Err()
	if err != nil {
		// The event may be sent again when the lease expires; the receiver
		// drops it by its event id.
		log.Warn("webhook: could not record the outcome", "err", err)
	}
}

func (d *Deliverer) post(ctx context.Context, j job, name string, attempt int, now time.Time) (status int, retryAfter time.Duration, err error) {
	body := []byte(j.ev["body"])
	ts := now.Unix()
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.o.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "helpbot-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.o.Secret, ts, body))
	req.Header.Set(HeaderEventID, j.eventID)
	req.Header.Set(HeaderIdemKey, j.eventID)
	req.Header.Set(HeaderEvent, name)
	req.Header.Set(HeaderAttempt, strconv.Itoa(attempt))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return 0, 0, errors.New("request failed or timed out") // the URL may hold a token: never log err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"), now), nil
}

// retryable: timeouts, rate limits and server errors are worth another
// try; anything else (400, 401, 404, 422, a redirect…) will fail again.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// backoff is exponential with jitter: BaseDelay×2^(n-1), capped at
// MaxDelay, then a random point in its upper half; never sooner than the
// receiver's Retry-After (itself capped at an hour).
func (d *Deliverer) backoff(attempt int, retryAfter time.Duration) time.Duration {
	exp := float64(d.o.BaseDelay) * math.Pow(2, float64(min(attempt-1, 30)))
	b := time.Duration(math.Min(exp, float64(d.o.MaxDelay)))
	b = b/2 + time.Duration(d.o.Rand()*float64(b/2))
	if retryAfter > b {
		b = min(retryAfter, time.Hour)
	}
	return b
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func newToken() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
