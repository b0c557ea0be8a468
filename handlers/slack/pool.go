package slack

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs acknowledged deliveries on a fixed number of workers behind a
// bounded queue: under a flood it refuses (and the edge sheds load with a
// short "busy" reply) rather than growing without bound.
//
// Deliveries with the same key (one conversation) run one at a time, in
// the order they were acknowledged: "my projector is broken" and "room 204"
// sent a second apart must not race on the conversation's session. Other
// conversations are not held up behind them.
type pool struct {
	workers int
	limit   int // deliveries accepted but not finished
	timeout time.Duration
	jobs    chan keyedJob
	log     *slog.Logger

	// Jobs run under base, not the server's context: work that was
	// acknowledged is finished after shutdown begins, until the deadline
	// given to stop cuts base off.
	base       context.Context
	cutoff     context.CancelCauseFunc
	stopped    chan struct{}
	deadline   *time.Timer
	unfinished atomic.Int64 // jobs cut off, or never started, at the deadline

	mu      sync.Mutex
	closed  bool
	pending int
	running map[string][]job // key → deliveries waiting for the one running
}

// job is one delivery's work, run with a context bounded by the pool's
// timeout (and, once stopping, by the drain deadline).
type job func(ctx context.Context)

type keyedJob struct {
	key string
	run job
}

var (
	errBusy    = errors.New("slack: all workers busy")
	errClosing = errors.New("slack: shutting down")
	// errDrainBudget cuts off work still running when the shutdown budget
	// (Config.DrainTimeout) runs out.
	errDrainBudget = errors.New("slack: shutdown budget spent")
)

func newPool(workers, queue int, timeout time.Duration, log *slog.Logger) *pool {
	p := &pool{workers: workers, limit: queue + workers, timeout: timeout,
		jobs: make(chan keyedJob, queue+workers), log: log, running: map[string][]job{},
		stopped: make(chan struct{})}
	p.base, p.cutoff = context.WithCancelCause(context.Background())
	return p
}

// submit queues j under key, or says why not: errBusy or errClosing.
func (p *pool) submit(key string, j job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errClosing
	}
	if p.pending >= p.limit {
		return errBusy
	}
	p.pending++
	p.jobs <- keyedJob{key, j} // never blocks: the channel holds limit jobs
	return nil
}

// run works until stop is called, then finishes the accepted jobs and
// returns how many of them it could not finish by stop's deadline.
func (p *pool) run() int {
	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			for {
				select {
				case j := <-p.jobs:
					p.take(j)
				case <-p.stopped:
					for {
						select {
						case j := <-p.jobs:
							p.take(j)
						default:
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	if p.deadline != nil {
		p.deadline.Stop()
	}
	p.mu.Unlock()
	return int(p.unfinished.Load())
}

// stop refuses new jobs and lets run finish the accepted ones until
// deadline; work still running then is cancelled, work not started is
// dropped. Only the first call counts.
func (p *pool) stop(deadline time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.deadline = time.AfterFunc(time.Until(deadline), func() { p.cutoff(errDrainBudget) })
	close(p.stopped)
}

// take runs j, unless its conversation is already running on another
// worker: then j waits for that worker, which runs it next.
func (p *pool) take(j keyedJob) {
	p.mu.Lock()
	if waiting, busy := p.running[j.key]; busy {
		p.running[j.key] = append(waiting, j.run)
		p.mu.Unlock()
		return
	}
	p.running[j.key] = nil
	p.mu.Unlock()

	next := j.run
	for next != nil {
		p.do(next)
		p.mu.Lock()
		p.pending--
		next = nil
		if waiting := p.running[j.key]; len(waiting) > 0 {
			next, p.running[j.key] = waiting[0], waiting[1:]
		} else {
			delete(p.running, j.key)
		}
		p.mu.Unlock()
	}
}

func (p *pool) do(j job) {
	if p.base.Err() != nil {
		p.unfinished.Add(1) // past the shutdown deadline: not even started
		return
	}
	ctx, cancel := context.WithTimeout(p.base, p.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("slack delivery handler panicked", "panic", r)
		}
		if errors.Is(context.Cause(ctx), errDrainBudget) {
			p.unfinished.Add(1)
		}
	}()
	j(ctx)
}
