package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// A case is a hash: "data" holds the fields fixed at creation (JSON); the
// fields that change (status, claimer, times, card, satisfaction, a raised
// priority) are hash
// fields so the Lua scripts can check and set them atomically, and what
// the requester adds later is note:1, note:2… (JSON turns; notes_n counts).

// createScript stores a new case unless the id is taken (a counter that
// expired after a long quiet spell restarts; ids are then skipped, never
// reused).
var createScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[4], 'data', ARGV[1], 'status', 'open', 'requester_id', ARGV[2], 'created_at', ARGV[3], 'updated_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[6])
return 1
`)

// transitionScript moves a case through its lifecycle atomically. It returns
// {code, hash...}: code is ok, again (idempotent repeat), not_found, closed,
// taken (claimed by another tech) or not_claimer.
//
// KEYS: case hash, open zset. ARGV: op, tech id, tech name, now ms, ttl s.
var transitionScript = goredis.NewScript(`
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'not_found'} end
local op, tech, name, now, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local st = redis.call('HGET', k, 'status')
local claimer = redis.call('HGET', k, 'claimer_id')
local code = 'ok'
local function snap(c)
  redis.call('EXPIRE', k, ttl)
  local h = redis.call('HGETALL', k)
  table.insert(h, 1, c)
  return h
end
if op == 'claim' then
  if st == 'resolved' or st == 'cancelled' then return snap('closed') end
  if st == 'claimed' then
    if claimer == tech then return snap('again') end
    return snap('taken')
  end
  redis.call('HSET', k, 'status', 'claimed', 'claimer_id', tech, 'claimer_name', name, 'claimed_at', now, 'updated_at', now)
elseif op == 'release' then
  if st == 'resolved' or st == 'cancelled' then return snap('closed') end
  if st == 'open' then return snap('again') end
  if claimer ~= tech then return snap('not_claimer') end
  redis.call('HSET', k, 'status', 'open', 'updated_at', now)
  redis.call('HDEL', k, 'claimer_id', 'claimer_name', 'claimed_at')
elseif op == 'resolve' then
  if st == 'resolved' then
    if claimer == tech then return snap('again') end
    return snap('closed')
  end
  if st == 'cancelled' then return snap('closed') end
  if st == 'claimed' and claimer ~= tech then return snap('not_claimer') end
  if st == 'open' then
    redis.call('HSET', k, 'claimer_id', tech, 'claimer_name', name, 'claimed_at', now)
  end
  redis.call('HSET', k, 'status', 'resolved', 'resolved_at', now, 'updated_at', now)
  -- a new resolution asks "is it fixed?" anew
  redis.call('HDEL', k, 'satisfaction', 'satisfaction_at')
  redis.call('ZREM', KEYS[2], redis.call('HGET', k, 'id'))
elseif op == 'reopen' then
  if st == 'open' or st == 'claimed' then return snap('again') end
  if st == 'cancelled' then return snap('closed') end
  redis.call('HSET', k, 'status', 'open', 'updated_at', now)
  redis.call('HDEL', k, 'claimer_id', 'claimer_name', 'claimed_at', 'resolved_at')
  redis.call('ZADD', KEYS[2], redis.call('HGET', k, 'created_at'), redis.call('HGET', k, 'id'))
  redis.call('EXPIRE', KEYS[2], ttl)
elseif op == 'cancel' then
  if st == 'cancelled' then return snap('again') end
  if st == 'resolved' then return snap('closed') end
  redis.call('HSET', k, 'status', 'cancelled', 'resolved_at', now, 'updated_at', now)
  redis.call('ZREM', KEYS[2], redis.call('HGET', k, 'id'))
