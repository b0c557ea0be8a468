package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// Data rights (bot.DataRights): find, delete and export everything kept
// about one person, and the audit log of those actions.

// Key families this file adds, relative to the prefix. DATA.md documents
// each one; a test keeps the two in step.
const (
	// KeyUserSessions + {platform}:{user} → set of the session keys
	// (relative to sess:) of conversations the person started, so a purge
	// finds them. Renewed with every session save; outlives the sessions.
	KeyUserSessions = "usess:"
	// KeyUserRef + {platform}:{user} → how to reach the person later
	// (DESIGN.md's conv: family; the Teams edge writes conv:teams:…).
	// Deleted by a purge whatever platform wrote it.
	KeyUserRef = "conv:"
	// KeyAudit is the audit log: a list of JSON entries, newest first,
	// capped at AuditMax entries and AuditTTL.
	KeyAudit = "audit:log"
)

// Audit log bounds.
const (
	AuditTTL = 400 * 24 * time.Hour
	AuditMax = 10000
)

var _ bot.DataRights = (*Store)(nil)

// indexSession queues on pipe the record of a saved session under its
// requester, for purges; SaveSession sends it with the session itself.
func (s *Store) indexSession(ctx context.Context, pipe goredis.Pipeliner, sess bot.Session) {
	platform, _, ok := strings.Cut(sess.Key, ":")
	if !ok || sess.Requester.ID == "" {
		return
	}
	k := s.key(KeyUserSessions, platform, ":", sess.Requester.ID)
	pipe.SAdd(ctx, k, sess.Key)
	pipe.Expire(ctx, k, SessionTTL)
}

// scanBatch bounds each SCAN step and each pipeline of reads.
const scanBatch = 500

// scan calls fn with every key under the prefix matching pattern (relative).
// On Redis Cluster every primary is scanned: SCAN sees one node's keys.
func (s *Store) scan(ctx context.Context, pattern string, fn func(keys []string) error) error {
	if cc, ok := s.rdb.(*goredis.ClusterClient); ok {
		var mu sync.Mutex // ForEachMaster runs nodes in parallel; fn need not be safe for that
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return scanNode(ctx, c, s.prefix+pattern, func(keys []string) error {
				mu.Lock()
				defer mu.Unlock()
				return fn(keys)
			})
		})
	}
	return scanNode(ctx, s.rdb, s.prefix+pattern, fn)
}

func scanNode(ctx context.Context, rdb goredis.Cmdable, match string, fn func(keys []string) error) error {
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, match, scanBatch).Result()
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return err
			}
		}
		cursor = next
		if cursor == 0 {
			return nil
		}
	}
}

