package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

var _ bot.Incidents = (*Store)(nil)

// linkScript groups a case under a primary: the case leaves the open queue,
// joins the primary's set, and the primary's report count is updated.
// KEYS: primary hash, case hash, incident set, open zset.
var linkScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('HSET', KEYS[2], 'incident', ARGV[1], 'updated_at', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[2])
local n = redis.call('SCARD', KEYS[3]) + 1
redis.call('HSET', KEYS[1], 'reports', n, 'updated_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return n
`)

// unlinkScript undoes linkScript for one case (the primary keeps its
// report count: it still received that report).
// KEYS: case hash, incident set, open zset.
var unlinkScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'incident')
redis.call('SREM', KEYS[2], ARGV[1])
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'open' or st == 'claimed' then
  redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'created_at'), ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
return 1
`)

// LinkCase implements bot.Incidents.
func (s *Store) LinkCase(ctx context.Context, primary, id string, at time.Time) (int, error) {
	keys := []string{s.key(KeyCase, primary), s.key(KeyCase, id), s.key(KeyIncident, primary), s.key(KeyOpen)}
	n, err := linkScript.Run(ctx, s.rdb, keys, primary, id, at.UnixMilli(), int64(CaseTTL/time.Second)).Int()
	if err != nil {
		return 0, fmt.Errorf("group case %s under %s: %w", id, primary, err)
	}
	if n < 0 {
		return 0, bot.ErrNotFound
	}
	return n, nil
}

// UnlinkCase implements bot.Incidents.
func (s *Store) UnlinkCase(ctx context.Context, id string, at time.Time) error {
	primary, err := s.rdb.HGet(ctx, s.key(KeyCase, id), "incident").Result()
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ungroup case %s: %w", id, err)
	}
	keys := []string{s.key(KeyCase, id), s.key(KeyIncident, primary), s.key(KeyOpen)}
	if err := unlinkScript.Run(ctx, s.rdb, keys, id, int64(CaseTTL/time.Second)).Err(); err != nil {
		return fmt.Errorf("ungroup case %s: %w", id, err)
	}
	return s.dropReportNotes(ctx, primary, id)
}

// dropReportNotes deletes from primary the copies of what report's
// requester added (bot.Turn.Report): they leave the incident with the
// report, and with the person when their data is purged.
func (s *Store) dropReportNotes(ctx context.Context, primary, report string) error {
	h, err := s.rdb.HGetAll(ctx, s.key(KeyCase, primary)).Result()
	if err != nil {
		return fmt.Errorf("notes of %s: %w", primary, err)
	}
	var drop []string
	for k, v := range h {
		if !strings.HasPrefix(k, "note:") {
			continue
		}
		var t bot.Turn
		if json.Unmarshal([]byte(v), &t) == nil && t.Report == report {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, s.key(KeyCase, primary), drop...).Err(); err != nil {
		return fmt.Errorf("drop notes of %s from %s: %w", report, primary, err)
	}
	return nil
}

// LinkedCases implements bot.Incidents.
func (s *Store) LinkedCases(ctx context.Context, primary string) ([]bot.Escalation, error) {
	ids, err := s.rdb.SMembers(ctx, s.key(KeyIncident, primary)).Result()
	if err != nil {
		return nil, fmt.Errorf("grouped cases of %s: %w", primary, err)
	}
	return s.loadMany(ctx, "", ids, func(bot.Escalation) bool { return true })
}