end
return snap(code)
`)

// caseData is the part of a case fixed at creation.
type caseData struct {
	ID           string       `json:"id"`
	Priority     bot.Priority `json:"priority"`
	Reason       bot.Reason   `json:"reason"`
	Requester    bot.Person   `json:"requester"`
	Platform     string       `json:"platform"`
	Conversation string       `json:"conversation"`
	Thread       string       `json:"thread,omitempty"`
	Ref          string       `json:"ref,omitempty"`
	Location     string       `json:"location,omitempty"`
	Device       string       `json:"device,omitempty"`
	Summary      string       `json:"summary"`
	Brief        string       `json:"brief,omitempty"`
	Building     string       `json:"building,omitempty"`
	Topic        string       `json:"topic,omitempty"`
	Transcript   []bot.Turn   `json:"transcript,omitempty"`
	Articles     []bot.Source `json:"articles,omitempty"`
}

// CreateEscalation implements bot.Escalations. Ids are short and human:
// IT-1001, IT-1002…
func (s *Store) CreateEscalation(ctx context.Context, e bot.Escalation) (bot.Escalation, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	for range 20 {
		n, err := s.rdb.Incr(ctx, s.key(KeyCaseSeq)).Result()
		if err != nil {
			return e, fmt.Errorf("case id: %w", err)
		}
		if err := s.rdb.Expire(ctx, s.key(KeyCaseSeq), SeqTTL).Err(); err != nil {
			return e, fmt.Errorf("case id ttl: %w", err)
		}
		e.ID = fmt.Sprintf("%s-%d", s.casePrefix, 1000+n)
		d := caseData{
			ID: e.ID, Priority: e.Priority, Reason: e.Reason, Requester: e.Requester,
			Platform: e.Platform, Conversation: e.Conversation, Thread: e.Thread, Ref: e.Ref,
			Location: e.Location, Device: e.Device, Summary: e.Summary, Brief: e.Brief, Building: e.Building, Topic: e.Topic,
			Transcript: e.Transcript, Articles: e.Articles,
		}
		raw, err := json.Marshal(d)
		if err != nil {
			return e, fmt.Errorf("encode case: %w", err)
		}
		keys := []string{s.key(KeyCase, e.ID), s.key(KeyOpen), s.requesterKey(e.Platform, e.Requester.ID)}
		ok, err := createScript.Run(ctx, s.rdb, keys, raw, e.Requester.ID, e.CreatedAt.UnixMilli(),
			e.ID, int64(CaseTTL/time.Second), int64(RequesterTTL/time.Second)).Int()
		if err != nil {
			return e, fmt.Errorf("create case: %w", err)
		}
		if ok == 1 {
			e.Status = bot.StatusOpen
			return e, nil
		}
	}
	return e, errors.New("create case: no free id")
}

func (s *Store) requesterKey(platform, user string) string {
	return s.key(KeyRequester, platform, ":", user)
}

// Escalation implements bot.Escalations.
func (s *Store) Escalation(ctx context.Context, id string) (bot.Escalation, error) {
	h, err := s.rdb.HGetAll(ctx, s.key(KeyCase, id)).Result()
	if err != nil {
		return bot.Escalation{}, fmt.Errorf("load case %s: %w", id, err)
	}
	if len(h) == 0 {
		return bot.Escalation{}, bot.ErrNotFound
	}
	return decodeCase(h)
}

func (s *Store) transition(ctx context.Context, op, id string, tech bot.Person, at time.Time) (bot.Escalation, string, error) {
	if id == "" {
		return bot.Escalation{}, "", bot.ErrNotFound
	}
	res, err := transitionScript.Run(ctx, s.rdb, []string{s.key(KeyCase, id), s.key(KeyOpen)},
		op, tech.ID, tech.Name, at.UnixMilli(), int64(CaseTTL/time.Second)).StringSlice()
	if err != nil {
		return bot.Escalation{}, "", fmt.Errorf("%s case %s: %w", op, id, err)
	}
	code := res[0]
	if code == "not_found" {
		return bot.Escalation{}, code, bot.ErrNotFound
	}
	h := make(map[string]string, len(res)/2)
	for i := 1; i+1 < len(res); i += 2 {
		h[res[i]] = res[i+1]
	}
	e, err := decodeCase(h)
	if err != nil {
		return e, code, err
	}
	switch code {
	case "closed":
		return e, code, bot.ErrClosed
	case "taken":
		return e, code, bot.ErrAlreadyClaimed
	case "not_claimer":
		return e, code, bot.ErrNotClaimer
	}
	return e, code, nil
}

// Claim implements bot.Escalations: exactly one tech wins; the winner
// claiming again gets first=false and no error.
func (s *Store) Claim(ctx context.Context, id string, tech bot.Person, at time.Time) (bot.Escalation, bool, error) {
	e, code, err := s.transition(ctx, "claim", id, tech, at)
	return e, code == "ok", err
}

// Release implements bot.Escalations.
func (s *Store) Release(ctx context.Context, id string, tech bot.Person, at time.Time) (bot.Escalation, error) {
	e, _, err := s.transition(ctx, "release", id, tech, at)
	return e, err
}

// Resolve implements bot.Escalations. Resolving an unclaimed case claims it
// for the resolver.
func (s *Store) Resolve(ctx context.Context, id string, tech bot.Person, at time.Time) (bot.Escalation, error) {
	e, _, err := s.transition(ctx, "resolve", id, tech, at)
	return e, err
}

// Reopen implements bot.Escalations.
func (s *Store) Reopen(ctx context.Context, id string, at time.Time) (bot.Escalation, error) {
	e, _, err := s.transition(ctx, "reopen", id, bot.Person{}, at)
	return e, err
}

// Cancel implements bot.Escalations.
func (s *Store) Cancel(ctx context.Context, id string, at time.Time) (bot.Escalation, error) {
	e, _, err := s.transition(ctx, "cancel", id, bot.Person{}, at)
	return e, err
}

// setFieldScript sets one field on an existing case without recreating it.
var setFieldScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updated_at', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[4], ARGV[3]) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
`)

