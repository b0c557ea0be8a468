package llm

import (
	"errors"
	"strings"
	"sync/atomic"
	"time"
)

// Metrics receives what the model costs and how it fares:
// *metrics.Metrics (handlers/metrics) implements it. Nothing passed to it
// carries a provider's words or staff text: LLMCall's error is errCall
// whatever went wrong, and LLMFallback's reason is a fixed class.
type Metrics interface {
	// LLMCall records one call to the endpoint: purpose is "answer",
	// "summary" or "rerank" (the re-ranker's embeddings call).
	LLMCall(purpose string, d time.Duration, err error)
	// LLMFallback counts the KB answering alone although the LLM is on.
	LLMFallback(reason string)
	// LLMTokens adds the tokens the endpoint reported using.
	LLMTokens(n int64)
}

// errCall is the only error Metrics ever sees: a provider's error text can
// echo what it was sent.
var errCall = errors.New("llm call failed")

type noMetrics struct{}

func (noMetrics) LLMCall(string, time.Duration, error) {}
func (noMetrics) LLMFallback(string)                   {}
func (noMetrics) LLMTokens(int64)                      {}

// meter holds the Model's Metrics; it can be set after the Model is built
// (SetMetrics), so it is read atomically.
type meter struct{ p atomic.Pointer[Metrics] }

func (mt *meter) set(m Metrics) {
	if m == nil {
		m = noMetrics{}
	}
	mt.p.Store(&m)
}

func (mt *meter) get() Metrics {
	if m := mt.p.Load(); m != nil {
		return *m
	}
	return noMetrics{}
}

// SetMetrics makes the Model behind this Answerer (and so its Summarizer
// and re-ranker too) report to m; for callers that build the Answerer
// before the metrics exist. Deps.Metrics does the same at construction.
func (a *Answerer) SetMetrics(m Metrics) { a.m.metrics.set(m) }

// called records one call to the endpoint and the tokens it reported.
func (m *Model) called(purpose string, start time.Time, used int64, err error) {
	mx := m.metrics.get()
	if err != nil {
		err = errCall
	}
	mx.LLMCall(purpose, time.Since(start), err)
	if used > 0 {
		mx.LLMTokens(used)
	}
}

// fallbackReason is classify's answer cut to its class: "invalid: no
// citation" counts as "invalid", so the series stay few.
func fallbackReason(err error) string {
	r := classify(err)
	if class, _, ok := strings.Cut(r, ":"); ok {
		return class
	}
	return r
}
