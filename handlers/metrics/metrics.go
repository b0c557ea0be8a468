// Package metrics exposes helpbot to Prometheus on its own registry: desk
// events (a bot.Observer), edge, Redis and LLM health, and the open queue.
//
// The Slack and Teams edges and the LLM answerer report through small
// interfaces of their own (their Config.Metrics, llm.Deps.Metrics), which
// *Metrics implements (ObserveReply, PlatformEvent, LLMCall, LLMFallback,
// LLMTokens), so they neither import this package nor need it in tests.
// cmd/helpbot hands them Default, which `helpbot serve` and the playground
// expose at /metrics; the package functions record into Default too. Tests
// make their own with New.
package metrics

import (
	"context"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/helpbot/helpbot/bot"
)

const ns = "helpbot"

// Metrics is one registry of helpbot's series. Safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	deskEvents    *prometheus.CounterVec
	escalations   *prometheus.CounterVec
	satisfaction  *prometheus.CounterVec
	timeToClaim   prometheus.Histogram
	timeToResolve prometheus.Histogram

	platformEvents *prometheus.CounterVec
	replySeconds   *prometheus.HistogramVec
	redisErrors    *prometheus.CounterVec

	llmCalls     *prometheus.CounterVec
	llmSeconds   *prometheus.HistogramVec
	llmFallbacks *prometheus.CounterVec
	llmTokens    prometheus.Counter

	queue        *queueCollector
	statsDropped *statsDropped
}

var _ bot.Observer = (*Metrics)(nil)

// waitBuckets span a case's wait for a tech: a minute to a school day.
var waitBuckets = []float64{60, 180, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

// New returns a Metrics with every series registered, plus the Go runtime,
// process and helpbot_build_info series.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.deskEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "desk_events_total",
		Help: "Desk events by platform and type: asked, answered, not_sure, solved, policy, escalated, claimed, released, resolved, reopened, cancelled, satisfaction, file_failed…",
	}, []string{"platform", "event"})
	m.escalations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "escalations_total",
		Help: "Cases filed, by platform, priority and reason.",
	}, []string{"platform", "priority", "reason"})
	m.satisfaction = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "satisfaction_total",
		Help: "Requesters' answers to \"is it fixed?\" after a resolve, by verdict (fixed, not_fixed).",
	}, []string{"verdict"})
	m.timeToClaim = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Name: "time_to_claim_seconds",
		Help:    "Seconds from filing a case to a tech claiming it (each claim; a re-claim after release counts from filing).",
		Buckets: waitBuckets,
	})
	m.timeToResolve = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Name: "time_to_resolve_seconds",
		Help:    "Seconds from filing a case to a tech resolving it.",
		Buckets: waitBuckets,
	})
	m.platformEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "platform_events_total",
		Help: "Platform deliveries (Slack events, Teams activities, button presses) by platform and outcome: ok, duplicate, rejected, rate_limited, error.",
	}, []string{"platform", "outcome"})
	m.replySeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: ns, Name: "reply_seconds",
		Help:    "Seconds from receiving a message to the bot's reply being sent, by platform.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30},
	}, []string{"platform"})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "redis_errors_total",
		Help: "Redis commands, pipelines and dials that failed (a missing key is not an error).",
	}, []string{"op"})
	m.llmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "llm_calls_total",
		Help: "Calls to the LLM endpoint by purpose (answer, summary, embed, rerank) and outcome (ok, error).",
	}, []string{"purpose", "outcome"})
	m.llmSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: ns, Name: "llm_call_seconds",
		Help:    "Seconds per LLM call, by purpose.",
		Buckets: []float64{0.25, 0.5, 1, 2, 4, 8, 15, 30},
	}, []string{"purpose"})
	m.llmFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "llm_fallbacks_total",
		Help: "Times the KB answered alone although an LLM was configured, by reason (timeout, breaker_open, budget_spent, invalid, http 429…).",
	}, []string{"reason"})
	m.llmTokens = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "llm_tokens_total",
		Help: "Tokens the LLM endpoint reported using (prompt and completion).",
	})
	m.queue = newQueueCollector()
	m.statsDropped = newStatsDropped()

	m.reg.MustRegister(m.deskEvents, m.escalations, m.satisfaction, m.timeToClaim, m.timeToResolve,
		m.platformEvents, m.replySeconds, m.redisErrors,
		m.llmCalls, m.llmSeconds, m.llmFallbacks, m.llmTokens, m.queue, m.statsDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo())
	for _, v := range []string{bot.VerdictFixed, bot.VerdictNotFixed} {
		m.satisfaction.WithLabelValues(v)
	}
	for _, op := range []string{"command", "pipeline", "dial"} {
		m.redisErrors.WithLabelValues(op)
	}
	return m
}