func (s *Store) setField(ctx context.Context, id, field, value, stamp string, at time.Time) error {
	ok, err := setFieldScript.Run(ctx, s.rdb, []string{s.key(KeyCase, id)}, field, value, at.UnixMilli(), stamp, int64(CaseTTL/time.Second)).Int()
	if err != nil {
		return fmt.Errorf("update case %s: %w", id, err)
	}
	if ok == 0 {
		return bot.ErrNotFound
	}
	return nil
}

// SetCard implements bot.Escalations.
func (s *Store) SetCard(ctx context.Context, id, card string) error {
	return s.setField(ctx, id, "card", card, "", time.Now())
}

// noteScript appends a note to a case as field note:N, keeping the last
// ARGV[3] (older ones are deleted), without recreating an expired case.
var noteScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'notes_n', 1)
redis.call('HSET', KEYS[1], 'note:' .. n, ARGV[1], 'updated_at', ARGV[2])
local keep = tonumber(ARGV[3])
if n > keep then redis.call('HDEL', KEYS[1], 'note:' .. (n - keep)) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return n
`)

// MaxNotes is how many of the requester's later messages a case keeps.
const MaxNotes = 8

// AddNote implements bot.Escalations.
func (s *Store) AddNote(ctx context.Context, id string, t bot.Turn) (bot.Escalation, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return bot.Escalation{}, fmt.Errorf("encode note: %w", err)
	}
	n, err := noteScript.Run(ctx, s.rdb, []string{s.key(KeyCase, id)}, raw, t.At.UnixMilli(), MaxNotes, int64(CaseTTL/time.Second)).Int()
	if err != nil {
		return bot.Escalation{}, fmt.Errorf("add note to case %s: %w", id, err)
	}
	if n == 0 {
		return bot.Escalation{}, bot.ErrNotFound
	}
	return s.Escalation(ctx, id)
}

// SetUrgent implements bot.Escalations: the "priority" hash field
// overrides the one the case was created with.
func (s *Store) SetUrgent(ctx context.Context, id string, at time.Time) error {
	return s.setField(ctx, id, "priority", string(bot.PriorityUrgent), "", at)
}

// SetPlace implements bot.Escalations: the "location" and "building" hash
// fields override the ones the case was created with.
func (s *Store) SetPlace(ctx context.Context, id string, p bot.Place, at time.Time) error {
	if err := s.setField(ctx, id, "location", p.Location, "", at); err != nil {
		return err
	}
	return s.setField(ctx, id, "building", p.Building, "", at)
}

// SetSatisfaction implements bot.Escalations.
func (s *Store) SetSatisfaction(ctx context.Context, id, verdict string, at time.Time) error {
	return s.setField(ctx, id, "satisfaction", verdict, "satisfaction_at", at)
}

// OpenEscalations implements bot.Escalations: unresolved cases, oldest first.
func (s *Store) OpenEscalations(ctx context.Context, limit int) ([]bot.Escalation, error) {
	if limit <= 0 || limit > maxCaseListing {
		limit = maxCaseListing
	}
	ids, err := s.rdb.ZRange(ctx, s.key(KeyOpen), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("list open cases: %w", err)
	}
	return s.loadMany(ctx, s.key(KeyOpen), ids, func(e bot.Escalation) bool { return !e.Status.Closed() })
}

// RequesterEscalations implements bot.Escalations: a person's cases that
// are still open, newest first.
func (s *Store) RequesterEscalations(ctx context.Context, platform, user string, limit int) ([]bot.Escalation, error) {
	if limit <= 0 || limit > maxCaseListing {
		limit = maxCaseListing
	}
	k := s.requesterKey(platform, user)
	ids, err := s.rdb.ZRevRange(ctx, k, 0, int64(limit*3)).Result()
	if err != nil {
		return nil, fmt.Errorf("list requester cases: %w", err)
	}
	out, err := s.loadMany(ctx, k, ids, func(e bot.Escalation) bool { return !e.Status.Closed() })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// loadMany reads cases in one round trip and drops ids whose case expired.
func (s *Store) loadMany(ctx context.Context, index string, ids []string, keep func(bot.Escalation) bool) ([]bot.Escalation, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*goredis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.key(KeyCase, id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("load cases: %w", err)
	}
	var out []bot.Escalation
	var gone []any
	for i, c := range cmds {
		h := c.Val()
		if len(h) == 0 {
			gone = append(gone, ids[i])
			continue
		}
		e, err := decodeCase(h)
		if err != nil {
			continue
		}
		if keep(e) {
			out = append(out, e)
		}
	}
	if len(gone) > 0 && index != "" {
		s.rdb.ZRem(ctx, index, gone...)
	}
	return out, nil
}

func decodeCase(h map[string]string) (bot.Escalation, error) {
	var d caseData
	if err := json.Unmarshal([]byte(h["data"]), &d); err != nil {
		return bot.Escalation{}, fmt.Errorf("decode case: %w", err)
	}
	e := bot.Escalation{
		ID: d.ID, Status: bot.Status(h["status"]), Priority: d.Priority, Reason: d.Reason,
		Requester: d.Requester, Platform: d.Platform, Conversation: d.Conversation,
		Thread: d.Thread, Ref: d.Ref, Location: d.Location, Device: d.Device,
		Summary: d.Summary, Transcript: d.Transcript, Articles: d.Articles, Brief: d.Brief,
		Building: d.Building, Topic: d.Topic, Incident: h["incident"], Reports: atoi(h["reports"]),
		Claimer:      bot.Person{ID: h["claimer_id"], Name: h["claimer_name"]},
		CreatedAt:    ms(h["created_at"]),
		ClaimedAt:    ms(h["claimed_at"]),
		ResolvedAt:   ms(h["resolved_at"]),
		Card:         h["card"],
		Satisfaction: h["satisfaction"],
	}
	if p := h["priority"]; p != "" {
		e.Priority = bot.Priority(p)
	}
	if l := h["location"]; l != "" {
		e.Location, e.Building = l, h["building"]
	}
	e.Transcript = append(e.Transcript, notes(h)...)
	return e, nil
}

// notes are a case's note:N fields, oldest first; a field that does not
// decode is skipped rather than losing the case.
func notes(h map[string]string) []bot.Turn {
	type note struct {
		n int
		t bot.Turn
	}
	var ns []note
	for k, v := range h {
		num, ok := strings.CutPrefix(k, "note:")
		if !ok {
			continue
		}
		var t bot.Turn
		if json.Unmarshal([]byte(v), &t) == nil {
			ns = append(ns, note{atoi(num), t})
		}
	}
	slices.SortFunc(ns, func(a, b note) int { return a.n - b.n })
	out := make([]bot.Turn, len(ns))
	for i, x := range ns {
		out[i] = x.t
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func ms(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n)
}
