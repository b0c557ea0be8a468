package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// statsDropped reports how many desk events the daily figures could not
// record (their queue was full, or Redis failed): the report shows them as
// "unrecorded", and this lets an alert say so before anyone reads it.
type statsDropped struct {
	desc  *prometheus.Desc
	count atomic.Pointer[func() uint64]
}

func newStatsDropped() *statsDropped {
	return &statsDropped{desc: prometheus.NewDesc(ns+"_stats_events_dropped_total",
		"Desk events the daily figures could not record (queue full or Redis failing).", nil, nil)}
}

// WatchStatsDropped makes each scrape report count(), the stats recorder's
// Dropped. Until it is called the series reads 0.
func (m *Metrics) WatchStatsDropped(count func() uint64) { m.statsDropped.count.Store(&count) }

func (s *statsDropped) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

func (s *statsDropped) Collect(ch chan<- prometheus.Metric) {
	var n uint64
	if f := s.count.Load(); f != nil {
		n = (*f)()
	}
	ch <- prometheus.MustNewConstMetric(s.desc, prometheus.CounterValue, float64(n))
}