// Registry is where the series live, for callers adding their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry: m.reg, MaxRequestsInFlight: 4, Timeout: 10 * time.Second,
	})
}

// Observe implements bot.Observer: desk figures as counters. It never
// blocks and never touches the network.
func (m *Metrics) Observe(_ context.Context, e bot.Event) {
	platform := label(e.Platform)
	m.deskEvents.WithLabelValues(platform, label(string(e.Type))).Inc()
	c := e.Case
	switch e.Type {
	case bot.EventEscalated:
		if c != nil {
			m.escalations.WithLabelValues(platform, label(string(c.Priority)), label(string(c.Reason))).Inc()
		}
	case bot.EventClaimed:
		if c != nil && !c.CreatedAt.IsZero() && !c.ClaimedAt.IsZero() {
			m.timeToClaim.Observe(nonNegative(c.ClaimedAt.Sub(c.CreatedAt)))
		}
	case bot.EventResolved:
		if c != nil && !c.CreatedAt.IsZero() && !c.ResolvedAt.IsZero() {
			m.timeToResolve.Observe(nonNegative(c.ResolvedAt.Sub(c.CreatedAt)))
		}
	case bot.EventSatisfaction:
		if e.Verdict == bot.VerdictFixed || e.Verdict == bot.VerdictNotFixed {
			m.satisfaction.WithLabelValues(e.Verdict).Inc()
		}
	}
}

func nonNegative(d time.Duration) float64 { return max(0, d.Seconds()) }

// ObserveReply records how long a reply took on a platform: from the
// platform event arriving to the reply being posted.
func (m *Metrics) ObserveReply(platform string, d time.Duration) {
	m.replySeconds.WithLabelValues(label(platform)).Observe(nonNegative(d))
}

// PlatformEvent counts one delivery from a platform and what became of it:
// "ok", "duplicate" (a redelivery already handled), "rejected" (bad
// signature or token), "rate_limited", "error".
func (m *Metrics) PlatformEvent(platform, outcome string) {
	m.platformEvents.WithLabelValues(label(platform), label(outcome)).Inc()
}

// LLMCall records one call to the LLM endpoint: purpose is "answer",
// "summary", "embed" or "rerank"; err nil is a success.
func (m *Metrics) LLMCall(purpose string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	p := label(purpose)
	m.llmCalls.WithLabelValues(p, outcome).Inc()
	m.llmSeconds.WithLabelValues(p).Observe(nonNegative(d))
}

// LLMFallback counts the KB answering alone although an LLM is configured;
// reason is a short class ("timeout", "breaker_open", "http 429"), never
// a provider's message.
func (m *Metrics) LLMFallback(reason string) {
	m.llmFallbacks.WithLabelValues(label(reason)).Inc()
}

// LLMTokens adds tokens the endpoint reported using.
func (m *Metrics) LLMTokens(n int64) {
	if n > 0 {
		m.llmTokens.Add(float64(n))
	}
}

// label keeps label values short and bounded: lower case, letters, digits,
// space, '_', '-', '.', at most 40 characters; empty becomes "unknown".
// Callers pass classes, but a label is forever, so a mistake must not
// explode the series count or carry text.
func label(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == ' ', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// Version is the release, set at build time with
// -ldflags "-X github.com/helpbot/helpbot/handlers/metrics.Version=v1.2.3";
// empty means the module version from the build info.
var Version string

func buildInfo() prometheus.Collector {
	version, revision := Version, "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// std is what the package functions record into and serve exposes.
var std = New()

// Default is the process-wide Metrics behind the package functions.
func Default() *Metrics { return std }

// ObserveReply records a reply's latency on Default; see Metrics.ObserveReply.
func ObserveReply(platform string, d time.Duration) { std.ObserveReply(platform, d) }

// PlatformEvent counts a delivery on Default; see Metrics.PlatformEvent.
func PlatformEvent(platform, outcome string) { std.PlatformEvent(platform, outcome) }

// LLMCall records an LLM call on Default; see Metrics.LLMCall.
func LLMCall(purpose string, d time.Duration, err error) { std.LLMCall(purpose, d, err) }

// LLMFallback counts a fallback on Default; see Metrics.LLMFallback.
func LLMFallback(reason string) { std.LLMFallback(reason) }

// LLMTokens adds tokens on Default; see Metrics.LLMTokens.
func LLMTokens(n int64) { std.LLMTokens(n) }
