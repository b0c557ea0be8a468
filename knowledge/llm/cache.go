package llm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// outcome is what one model call for one question produced, as cached.
type outcome struct {
	Kind  string   `json:"kind"` // answered, not_covered, failed
	Text  string   `json:"text,omitempty"`
	Cited []string `json:"cited,omitempty"` // article paths, in citation order
}

const (
	kindAnswered   = "answered"
	kindNotCovered = "not_covered"
	kindFailed     = "failed"
)

// errFailedRecently: an identical question failed moments ago; the KB
// answers instead of asking the model again.
var errFailedRecently = errors.New("the model failed on this question recently")

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:40]
}

func (m *Model) key(family, id string) string { return m.prefix + family + id }

func (m *Model) cached(ctx context.Context, id string) (outcome, bool, error) {
	raw, err := m.rdb.Get(ctx, m.key(KeyAnswer, id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, fmt.Errorf("answer cache: %w", err)
	}
	var o outcome
	if err := json.Unmarshal(raw, &o); err != nil {
		return outcome{}, false, nil // unreadable: treat as a miss and overwrite
	}
	return o, true, nil
}

func (m *Model) remember(ctx context.Context, id string, o outcome, ttl time.Duration) {
	raw, _ := json.Marshal(o)
	if err := m.rdb.Set(ctx, m.key(KeyAnswer, id), raw, ttl).Err(); err != nil {
		m.log.Warn("llm answer cache write failed", "key", id[:12], "err", err)
	}
}

// unlockScript deletes the lock only if this caller still holds it.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// once makes sure a question is put to the model once, however many
// people ask it at the same moment: in-process callers share one flight,
// and across replicas a short Redis lock picks the one that calls; the
// rest wait for its cached outcome.
func (m *Model) once(ctx context.Context, id string, call func(context.Context) (outcome, error)) (outcome, error) {
	if o, ok, err := m.cached(ctx, id); err != nil || ok {
		return o, err
	}
	return m.flights.do(ctx, id, func() (outcome, error) {
		// The flight outlives any one asker: one requester giving up must
		// not fail the others waiting on the same answer.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.Timeout+lockSlack)
		defer cancel()
		token := randomToken()
		got, err := m.rdb.SetNX(lctx, m.key(KeyLock, id), token, m.cfg.Timeout+lockSlack).Result()
		if err != nil {
			return outcome{}, fmt.Errorf("answer lock: %w", err)
		}
		if !got {
			return m.await(lctx, id)
		}
		defer unlockScript.Run(context.WithoutCancel(ctx), m.rdb, []string{m.key(KeyLock, id)}, token)
		// Another replica may have finished between our miss and our lock.
		if o, ok, err := m.cached(lctx, id); err != nil || ok {
			return o, err
		}
		return call(lctx)
	})
}

// await polls for another replica's outcome until it appears, the lock is
// gone without one (that replica gave up), or ctx ends.
func (m *Model) await(ctx context.Context, id string) (outcome, error) {
	t := time.NewTicker(waitPoll)
	defer t.Stop()
	for {
		if o, ok, err := m.cached(ctx, id); err != nil || ok {
			return o, err
		}
		n, err := m.rdb.Exists(ctx, m.key(KeyLock, id)).Result()
		if err != nil {
			return outcome{}, fmt.Errorf("answer lock: %w", err)
		}
		if n == 0 {
			// Released: one last look, since the outcome is written first.
			if o, ok, err := m.cached(ctx, id); err != nil || ok {
				return o, err
			}
			return outcome{}, errors.New("the replica asking the model gave up")
		}
		select {
		case <-ctx.Done():
			return outcome{}, fmt.Errorf("waiting for another replica's answer: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// flights collapses concurrent identical calls in one process.
type flights struct {
	mu    sync.Mutex
	calls map[string]*flight
}

type flight struct {
	done chan struct{}
	o    outcome
	err  error
}

// do runs fn once per id at a time; every caller gets its result, or its
// own ctx error if it stops waiting first.
func (f *flights) do(ctx context.Context, id string, fn func() (outcome, error)) (outcome, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flight{}
	}
	c, ok := f.calls[id]
	if !ok {
		c = &flight{done: make(chan struct{})}
		f.calls[id] = c
		go func() {
			c.o, c.err = fn()
			f.mu.Lock()
			delete(f.calls, id)
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.o, c.err
	case <-ctx.Done():
		return outcome{}, ctx.Err()
	}
}
