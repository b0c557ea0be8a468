package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// KeyWaiting is a sorted set of conversation (session) keys with a request
// waiting for its place, scored by when it goes without one.
const KeyWaiting = "waiting"

var _ bot.Waiting = (*Store)(nil)

// MarkWaiting implements bot.Waiting. The set lives as long as a session.
func (s *Store) MarkWaiting(ctx context.Context, session string, due time.Time) error {
	pipe := s.rdb.TxPipeline()
	pipe.ZAdd(ctx, s.key(KeyWaiting), goredis.Z{Score: float64(due.UnixMilli()), Member: session})
	pipe.Expire(ctx, s.key(KeyWaiting), SessionTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("mark waiting: %w", err)
	}
	return nil
}

// TakeWaiting implements bot.Waiting.
func (s *Store) TakeWaiting(ctx context.Context, session string) (bool, error) {
	n, err := s.rdb.ZRem(ctx, s.key(KeyWaiting), session).Result()
	if err != nil {
		return false, fmt.Errorf("take waiting: %w", err)
	}
	return n == 1, nil
}

// DueWaiting implements bot.Waiting.
func (s *Store) DueWaiting(ctx context.Context, now time.Time, limit int) ([]string, error) {
	keys, err := s.rdb.ZRangeByScore(ctx, s.key(KeyWaiting), &goredis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("due waiting: %w", err)
	}
	return keys, nil
}
