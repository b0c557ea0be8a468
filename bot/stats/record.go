package stats

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// MaxUnanswered caps the distinct unanswered questions kept per day; further
// new ones are counted (unanswered_dropped) but not stored.
const MaxUnanswered = 200

// writeTimeout bounds one event's writes: Observe runs inside the
// conversation, which must not wait on a struggling Redis.
const writeTimeout = 500 * time.Millisecond

// pauseAfterError is how long the recorder stops writing after a Redis
// error, so a Redis outage costs the conversation one timeout, not one per
// event. Figures for that spell are lost; the desk keeps answering.
const pauseAfterError = 10 * time.Second

// Recorder is the bot.Observer that counts desk events into the Store.
type Recorder struct {
	s      *Store
	redact func(string) string
	log    *slog.Logger
	now    func() time.Time

	mu          sync.Mutex
	pausedUntil time.Time
	lastDropLog time.Time

	// Queued mode (RecorderOptions.Queue): while Run runs, Observe hands
	// events over instead of writing them. gate orders Observe's check of
	// running against Run's shutdown, so no event is queued after Run's
	// last drain.
	gate    sync.RWMutex
	running bool
	queue   chan bot.Event
	barrier chan chan struct{} // ForgetUser: write what is queued first
	stopped chan struct{}      // closed when Run returns
	stop    sync.Once

	dropped    atomic.Uint64 // events never written, since start
	unrecorded atomic.Int64  // of those, not yet added to the day's figures
}

var _ bot.Observer = (*Recorder)(nil)

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	// Redact removes secrets and personal data from unanswered questions
	// before they are stored (the screen's Redact, with the district's
	// student id patterns). Required: without it no question text is kept.
	Redact func(string) string
	Logger *slog.Logger
	// Clock paces the pause after a Redis error (default time.Now). Event
	// times come from the events themselves.
	Clock func() time.Time
	// Queue > 0 takes the writes out of the conversation: while Run runs,
	// Observe puts the event in a queue of this size and Run writes queued
	// events in batches (one round trip each). When the queue is full the
	// event is dropped and counted, never silently: Dropped, a warning in
	// the log, and the day's "unrecorded" figure. Without Run running
	// (before it starts, after it returns) Observe writes as with Queue 0.
	Queue int
}

// Recorder returns an observer writing to s.
func (s *Store) Recorder(o RecorderOptions) *Recorder {
	r := &Recorder{s: s, redact: o.Redact, log: o.Logger, now: o.Clock}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if o.Queue > 0 {
		r.queue = make(chan bot.Event, o.Queue)
		r.barrier = make(chan chan struct{})
		r.stopped = make(chan struct{})
	}
	return r
}

// Observe implements bot.Observer. It never fails the conversation: errors
// are logged (without text) and recording pauses briefly; events not
// recorded are counted (Dropped).
func (r *Recorder) Observe(ctx context.Context, e bot.Event) {
	if e.At.IsZero() {
		e.At = r.now()
	}
	r.gate.RLock()
	if r.running {
		select {
		case r.queue <- e:
		default:
			r.drop(1, "stats queue full")
		}
		r.gate.RUnlock()
		return
	}
	r.gate.RUnlock()
	r.flush([]bot.Event{e})
}

func (r *Recorder) paused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now().Before(r.pausedUntil)
}

func (r *Recorder) pause() {
	r.mu.Lock()
	r.pausedUntil = r.now().Add(pauseAfterError)
	r.mu.Unlock()
}

// drop counts n events that will not be recorded; why, when set, is
// logged at most once per pause interval.
func (r *Recorder) drop(n int, why string) {
	r.dropped.Add(uint64(n))
	r.unrecorded.Add(int64(n))
	if why == "" {
		return
	}
	r.mu.Lock()
	now := r.now()
	logIt := now.Sub(r.lastDropLog) >= pauseAfterError
	if logIt {
		r.lastDropLog = now
	}
	r.mu.Unlock()
	if logIt {
		r.log.Warn("stats events not recorded", "why", why, "dropped_total", r.dropped.Load())
	}
}

