package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runner is a long-running part of the bot (a Socket Mode connection, a
// worker pool, a reminder loop). It returns when ctx is cancelled, having
// finished or handed back the work it acknowledged.
type runner func(ctx context.Context) error

// serve runs the bot on the configured platforms behind one HTTP server.
// With no platform configured it falls back to the browser playground so a fresh
// machine does something useful.
func (c *cli) serve(ctx context.Context, args []string) error {
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	if !cfg.anyPlatform() {
		return c.playground(ctx, args)
	}
	if len(args) > 0 {
		return exitCode(2, fmt.Errorf("serve takes no arguments (got %q)", args[0]))
	}
	log := newLogger(c.stderr, cfg)
	a, err := newApp(ctx, cfg, log, c.stderr)
	if err != nil {
		return err
	}
	defer a.close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.readyz)

	runners := []runner{a.reminders()}
	runners = append(runners, a.wireOps(mux)...)
	if cfg.SlackBotToken != "" {
		r, err := a.mountSlack(ctx, mux)
		if err != nil {
			return err
		}
		runners = append(runners, r)
	}
	if cfg.TeamsAppID != "" {
		r, err := a.mountTeams(ctx, mux)
		if err != nil {
			return err
		}
		runners = append(runners, r)
	}
	runners = append(runners, a.webhookRunners(ctx)...) // ticketing webhook (webhook.go)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return exitCode(2, fmt.Errorf("HTTP_ADDR %q: %w", cfg.HTTPAddr, err))
	}
	a.addr = ln.Addr().String()
	l := lifecycle{log: log, timeout: cfg.ShutdownTimeout}
	srv := l.server(mux, 20*time.Second)
	log.Info("helpbot serving", "addr", a.addr, "slack", cfg.SlackBotToken != "", "teams", cfg.TeamsAppID != "")
	return l.run(ctx, srv, ln, runners) // drain, then stop (shutdown.go)
}

func (c Config) anyPlatform() bool {
	return c.SlackBotToken != "" || c.TeamsAppID != ""
}

// readyz is ready when Redis answers: without it no case can be filed.
// The LLM is optional and never makes the bot unready.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}
