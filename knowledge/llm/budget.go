package llm

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	goredis "github.com/redis/go-redis/v9"
)

// errBudgetSpent: today's token budget is used up; the KB answers alone
// until the day turns.
var errBudgetSpent = errors.New("daily LLM token budget spent")

// reserveScript adds a reservation to today's counter and takes it back if
// it would pass the budget, atomically, so replicas sharing Redis never
// overspend together. KEYS: day counter. ARGV: tokens, budget (0 = none), ttl s.
var reserveScript = goredis.NewScript(`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local cap = tonumber(ARGV[2])
if cap > 0 and v > cap then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return 0
end
return 1`)

// settleScript replaces a reservation with what the call really used.
var settleScript = goredis.NewScript(`
redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`)

func (m *Model) tokensKey() string {
	return m.key(KeyTokens, m.now().Format("2006-01-02"))
}

// reserve books an estimate of a call's tokens before it is made. Redis
// being unreachable fails closed: no accounting, no call.
func (m *Model) reserve(ctx context.Context, tokens int64) (string, error) {
	k := m.tokensKey()
	ok, err := reserveScript.Run(ctx, m.rdb, []string{k}, tokens, m.cfg.DailyTokens, int64(tokensTTL.Seconds())).Int()
	if err != nil {
		return "", fmt.Errorf("token budget: %w", err)
	}
	if ok == 0 {
		return "", errBudgetSpent
	}
	return k, nil
}

// settle corrects the day's counter from the estimate to the tokens used
// (the estimate stands when the server reports no usage).
func (m *Model) settle(ctx context.Context, key string, reserved, used int64) {
	if used <= 0 || used == reserved {
		return
	}
	if err := settleScript.Run(context.WithoutCancel(ctx), m.rdb, []string{key}, used-reserved, int64(tokensTTL.Seconds())).Err(); err != nil {
		m.log.Warn("llm token budget update failed", "err", err)
	}
}

// estimate is a generous token count for a call: about three characters a
// token for what is sent, plus everything the model may write.
func estimate(maxOut int, texts ...string) int64 {
	n := 0
	for _, t := range texts {
		n += utf8.RuneCountInString(t)
	}
	return int64(n/3 + maxOut + 16)
}

// TokensToday is what the budget has counted today (for /metrics and tests).
func (m *Model) TokensToday(ctx context.Context) (int64, error) {
	n, err := m.rdb.Get(ctx, m.tokensKey()).Int64()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	return n, err
}
