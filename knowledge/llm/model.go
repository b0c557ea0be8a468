package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"
	openai "github.com/sashabaranov/go-openai"
	"github.com/sony/gobreaker/v2"

	"github.com/helpbot/helpbot/bot/screen"
)

// Model is the configured LLM with everything that keeps it safe and cheap:
// the one outbound door (redaction), per-call timeout, circuit breakers,
// the shared daily token budget, and the Redis answer cache. The Answerer,
// the Summarizer and the re-ranker are views of one Model.
type Model struct {
	cfg      Config
	p        *provider
	rdb      goredis.UniversalClient
	prefix   string
	screener *screen.Screener
	log      *slog.Logger
	now      func() time.Time
	chatCB   *gobreaker.CircuitBreaker[any]
	embedCB  *gobreaker.CircuitBreaker[any]
	flights  flights
	metrics  meter
}

// New checks c and builds a Model.
func New(c Config, d Deps) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	if d.Redis == nil || d.Screener == nil {
		return nil, errors.New("llm: Redis and Screener are required")
	}
	c.defaults()
	m := &Model{cfg: c, rdb: d.Redis, prefix: d.Prefix, screener: d.Screener, log: d.Logger, now: d.Clock}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.metrics.set(d.Metrics)
	m.p = newProvider(c, m.outbound)
	m.chatCB = m.breaker("llm-chat")
	m.embedCB = m.breaker("llm-embeddings")
	return m, nil
}

// breaker opens after BreakerFailures consecutive failures (errors,
// timeouts, invalid output) and stays open for BreakerCooldown, during
// which no call is made and the KB answers alone; then one trial call.
func (m *Model) breaker(name string) *gobreaker.CircuitBreaker[any] {
	n := uint32(m.cfg.BreakerFailures)
	return gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     m.cfg.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= n },
		OnStateChange: func(name string, from, to gobreaker.State) {
			m.log.Warn("llm circuit breaker", "breaker", name, "from", from.String(), "to", to.String())
		},
		// The budget running out is not the provider failing.
		IsExcluded: func(err error) bool { return errors.Is(err, errBudgetSpent) },
	})
}

// Embeddings reports whether the dense re-ranker is configured.
func (m *Model) Embeddings() bool { return m.cfg.EmbeddingModel != "" }

// Name is the model as configured, for logs ("gpt-4o-mini", a deployment…).
func (m *Model) Name() string { return m.cfg.Model }

// ask makes one guarded chat call for purpose ("answer", "summary"):
// breaker, budget, timeout, then check turns the raw reply into a result
// or an error (invalid output is a failure the breaker counts).
func (m *Model) ask(ctx context.Context, purpose, system, user string, maxOut int, check func(string) (any, error)) (any, error) {
	if m.chatCB.State() == gobreaker.StateOpen {
		return nil, gobreaker.ErrOpenState
	}
	est := estimate(maxOut, system, user)
	day, err := m.reserve(ctx, est)
	if err != nil {
		return nil, err
	}
	var used int64
	res, err := m.chatCB.Execute(func() (any, error) {
		cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
		defer cancel()
		start := time.Now()
		raw, n, err := m.p.chat(cctx, system, user, maxOut)
		m.called(purpose, start, n, err)
		used = n
		if err != nil {
			return nil, err
		}
		return check(raw)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		m.refund(ctx, day, est) // no call was made
		return nil, err
	}
	if err != nil && used == 0 && refused(err) {
		m.refund(ctx, day, est)
		return nil, err
	}
	m.settle(ctx, day, est, used)
	return res, err
}

// refused reports an error response from the provider: it billed nothing.
// A timeout keeps its reservation, since the provider may have spent it.
func refused(err error) bool {
	var api *openai.APIError
	var req *openai.RequestError
	return errors.As(err, &api) || errors.As(err, &req)
}

// refund gives back a whole reservation.
func (m *Model) refund(ctx context.Context, day string, reserved int64) {
	if err := m.rdb.DecrBy(context.WithoutCancel(ctx), day, reserved).Err(); err != nil {
		m.log.Warn("llm token budget refund failed", "err", err)
	}
}
