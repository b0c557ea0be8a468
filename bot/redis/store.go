package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// TTLs. Every key the store writes has one; nothing grows without bound.
const (
	SessionTTL     = 24 * time.Hour      // sliding: each message extends it
	CaseTTL        = 90 * 24 * time.Hour // after the last change (close included)
	SeqTTL         = 400 * 24 * time.Hour
	RequesterTTL   = 90 * 24 * time.Hour
	DefaultDedupe  = time.Hour
	maxCaseListing = 200
)

// Key families, relative to the prefix. DATA.md documents each one; a test
// keeps the two in step.
const (
	KeySession   = "sess:" // sess:{platform}:{conversation}[:{thread}] → JSON session
	KeyCase      = "esc:"  // esc:{id} → hash
	KeyCaseSeq   = "esc:seq"
	KeyOpen      = "open"    // zset of open/claimed case ids by creation time
	KeyRequester = "req:"    // req:{platform}:{user} → zset of that person's case ids
	KeyDedupe    = "dedupe:" // dedupe:{source}:{id}
	KeyRate      = "rl:"     // rl:{platform}:{user}
	KeyIncident  = "inc:"    // inc:{primary case id} → set of case ids grouped under it
)

// Options configure the store.
type Options struct {
	Prefix     string // default "hb:"
	CasePrefix string // default "IT" → IT-1001
}

// Store implements bot.Store on Redis.
type Store struct {
	rdb        goredis.UniversalClient
	prefix     string
	casePrefix string
}

var _ bot.Store = (*Store)(nil)

// New wraps a client.
func New(rdb goredis.UniversalClient, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = "hb:"
	}
	if o.CasePrefix == "" {
		o.CasePrefix = "IT"
	}
	return &Store{rdb: rdb, prefix: o.Prefix, casePrefix: o.CasePrefix}
}

// Client exposes the connection for other Redis-backed components (stats,
// outbox) that share the prefix.
func (s *Store) Client() goredis.UniversalClient { return s.rdb }

// Prefix is the key prefix, e.g. "hb:".
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) key(parts ...string) string {
	k := s.prefix
	for _, p := range parts {
		k += p
	}
	return k
}

// LoadSession implements bot.Sessions.
func (s *Store) LoadSession(ctx context.Context, key string) (bot.Session, error) {
	return decodeSession(key, s.rdb.Get(ctx, s.key(KeySession, key)))
}

// decodeSession reads a session GET's reply.
func decodeSession(key string, get *goredis.StringCmd) (bot.Session, error) {
	raw, err := get.Bytes()
	if errors.Is(err, goredis.Nil) {
		return bot.Session{Key: key}, nil
	}
	if err != nil {
		return bot.Session{Key: key}, fmt.Errorf("load session: %w", err)
	}
	var sess bot.Session
	if err := json.Unmarshal(raw, &sess); err != nil {
		// A session we cannot read is worth less than a fresh start.
		return bot.Session{Key: key}, nil
	}
	sess.Key = key
	return sess, nil
}

// SaveSession implements bot.Sessions; each save restarts the 24 h TTL.
func (s *Store) SaveSession(ctx context.Context, sess bot.Session) error {
	raw, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	// One round trip: the session and its index entry for purges
	// (SADD+EXPIRE usess:{platform}:{user}, rights.go). A plain pipeline,
	// not MULTI, so a Cluster without a hash-tagged prefix still works.
	pipe := s.rdb.Pipeline()
	set := pipe.Set(ctx, s.key(KeySession, sess.Key), raw, SessionTTL)
	s.indexSession(ctx, pipe, sess)
	_, err = pipe.Exec(ctx)
	if err := set.Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if err != nil {
		return fmt.Errorf("index session: %w", err)
	}
	return nil
}

// DeleteSession implements bot.Sessions.
func (s *Store) DeleteSession(ctx context.Context, key string) error {
	return s.rdb.Del(ctx, s.key(KeySession, key)).Err()
}

// Once implements bot.Limiter: true the first time key is seen within ttl,
// across every replica sharing this Redis.
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		ttl = DefaultDedupe
	}
	ok, err := s.rdb.SetNX(ctx, s.key(KeyDedupe, key), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("dedupe: %w", err)
	}
	return ok, nil
}

// rateScript counts messages in a fixed window and reports the first
// refusal, so the user gets exactly one "slow down" notice per window.
var rateScript = goredis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local limit = tonumber(ARGV[1])
if n <= limit then return 0 end
if n == limit + 1 then return 1 end
return 2
`)

// Allow implements bot.Limiter.
func (s *Store) Allow(ctx context.Context, user string, limit int, window time.Duration) (bool, bool, error) {
	return rateResult(rateScript.Run(ctx, s.rdb, []string{s.key(KeyRate, user)}, limit, window.Milliseconds()))
}

func rateResult(cmd *goredis.Cmd) (bool, bool, error) {
	res, err := cmd.Int()
	if err != nil {
		return true, false, fmt.Errorf("rate limit: %w", err)
	}
	return res == 0, res == 1, nil
}

var _ bot.Admitter = (*Store)(nil)

// Admit implements bot.Admitter: the rate-limit script and the session GET
// go out in one pipeline (Allow and LoadSession would take a round trip
// each). A plain pipeline, so on Cluster the two keys may live on
// different nodes. The session is read even when the rate limit refuses;
// reading has no effect, and the desk then ignores it.
func (s *Store) Admit(ctx context.Context, user string, limit int, window time.Duration, sessionKey string) bot.Admission {
	rateKeys := []string{s.key(KeyRate, user)}
	pipe := s.rdb.Pipeline()
	rate := rateScript.EvalSha(ctx, pipe, rateKeys, limit, window.Milliseconds())
	get := pipe.Get(ctx, s.key(KeySession, sessionKey))
	_, _ = pipe.Exec(ctx) // each command carries its own error
	if err := rate.Err(); err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
		// The server does not have the script yet (first use, restart,
		// SCRIPT FLUSH); NOSCRIPT means it did not run, so run it now.
		rate = rateScript.Eval(ctx, s.rdb, rateKeys, limit, window.Milliseconds())
	}
	var a bot.Admission
	a.Allowed, a.FirstRefusal, a.LimitErr = rateResult(rate)
	a.Session, a.SessionErr = decodeSession(sessionKey, get)
	return a
}
