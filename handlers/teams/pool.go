package teams

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// job is one acknowledged activity waiting for a worker.
type job struct {
	act      activity
	received time.Time // when its request arrived, for the reply latency
}

// errDrainBudget cuts off work still running when the shutdown budget
// (Config.DrainTimeout) runs out.
var errDrainBudget = errors.New("teams: shutdown budget spent")

// pool runs jobs on a fixed number of workers. Activities of one
// conversation always go to the same worker, so a person's messages are
// answered in the order they were sent; a full queue is reported at once
// (the caller sheds load) rather than blocking the HTTP handler.
type pool struct {
	shards  []chan job
	process func(ctx context.Context, j job)
	log     *slog.Logger
	timeout time.Duration // one job's budget

	// Jobs run under base, not under the server's context: what was
	// acknowledged is finished after shutdown begins, until the drain
	// deadline cuts base off.
	base       context.Context
	cutoff     context.CancelCauseFunc
	unfinished atomic.Int64 // jobs cut off or never started at the deadline

	mu      sync.RWMutex
	stopped bool
}

func newPool(workers, queue int, timeout time.Duration, process func(context.Context, job), log *slog.Logger) *pool {
	p := &pool{process: process, log: log, timeout: timeout}
	p.base, p.cutoff = context.WithCancelCause(context.Background())
	per := max(queue/workers, 1)
	for range workers {
		p.shards = append(p.shards, make(chan job, per))
	}
	return p
}

// enqueue reports false when the worker for this conversation is full or
// the pool has stopped.
func (p *pool) enqueue(j job) (ok, stopped bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.stopped {
		return false, true
	}
	h := fnv.New32a()
	h.Write([]byte(j.act.Conversation.ID))
	select {
	case p.shards[h.Sum32()%uint32(len(p.shards))] <- j:
		return true, false
	default:
		return false, false
	}
}

// run works until ctx ends, then stops taking jobs and finishes the queued
// ones (they were acknowledged, so Teams will not send them again) until
// drain has passed. Work still running then is cancelled and work not yet
// started is dropped; run returns how many jobs that was.
func (p *pool) run(ctx context.Context, drain time.Duration) int {
	var wg sync.WaitGroup
	for _, ch := range p.shards {
		wg.Go(func() {
			for j := range ch {
				p.do(j)
			}
		})
	}
	<-ctx.Done()
	p.mu.Lock()
	p.stopped = true
	for _, ch := range p.shards {
		close(ch)
	}
	p.mu.Unlock()
	t := time.AfterFunc(drain, func() { p.cutoff(errDrainBudget) })
	defer t.Stop()
	wg.Wait()
	return int(p.unfinished.Load())
}

func (p *pool) do(j job) {
	if p.base.Err() != nil {
		p.unfinished.Add(1) // past the deadline: not even started
		return
	}
	ctx, cancel := context.WithTimeout(p.base, p.timeout)
	defer cancel()
	p.process(ctx, j)
	if errors.Is(context.Cause(ctx), errDrainBudget) {
		p.unfinished.Add(1)
	}
}
