package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ShutdownConfig bounds a graceful stop (SIGTERM, Ctrl-C).
type ShutdownConfig struct {
	// ShutdownTimeout is how long helpbot may take, after SIGTERM, to
	// finish the requests in flight and the work it acknowledged. Keep it
	// below the orchestrator's grace period (Kubernetes: 30 s by default).
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"20s"`
}

const defaultShutdownTimeout = 20 * time.Second

// drainBudget is how long an edge may take, once cancelled, to close its
// connection and finish the work it acknowledged: SHUTDOWN_TIMEOUT less a
// quarter, which is kept for the requests in flight at SIGTERM (they only
// acknowledge, in milliseconds) and for the process's own teardown. The
// edges cut off whatever is still running when it is spent, so the process
// stops within SHUTDOWN_TIMEOUT however slow one reply is.
func (c ShutdownConfig) drainBudget() time.Duration {
	t := c.ShutdownTimeout
	if t <= 0 {
		t = defaultShutdownTimeout
	}
	return t - t/4
}

func (c Config) validateShutdown() error {
	if c.ShutdownTimeout < time.Second || c.ShutdownTimeout > 10*time.Minute {
		return fmt.Errorf("SHUTDOWN_TIMEOUT must be between 1s and 10m, not %s", c.ShutdownTimeout)
	}
	return nil
}

// lifecycle is how the HTTP server and the runners start and stop.
type lifecycle struct {
	log     *slog.Logger  // nil: no request log, shutdown notes discarded
	timeout time.Duration // ≤ 0: defaultShutdownTimeout
	// readHeaderTimeout is how long a client may take to send its request
	// headers (≤ 0: 5 s); tests shorten it.
	readHeaderTimeout time.Duration
}

// server is the HTTP server serve and the playground run, with the limits
// that keep slow or stuck clients from holding connections open. write is
// the whole response's deadline (the playground's event stream lifts it
// for itself).
func (l lifecycle) server(h http.Handler, write time.Duration) *http.Server {
	rh := l.readHeaderTimeout
	if rh <= 0 {
		rh = 5 * time.Second
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: rh,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      write,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// run serves until ctx ends or a runner fails, then stops in order:
//
//  1. draining: /readyz and every work route answer 503 (drainGate), so
//     the load balancer and Slack/Teams move to another replica;
//  2. the HTTP server stops listening and finishes the requests in flight
//     (each of which either acknowledged its delivery or refused it);
//  3. the runners are cancelled: Socket Mode closes, and the worker pools
//     finish what was acknowledged, each within the drain budget (a
//     quarter less than the timeout), reporting any work they had to cut;
//
// all within the timeout. Past it, helpbot gives up with an error (exit 1):
// acknowledged work may have been lost, and the operator should know. A
// runner that reports lost work while stopping makes the stop an error too.
func (l lifecycle) run(ctx context.Context, srv *http.Server, ln net.Listener, runners []runner) error {
	log := l.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := l.timeout
	if timeout <= 0 {
		timeout = defaultShutdownTimeout
	}
	var draining atomic.Bool
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	h = drainGate(&draining, h)
	if l.log != nil {
		h = requestLog(l.log, h)
	}
	srv.Handler = h

	// Runners outlive ctx on purpose: they stop after the HTTP server has
	// stopped handing them work.
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRun()
	errc := make(chan error, len(runners)+1)
	var httpDone, runDone sync.WaitGroup
	httpDone.Add(1)
	go func() {
		defer httpDone.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	for _, r := range runners {
		runDone.Add(1)
		go func() {
			defer runDone.Done()
			if err := r(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
			}
		}()
	}

	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	draining.Store(true)
	start := time.Now()
	log.Info("shutting down: no new work; finishing what was acknowledged", "timeout", timeout.String())
	shutCtx, stop := context.WithTimeout(context.Background(), timeout)
	defer stop()

	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
		if first == nil {
			first = fmt.Errorf("http shutdown: %w", err)
		}
	}
	httpDone.Wait()
	cancelRun()
	done := make(chan struct{})
	go func() { runDone.Wait(); close(done) }()
	select {
	case <-done:
	case <-shutCtx.Done():
		log.Error("shutdown timed out; acknowledged work may be lost", "timeout", timeout.String())
		if first == nil {
			first = fmt.Errorf("shutdown: work still running after SHUTDOWN_TIMEOUT=%s", timeout)
		}
		return first
	}
	// What the runners said while stopping (an edge that ran out of its
	// drain budget says how much acknowledged work went unanswered).
	for len(errc) > 0 {
		if err := <-errc; first == nil {
			first = err
		}
	}
	log.Info("stopped", "took_ms", time.Since(start).Milliseconds())
	return first
}
