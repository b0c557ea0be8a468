package metrics

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// QueueFunc lists the open and claimed cases (bot.Escalations'
// OpenEscalations). The listing is capped by the store (200 oldest).
type QueueFunc func(ctx context.Context) ([]bot.Escalation, error)

// queueCollector reads the queue at scrape time, at most once per
// minInterval whatever the number of scrapers, so Redis is asked one
// ZRANGE and one pipelined read per interval.
type queueCollector struct {
	open   *prometheus.Desc
	oldest *prometheus.Desc
	up     *prometheus.Desc

	mu          sync.Mutex
	list        QueueFunc
	now         func() time.Time
	minInterval time.Duration
	readAt      time.Time
	cases       []bot.Escalation
	err         error
}

func newQueueCollector() *queueCollector {
	return &queueCollector{
		open: prometheus.NewDesc(ns+"_open_cases", "Cases waiting for a tech (status=open) or being worked on (status=claimed), by priority.",
			[]string{"priority", "status"}, nil),
		oldest: prometheus.NewDesc(ns+"_oldest_unclaimed_case_age_seconds", "Age of the oldest case nobody has claimed, by priority; 0 when there is none.",
			[]string{"priority"}, nil),
		up:          prometheus.NewDesc(ns+"_queue_up", "1 when the queue could be read from Redis at the last scrape, else 0.", nil, nil),
		minInterval: 10 * time.Second,
		now:         time.Now,
	}
}

// WatchQueue makes each scrape report the open queue; now ages the cases
// (nil means time.Now).
func (m *Metrics) WatchQueue(list QueueFunc, now func() time.Time) {
	q := m.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = list
	if now != nil {
		q.now = now
	}
	q.readAt = time.Time{}
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.open
	ch <- q.oldest
	ch <- q.up
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.list == nil {
		return
	}
	now := q.now()
	if q.readAt.IsZero() || now.Sub(q.readAt) >= q.minInterval || now.Before(q.readAt) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		q.cases, q.err = q.list(ctx)
		cancel()
		q.readAt = now
	}
	if q.err != nil {
		ch <- prometheus.MustNewConstMetric(q.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(q.up, prometheus.GaugeValue, 1)
	type key struct{ prio, status string }
	counts := map[key]int{}
	oldest := map[string]time.Duration{}
	prios := []string{string(bot.PriorityNormal), string(bot.PriorityUrgent)}
	for _, p := range prios {
		counts[key{p, string(bot.StatusOpen)}] = 0
		counts[key{p, string(bot.StatusClaimed)}] = 0
		oldest[p] = 0
	}
	for _, e := range q.cases {
		if e.Status.Closed() {
			continue
		}
		p := label(string(e.Priority))
		counts[key{p, label(string(e.Status))}]++
		if e.Status == bot.StatusOpen && !e.CreatedAt.IsZero() {
			if age := now.Sub(e.CreatedAt); age > oldest[p] {
				oldest[p] = age
			}
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(q.open, prometheus.GaugeValue, float64(n), k.prio, k.status)
	}
	for p, age := range oldest {
		ch <- prometheus.MustNewConstMetric(q.oldest, prometheus.GaugeValue, age.Seconds(), p)
	}
}

// RedisHook counts failed Redis commands, pipelines and dials into
// helpbot_redis_errors_total; add it to the client (AddHook) once.
func (m *Metrics) RedisHook() goredis.Hook { return redisHook{m.redisErrors} }

type redisHook struct{ errs *prometheus.CounterVec }

func failed(err error) bool {
	return err != nil && !errors.Is(err, goredis.Nil) && !errors.Is(err, context.Canceled)
}

func (h redisHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if failed(err) {
			h.errs.WithLabelValues("dial").Inc()
		}
		return c, err
	}
}

func (h redisHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if failed(err) && !isScriptMiss(err) {
			h.errs.WithLabelValues("command").Inc()
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		if failed(err) {
			h.errs.WithLabelValues("pipeline").Inc()
		}
		return err
	}
}

// isScriptMiss is the NOSCRIPT reply go-redis answers itself by sending
// the script body (EVALSHA first, then EVAL): routine, not a fault.
func isScriptMiss(err error) bool {
	return goredis.HasErrorPrefix(err, "NOSCRIPT")
}