// Dropped is how many events this recorder could not record since it was
// made (queue full, Redis failing or paused); for a metrics counter.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// maxBatch bounds the events one queued write carries.
const maxBatch = 256

// Run writes queued events until ctx ends (RecorderOptions.Queue > 0;
// otherwise it just waits). Then Observe goes back to writing itself, and
// Run writes what is still queued before returning nil, so stopping loses
// nothing that was observed. Run it once.
func (r *Recorder) Run(ctx context.Context) error {
	if r.queue == nil {
		<-ctx.Done()
		return nil
	}
	defer r.stop.Do(func() { close(r.stopped) })
	r.gate.Lock()
	r.running = true
	r.gate.Unlock()
	for {
		select {
		case e := <-r.queue:
			r.flush(r.gather(e))
		case done := <-r.barrier:
			r.drain()
			close(done)
		case <-ctx.Done():
			r.gate.Lock()
			r.running = false
			r.gate.Unlock()
			r.drain()
			return nil
		}
	}
}

// gather takes e and whatever else is queued now, up to maxBatch.
func (r *Recorder) gather(e bot.Event) []bot.Event {
	batch := []bot.Event{e}
	for len(batch) < maxBatch {
		select {
		case e := <-r.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// drain writes everything queued.
func (r *Recorder) drain() {
	for {
		select {
		case e := <-r.queue:
			r.flush(r.gather(e))
		default:
			return
		}
	}
}

// flush writes a batch of events in one round trip, with the count of
// events dropped so far; after a Redis error it drops batches (counted)
// for pauseAfterError rather than hammer a struggling server.
func (r *Recorder) flush(batch []bot.Event) {
	if r.paused() {
		r.drop(len(batch), "")
		return
	}
	w := newWrites()
	for _, e := range batch {
		r.add(w, e)
	}
	lost := r.unrecorded.Swap(0)
	if lost > 0 {
		w.incr(r.s.dayKey(r.s.Day(r.now()), famCounts), fieldUnrecorded, lost)
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := w.exec(ctx, r.s.rdb); err != nil {
		r.unrecorded.Add(lost)
		r.pause()
		r.drop(len(batch), "")
		r.log.Warn("stats not recorded; pausing", "events", len(batch), "err", err, "pause", pauseAfterError)
	}
}

// Record writes one event's figures in one round trip (MULTI/EXEC) and
// returns the error.
func (r *Recorder) Record(ctx context.Context, e bot.Event) error {
	w := newWrites()
	r.add(w, e)
	return w.exec(ctx, r.s.rdb)
}

// fieldUnrecorded counts, in a day's counters, events the recorder could
// not write (added when it next writes).
const fieldUnrecorded = "unrecorded"

// add queues one event's writes on w.
func (r *Recorder) add(w *writes, e bot.Event) {
	if e.At.IsZero() {
		e.At = r.now()
	}
	s := r.s
	day := s.Day(e.At)
	counts := s.dayKey(day, famCounts)

	switch e.Type {
	case bot.EventAsked, bot.EventNotSure, bot.EventSolved, bot.EventPolicy,
		bot.EventReleased, bot.EventReopened, bot.EventCancelled, bot.EventFileFailed:
		w.incr(counts, string(e.Type), 1)
		if e.Type == bot.EventNotSure {
			r.unanswered(w, day, e.Question)
		}

	case bot.EventAnswered:
		s.answered(w, day, e.Sources)

	case bot.EventEscalated:
		w.incr(counts, string(e.Type), 1)
		if c := e.Case; c != nil {
			w.incr(counts, "escalated:priority:"+orUnknown(string(c.Priority)), 1)
			w.incr(counts, "escalated:reason:"+orUnknown(string(c.Reason)), 1)
		}

	case bot.EventClaimed:
		w.incr(counts, string(e.Type), 1)
		if c := e.Case; c != nil {
			s.firstSample(w, day, famClaim, "claim", c.ID, c.CreatedAt, claimedAt(c, e.At))
		}

	case bot.EventResolved:
		w.incr(counts, string(e.Type), 1)
		if c := e.Case; c != nil {
			// Resolving an unclaimed case claims it: that is its claim.
			s.firstSample(w, day, famClaim, "claim", c.ID, c.CreatedAt, claimedAt(c, e.At))
			at := c.ResolvedAt
			if at.IsZero() {
				at = e.At
			}
			s.firstSample(w, day, famResolve, "resolve", c.ID, c.CreatedAt, at)
		}

	case bot.EventSatisfaction:
		s.satisfaction(w, day, e)
	}
}

func claimedAt(c *bot.Escalation, fallback time.Time) time.Time {
	if !c.ClaimedAt.IsZero() {
		return c.ClaimedAt
	}
	return fallback
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// writes gathers the commands of one or more events for one MULTI/EXEC:
// counter increments are summed per field and each touched key's TTL is
// renewed once; scripts run in order after them.
type writes struct {
	hincr   map[keyField]int64
	zincr   map[keyField]float64
	hset    map[keyField]string
	scripts []scriptCall
	expire  map[string]bool
}

type keyField struct{ key, field string }

type scriptCall struct {
	script *goredis.Script
	keys   []string
	args   []any
}

func newWrites() *writes {
	return &writes{hincr: map[keyField]int64{}, zincr: map[keyField]float64{}, hset: map[keyField]string{}, expire: map[string]bool{}}
}

func (w *writes) incr(key, field string, n int64) {
	w.hincr[keyField{key, field}] += n
	w.expire[key] = true
}

func (w *writes) zincr1(key, member string) {
	w.zincr[keyField{key, member}]++
	w.expire[key] = true
}

func (w *writes) set(key, field, value string) {
	w.hset[keyField{key, field}] = value // a later event's value wins, as it would written one by one
	w.expire[key] = true
}

func (w *writes) run(sc *goredis.Script, keys []string, args ...any) {
	w.scripts = append(w.scripts, scriptCall{sc, keys, args})
}

// exec sends everything in one MULTI/EXEC. Scripts go as EVAL (a server
// that lost them still runs them; MULTI cannot fall back from EVALSHA).
func (w *writes) exec(ctx context.Context, rdb goredis.UniversalClient) error {
	if len(w.hincr)+len(w.zincr)+len(w.hset)+len(w.scripts) == 0 {
		return nil
	}
	p := rdb.TxPipeline()
	for k, n := range w.hincr {
		p.HIncrBy(ctx, k.key, k.field, n)
	}
	for k, n := range w.zincr {
		p.ZIncrBy(ctx, k.key, n, k.field)
	}
	for k, v := range w.hset {
		p.HSet(ctx, k.key, k.field, v)
	}
	for key := range w.expire {
		p.Expire(ctx, key, TTL)
	}
	for _, c := range w.scripts {
		c.script.Eval(ctx, p, c.keys, c.args...)
	}
	_, err := p.Exec(ctx)
	return err
}

// answered counts the answer and each article it came from (once per
// article, however many of its sections were cited).
func (s *Store) answered(w *writes, day string, sources []bot.Source) {
	counts, topics, titles := s.dayKey(day, famCounts), s.dayKey(day, famTopics), s.dayKey(day, famTitles)
	w.incr(counts, string(bot.EventAnswered), 1)
	seen := map[string]bool{}
	for _, src := range sources {
		path := src.Path
		if path == "" {
			path = src.Title
		}
		if path == "" || seen[path] {
			continue
		}
		seen[path] = true
		w.zincr1(topics, path)
		if src.Title != "" {
			w.set(titles, path, src.Title)
		}
	}
}

// sampleScript keeps a case's first claim (or resolve) time once, whichever
// replica sees it and however often the event repeats (release and claim
// again, reopen and resolve again).
//
// KEYS: marker hash, samples zset. ARGV: marker field, case id, ms, ttl s.
var sampleScript = goredis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
`)

func (s *Store) firstSample(w *writes, day, fam, marker, id string, from, to time.Time) {
	if id == "" || from.IsZero() || to.IsZero() {
		return
	}
	d := to.Sub(from).Milliseconds()
	if d < 0 {
		d = 0
	}
	w.run(sampleScript, []string{s.caseKey(id), s.dayKey(day, fam)}, marker, id, d, int64(TTL/time.Second))
}

// satScript counts one verdict per resolution of a case: a double click on
// "Yes, it's fixed" counts once; "not fixed", a reopen, a second resolve and
// a new verdict count again.
//
// KEYS: marker hash, counters, sat hash, tech hash.
// ARGV: marker field, verdict, tech key, tech name, ttl s.
var satScript = goredis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('HINCRBY', KEYS[2], 'satisfaction:' .. ARGV[2], 1)
redis.call('EXPIRE', KEYS[2], ARGV[5])
if ARGV[3] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[3] .. ':' .. ARGV[2], 1)
  redis.call('EXPIRE', KEYS[3], ARGV[5])
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
    redis.call('EXPIRE', KEYS[4], ARGV[5])
  end
end
return 1
`)

func (s *Store) satisfaction(w *writes, day string, e bot.Event) {
	v := e.Verdict
	if v != bot.VerdictFixed && v != bot.VerdictNotFixed {
		return
	}
	c := e.Case
	if c == nil || c.ID == "" {
		w.incr(s.dayKey(day, famCounts), "satisfaction:"+v, 1)
		return
	}
	marker := "sat:" + strconv.FormatInt(c.ResolvedAt.UnixMilli(), 10)
	tech, name := "", ""
	if c.Claimer.ID != "" {
		platform := c.Platform
		if platform == "" {
			platform = e.Platform
		}
		tech, name = techKey(platform, c.Claimer.ID), c.Claimer.Name
	}
	keys := []string{s.caseKey(c.ID), s.dayKey(day, famCounts), s.dayKey(day, famSat), s.dayKey(day, famTech)}
	w.run(satScript, keys, marker, v, tech, name, int64(TTL/time.Second))
}

// unansScript counts a question the KB could not answer, keeping at most
// ARGV[3] distinct ones a day.
//
// KEYS: zset, text hash, counters. ARGV: normalised, display text, cap, ttl s.
var unansScript = goredis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
elseif redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], 1, ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
else
  redis.call('HINCRBY', KEYS[3], 'unanswered_dropped', 1)
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`)

func (r *Recorder) unanswered(w *writes, day, question string) {
	if r.redact == nil {
		return
	}
	text, norm := Anonymize(question, r.redact)
	if norm == "" {
		return
	}
	s := r.s
	keys := []string{s.dayKey(day, famUnans), s.dayKey(day, famUnansText), s.dayKey(day, famCounts)}
	w.run(unansScript, keys, norm, text, MaxUnanswered, int64(TTL/time.Second))
}

// ForgetUser implements bot.UserForgetter: a tech's name and per-tech
// verdicts are removed from every day kept. The day's totals stay (they
// name nobody); requesters are never recorded by name or id. It returns the
// number of fields removed.
func (r *Recorder) ForgetUser(ctx context.Context, platform, userID string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	if err := r.writeQueued(ctx); err != nil {
		return 0, err
	}
	s := r.s
	tech := techKey(platform, userID)
	days := s.Days(r.now(), int(TTL/(24*time.Hour))+1)
	p := s.rdb.Pipeline()
	cmds := make([]*goredis.IntCmd, 0, 2*len(days))
	for _, day := range days {
		cmds = append(cmds,
			p.HDel(ctx, s.dayKey(day, famSat), tech+":"+bot.VerdictFixed, tech+":"+bot.VerdictNotFixed),
			p.HDel(ctx, s.dayKey(day, famTech), tech))
	}
	if _, err := p.Exec(ctx); err != nil {
		return 0, fmt.Errorf("forget tech in stats: %w", err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

var _ bot.UserForgetter = (*Recorder)(nil)

// writeQueued waits until Run has written the events queued so far, so a
// forgotten tech's name is not written back by an event from before.
func (r *Recorder) writeQueued(ctx context.Context) error {
	r.gate.RLock()
	running := r.running
	r.gate.RUnlock()
	if !running {
		return nil
	}
	done := make(chan struct{})
	select {
	case r.barrier <- done:
	case <-r.stopped: // Run wrote everything on its way out
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