// userSessions returns the keys (relative to sess:) and contents of the
// sessions the person started: those in their index, and any other whose
// requester they are (saved before the index existed, or an index write
// that failed). Someone else's session is never returned.
func (s *Store) userSessions(ctx context.Context, platform, user string) (map[string]bot.Session, error) {
	out := map[string]bot.Session{}
	check := func(keys []string) error {
		pipe := s.rdb.Pipeline()
		cmds := make([]*goredis.StringCmd, len(keys))
		for i, k := range keys {
			cmds[i] = pipe.Get(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			return fmt.Errorf("read sessions: %w", err)
		}
		for i, c := range cmds {
			raw, err := c.Bytes()
			if err != nil {
				continue
			}
			var sess bot.Session
			if json.Unmarshal(raw, &sess) != nil || sess.Requester.ID != user {
				continue
			}
			rel := strings.TrimPrefix(keys[i], s.key(KeySession))
			if p, _, _ := strings.Cut(rel, ":"); p != platform {
				continue
			}
			sess.Key = rel
			out[rel] = sess
		}
		return nil
	}
	members, err := s.rdb.SMembers(ctx, s.key(KeyUserSessions, platform, ":", user)).Result()
	if err != nil {
		return nil, fmt.Errorf("session index: %w", err)
	}
	var keys []string
	for _, m := range members {
		keys = append(keys, s.key(KeySession, m))
	}
	for len(keys) > 0 {
		n := min(len(keys), scanBatch)
		if err := check(keys[:n]); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	if err := s.scan(ctx, KeySession+platform+":*", func(keys []string) error {
		var rest []string
		for _, k := range keys {
			if _, seen := out[strings.TrimPrefix(k, s.key(KeySession))]; !seen {
				rest = append(rest, k)
			}
		}
		if len(rest) == 0 {
			return nil
		}
		return check(rest)
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// UserCases implements bot.DataRights. It reads every case, not only the
// requester index, which may have expired before an old case did.
func (s *Store) UserCases(ctx context.Context, platform, user string) (requested, claimed []bot.Escalation, err error) {
	err = s.scan(ctx, KeyCase+"*", func(keys []string) error {
		pipe := s.rdb.Pipeline()
		var cmds []*goredis.MapStringStringCmd
		for _, k := range keys {
			if k == s.key(KeyCaseSeq) {
				continue
			}
			cmds = append(cmds, pipe.HGetAll(ctx, k))
		}
		if len(cmds) == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			return fmt.Errorf("read cases: %w", err)
		}
		for _, c := range cmds {
			h := c.Val()
			if len(h) == 0 || h["data"] == "" {
				continue
			}
			e, err := decodeCase(h)
			if err != nil || e.Platform != platform {
				continue
			}
			if e.Requester.ID == user {
				requested = append(requested, e)
			} else if e.Claimer.ID == user {
				claimed = append(claimed, e)
			}
		}
		return nil
	})
	byCreated := func(list []bot.Escalation) {
		sort.Slice(list, func(i, j int) bool { return list[i].CreatedAt.Before(list[j].CreatedAt) })
	}
	byCreated(requested)
	byCreated(claimed)
	return requested, claimed, err
}

// formerClaimScript takes a purged tech off a case: a claim in progress
// goes back to the queue; a closed case keeps its history with the
// claimer shown as "former staff". Nothing happens if someone else has it.
//
// KEYS: case hash, open zset. ARGV: tech id, now ms, replacement name.
var formerClaimScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'claimer_id') ~= ARGV[1] then return 0 end
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'claimed' then
  redis.call('HSET', KEYS[1], 'status', 'open', 'updated_at', ARGV[2])
  redis.call('HDEL', KEYS[1], 'claimer_id', 'claimer_name', 'claimed_at')
  return 2
end
redis.call('HSET', KEYS[1], 'claimer_id', '', 'claimer_name', ARGV[3])
return 1
`)

// PurgeUser implements bot.DataRights. Open cases should be cancelled
// first (the Desk does, so the techs are told); this deletes whatever is
// left, whatever its status.
func (s *Store) PurgeUser(ctx context.Context, platform, user string) (bot.PurgeCounts, error) {
	var c bot.PurgeCounts
	sessions, err := s.userSessions(ctx, platform, user)
	if err != nil {
		return c, err
	}
	var del []string
	for k := range sessions {
		del = append(del, s.key(KeySession, k))
	}
	if err := s.delete(ctx, del); err != nil {
		return c, err
	}
	c.Conversations = len(sessions)

	requested, claimed, err := s.UserCases(ctx, platform, user)
	if err != nil {
		return c, err
	}
	for _, e := range requested {
		pipe := s.rdb.TxPipeline()
		pipe.Del(ctx, s.key(KeyCase, e.ID), s.key(KeyIncident, e.ID))
		pipe.ZRem(ctx, s.key(KeyOpen), e.ID)
		if e.Incident != "" {
			pipe.SRem(ctx, s.key(KeyIncident, e.Incident), e.ID)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return c, fmt.Errorf("delete case %s: %w", e.ID, err)
		}
		c.Cases++
	}
	now := time.Now().UnixMilli()
	for _, e := range claimed {
		n, err := formerClaimScript.Run(ctx, s.rdb, []string{s.key(KeyCase, e.ID), s.key(KeyOpen)}, user, now, bot.FormerStaff).Int()
		if err != nil {
			return c, fmt.Errorf("unclaim case %s: %w", e.ID, err)
		}
		switch n {
		case 1:
			c.ClaimsRenamed++
		case 2:
			c.ClaimsReleased++
		}
	}

	others, err := s.userKeys(ctx, platform, user)
	if err != nil {
		return c, err
	}
	n, err := s.rdb.Del(ctx, append(others, s.key(KeyUserSessions, platform, ":", user))...).Result()
	if err != nil {
		return c, fmt.Errorf("delete user keys: %w", err)
	}
	c.OtherKeys = int(n)
	return c, nil
}

func (s *Store) delete(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), scanBatch)
		if err := s.rdb.Del(ctx, keys[:n]...).Err(); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}

// userKeys are the person's other keys: those named by their platform and
// id (rate limit, requester index, conversation reference), and any other
// key under the prefix with the id as a whole segment (delivery markers
// such as dedupe:slack:click:…:{user}). Families whose keys are checked
// field by field (sessions, cases) or never hold a person (the audit log,
// the LLM caches, the ticket outbox) are left out of the sweep.
func (s *Store) userKeys(ctx context.Context, platform, user string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, fam := range []string{KeyRate, KeyRequester, KeyUserRef} {
		k := s.key(fam, platform, ":", user)
		n, err := s.rdb.Exists(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("user keys: %w", err)
		}
		if n > 0 {
			add(k)
		}
	}
	err := s.scan(ctx, "*", func(keys []string) error {
		for _, k := range keys {
			rel := strings.TrimPrefix(k, s.prefix)
			if sweepSkips(rel) {
				continue
			}
			if hasSegment(rel, user) && !otherPlatform(rel, platform) {
				add(k)
			}
		}
		return nil
	})
	return out, err
}

// sweepSkips lists families the whole-segment sweep must not touch.
func sweepSkips(rel string) bool {
	for _, f := range []string{KeySession, KeyCase, KeyOpen, KeyIncident, KeyAudit, KeyUserSessions, "llm:", "webhook:"} {
		if strings.HasPrefix(rel, f) {
			return true
		}
	}
	return false
}

// otherPlatform reports a key that names another platform in its first
// two segments (rl:web:pat.rivera when purging console's pat.rivera).
func otherPlatform(rel, platform string) bool {
	parts := strings.SplitN(rel, ":", 3)
	for _, p := range parts[:min(2, len(parts))] {
		switch p {
		case bot.PlatformSlack, bot.PlatformTeams, bot.PlatformConsole, bot.PlatformWeb:
			if p != platform {
				return true
			}
		}
	}
	return false
}

// hasSegment reports whether id appears in key between colons (or at its
// end). Ids may contain colons themselves (Teams "29:…").
func hasSegment(key, id string) bool {
	for i := 0; ; {
		j := strings.Index(key[i:], ":"+id)
		if j < 0 {
			return false
		}
		end := i + j + 1 + len(id)
		if end == len(key) || key[end] == ':' {
			return true
		}
		i += j + 1
	}
}

// ExportUser implements bot.DataRights.
func (s *Store) ExportUser(ctx context.Context, platform, user string) (bot.UserData, error) {
	d := bot.UserData{Platform: platform, User: user, Sessions: []bot.Session{}, Requested: []bot.Escalation{},
		Claimed: []bot.ClaimRecord{}, Other: []bot.KeptRecord{}, Audit: []bot.AuditEntry{}}
	sessions, err := s.userSessions(ctx, platform, user)
	if err != nil {
		return d, err
	}
	for _, sess := range sessions {
		d.Sessions = append(d.Sessions, sess)
	}
	sort.Slice(d.Sessions, func(i, j int) bool { return d.Sessions[i].UpdatedAt.Before(d.Sessions[j].UpdatedAt) })

	requested, claimed, err := s.UserCases(ctx, platform, user)
	if err != nil {
		return d, err
	}
	for _, e := range requested {
		e.Claimer.ID = "" // the tech's id is not the requester's data
		e.Card = ""       // an internal reference to the techs' channel
		d.Requested = append(d.Requested, e)
	}
	for _, e := range claimed {
		d.Claimed = append(d.Claimed, bot.ClaimRecord{ID: e.ID, Platform: e.Platform, Status: e.Status,
			Priority: e.Priority, ClaimedAt: e.ClaimedAt, ResolvedAt: e.ResolvedAt})
	}

	others, err := s.userKeys(ctx, platform, user)
	if err != nil {
		return d, err
	}
	others = append(others, s.key(KeyUserSessions, platform, ":", user))
	sort.Strings(others)
	for _, k := range others {
		r, ok, err := s.record(ctx, k)
		if err != nil {
			return d, err
		}
		if ok {
			d.Other = append(d.Other, r)
		}
	}

	log, err := s.AuditLog(ctx, AuditMax)
	if err != nil {
		return d, err
	}
	for _, e := range log {
		if (e.Platform == platform && e.Target == user) || e.Actor == platform+":"+user {
			d.Audit = append(d.Audit, e)
		}
	}
	return d, nil
}

// record reads one small key for an export.
func (s *Store) record(ctx context.Context, k string) (bot.KeptRecord, bool, error) {
	rel := strings.TrimPrefix(k, s.prefix)
	fam := rel
	if i := strings.Index(rel, ":"); i >= 0 {
		fam = rel[:i+1]
	}
	if fam == KeyDedupe {
		// dedupe:{source}:… — the source names the edge that wrote it.
		if parts := strings.SplitN(rel, ":", 4); len(parts) >= 3 {
			fam = strings.Join(parts[:3], ":") + ":"
		}
	}
	ttl, err := s.rdb.PTTL(ctx, k).Result()
	if err != nil {
		return bot.KeptRecord{}, false, fmt.Errorf("export %s: %w", fam, err)
	}
	if ttl == -2*time.Nanosecond || ttl == -2*time.Millisecond {
		return bot.KeptRecord{}, false, nil // gone meanwhile
	}
	r := bot.KeptRecord{Family: fam, Key: rel, ExpiresIn: ttl.Round(time.Second).String()}
	typ, err := s.rdb.Type(ctx, k).Result()
	if err != nil {
		return r, false, fmt.Errorf("export %s: %w", fam, err)
	}
	switch typ {
	case "none":
		return r, false, nil
	case "string":
		r.Value, err = s.rdb.Get(ctx, k).Result()
	case "set":
		r.Members, err = s.rdb.SMembers(ctx, k).Result()
		sort.Strings(r.Members)
	case "zset":
		r.Members, err = s.rdb.ZRange(ctx, k, 0, -1).Result()
	case "list":
		r.Members, err = s.rdb.LRange(ctx, k, 0, -1).Result()
	case "hash":
		var h map[string]string
		h, err = s.rdb.HGetAll(ctx, k).Result()
		for f, v := range h {
			r.Members = append(r.Members, f+"="+v)
		}
		sort.Strings(r.Members)
	}
	if errors.Is(err, goredis.Nil) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("export %s: %w", fam, err)
	}
	return r, true, nil
}

// auditRecord is an audit entry as stored: the time in ms first, so the
// script that trims old entries can read it without a JSON parser.
type auditRecord struct {
	T int64 `json:"t"`
	bot.AuditEntry
}

// auditScript appends an entry, caps the list and drops entries older
// than the TTL from the old end.
//
// KEYS: audit list. ARGV: entry, max entries, ttl s, oldest allowed ms.
var auditScript = goredis.NewScript(`
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
local oldest = tonumber(ARGV[4])
for i = 1, 100 do
  local last = redis.call('LINDEX', KEYS[1], -1)
  if not last then break end
  local t = tonumber(string.match(last, '^{"t":(%-?%d+)'))
  if t == nil or t >= oldest then break end
  redis.call('RPOP', KEYS[1])
end
return 1
`)

// Audit implements bot.DataRights.
func (s *Store) Audit(ctx context.Context, e bot.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	raw, err := json.Marshal(auditRecord{T: e.At.UnixMilli(), AuditEntry: e})
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	oldest := e.At.Add(-AuditTTL).UnixMilli()
	if err := auditScript.Run(ctx, s.rdb, []string{s.key(KeyAudit)}, raw, AuditMax, int64(AuditTTL/time.Second), oldest).Err(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog implements bot.DataRights: newest first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]bot.AuditEntry, error) {
	if limit <= 0 || limit > AuditMax {
		limit = AuditMax
	}
	raw, err := s.rdb.LRange(ctx, s.key(KeyAudit), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]bot.AuditEntry, 0, len(raw))
	for _, r := range raw {
		var a auditRecord
		if json.Unmarshal([]byte(r), &a) == nil {
			out = append(out, a.AuditEntry)
		}
	}
	return out, nil
}
