package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// Outbox queues case events for delivery. It is a bot.Observer and a
// bot.UserForgetter (a purge drops the person's undelivered events).
type Outbox struct {
	o Options
	// OnEnqueue, when set, is called after each event is queued (the
	// Deliverer in the same process wakes up instead of polling).
	OnEnqueue func()
}

var (
	_ bot.Observer      = (*Outbox)(nil)
	_ bot.UserForgetter = (*Outbox)(nil)
)

// NewOutbox checks the options and returns an Outbox.
func NewOutbox(o Options) (*Outbox, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Outbox{o: o}, nil
}

// enqueueScript stores an event and appends it to its case's queue; a case
// with no due time gets one now (a case already waiting keeps its time, so
// a retry backoff is not cut short).
//
// KEYS: event hash, case queue, due zset. ARGV: case id, event id, now ms,
// ttl s, then the event hash's field/value pairs.
var enqueueScript = goredis.NewScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 1
`)

// Observe implements bot.Observer: case events are queued; others ignored.
// A failure is logged (ids only) and the conversation goes on.
func (b *Outbox) Observe(ctx context.Context, ev bot.Event) {
	name, ok := eventNames[ev.Type]
	if !ok || ev.Case == nil || ev.Case.ID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	id, err := b.Enqueue(ctx, name, ev.At, *ev.Case)
	if err != nil {
		b.o.Logger.Error("webhook: could not queue event; it will not reach the ticket system", "case", ev.Case.ID, "event", name, "err", err)
		return
	}
	b.o.Logger.Debug("webhook: event queued", "case", ev.Case.ID, "event", name, "id", id)
	if b.OnEnqueue != nil {
		b.OnEnqueue()
	}
}

// Enqueue queues one event about case e and returns its id.
func (b *Outbox) Enqueue(ctx context.Context, name string, at time.Time, e bot.Escalation) (string, error) {
	if at.IsZero() {
		at = b.o.Clock()
	}
	id := newEventID()
	body, err := json.Marshal(payloadOf(id, name, at, e, b.o.Transcript))
	if err != nil {
		return "", fmt.Errorf("encode webhook payload: %w", err)
	}
	if len(body) > maxBodySize {
		return "", fmt.Errorf("webhook payload of case %s is %d bytes, over %d", e.ID, len(body), maxBodySize)
	}
	now := b.o.Clock()
	ttl := int64((b.o.MaxAge + keySlack) / time.Second)
	args := []any{e.ID, id, now.UnixMilli(), ttl,
		"body", body, "event", name, "case", e.ID, "first", now.UnixMilli(), "attempts", 0,
		// Who the event is about, so a purge can drop it before delivery.
		"platform", e.Platform, "requester", e.Requester.ID, "claimer", e.Claimer.ID,
	}
	keys := []string{b.o.key(KeyEvent, id), b.o.key(KeyQueue, e.ID), b.o.key(KeyDue)}
	if err := enqueueScript.Run(ctx, b.o.Redis, keys, args...).Err(); err != nil {
		return "", fmt.Errorf("queue webhook event: %w", err)
	}
	return id, nil
}

// dropScript removes events from a case's queue; an emptied queue leaves
// the due set.
//
// KEYS: case queue, due zset, then event hashes. ARGV: case id, event ids.
var dropScript = goredis.NewScript(`
for i = 2, #ARGV do
  redis.call('LREM', KEYS[1], 0, ARGV[i])
  redis.call('DEL', KEYS[i + 1])
end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return #ARGV - 1
`)

// ForgetUser implements bot.UserForgetter: undelivered events about cases
// the person requested or claimed are dropped. One being posted at this
// very moment cannot be recalled.
func (b *Outbox) ForgetUser(ctx context.Context, platform, user string) (int, error) {
	cases, err := b.o.Redis.ZRange(ctx, b.o.key(KeyDue), 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("webhook outbox: %w", err)
	}
	dropped := 0
	for _, c := range cases {
		ids, err := b.o.Redis.LRange(ctx, b.o.key(KeyQueue, c), 0, -1).Result()
		if err != nil {
			return dropped, fmt.Errorf("webhook outbox: %w", err)
		}
		var drop []string
		for _, id := range ids {
			v, err := b.o.Redis.HMGet(ctx, b.o.key(KeyEvent, id), "platform", "requester", "claimer").Result()
			if err != nil {
				return dropped, fmt.Errorf("webhook outbox: %w", err)
			}
			p, _ := v[0].(string)
			r, _ := v[1].(string)
			cl, _ := v[2].(string)
			if p == platform && (r == user || cl == user) {
				drop = append(drop, id)
			}
		}
		if len(drop) == 0 {
			continue
		}
		keys := []string{b.o.key(KeyQueue, c), b.o.key(KeyDue)}
		args := []any{c}
		for _, id := range drop {
			keys = append(keys, b.o.key(KeyEvent, id))
			args = append(args, id)
		}
		n, err := dropScript.Run(ctx, b.o.Redis, keys, args...).Int()
		if err != nil {
			return dropped, fmt.Errorf("webhook outbox: %w", err)
		}
		dropped += n
	}
	return dropped, nil
}

// Pending counts undelivered events (for tests and `helpbot admin`).
func (b *Outbox) Pending(ctx context.Context) (int, error) {
	cases, err := b.o.Redis.ZRange(ctx, b.o.key(KeyDue), 0, -1).Result()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cases {
		l, err := b.o.Redis.LLen(ctx, b.o.key(KeyQueue, c)).Result()
		if err != nil {
			return n, err
		}
		n += int(l)
	}
	return n, nil
}

// DeadLetter is a note about an event given up on. It has no payload.
type DeadLetter struct {
	At       time.Time `json:"at"`
	ID       string    `json:"id"`
	Event    string    `json:"event"`
	Case     string    `json:"case"`
	Status   int       `json:"status,omitempty"` // last HTTP status, 0 for a network error
	Attempts int       `json:"attempts"`
	Reason   string    `json:"reason"`
}

// DeadLetters returns up to limit notes, newest first.
func (b *Outbox) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	if limit <= 0 || limit > DeadMax {
		limit = DeadMax
	}
	raw, err := b.o.Redis.LRange(ctx, b.o.key(KeyDead), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for _, r := range raw {
		var d DeadLetter
		if json.Unmarshal([]byte(r), &d) == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

func newEventID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "evt_" + hex.EncodeToString(b)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
