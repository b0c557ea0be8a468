package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// Routes mounts the Events API endpoints (HTTP mode).
func (e *Edge) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/events", e.serveEvents)
	mux.HandleFunc("POST /slack/interactivity", e.serveInteractivity)
	mux.HandleFunc("POST /slack/commands", e.serveCommands)
}

// verified reads the body, capped before anything is hashed, and checks
// Slack's signature and timestamp. Failures get a bare status: the
// verifier's error text carries the computed signature (PLATFORMS.md §1).
func (e *Edge) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > maxBody {
		e.count(outcomeRejected)
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e.count(outcomeRejected)
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		} else {
			e.count(outcomeError)
			w.WriteHeader(http.StatusBadRequest)
		}
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, e.cfg.SigningSecret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		e.log.Debug("slack request failed verification", "path", r.URL.Path)
		e.count(outcomeRejected)
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// serveEvents acknowledges at once and hands the event to a worker. It
// answers 200 even for events it ignores or cannot parse: anything else
// makes Slack retry (PLATFORMS.md §2).
func (e *Edge) serveEvents(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	body, ok := e.verified(w, r)
	if !ok {
		return
	}
	env, err := parseEnvelope(body)
	if err != nil {
		e.log.Debug("slack event ignored", "err", err)
		e.count(unreadable(body))
		w.WriteHeader(http.StatusOK)
		return
	}
	if env.Type == "url_verification" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, env.Challenge)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		e.log.Debug("slack retry", "event", env.EventID, "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	if err := e.accept(env.key(), func(ctx context.Context, busy bool) string { return e.handleEvent(ctx, env, busy, received) }); err != nil {
		// Not acknowledged (shutting down, or no room even to say "busy"):
		// Slack retries, possibly to another replica.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// unreadable classifies a signed body that is not an event callback:
// Slack's notice that it is holding back events for the app
// (app_rate_limited) counts as rate limiting, anything else as an error.
func unreadable(body []byte) string {
	var probe struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &probe) == nil && probe.Type == "app_rate_limited" {
		return outcomeRateLimited
	}
	return outcomeError
}

// accept queues a delivery, whose work returns its outcome. When every
// worker is busy it sheds load with a short "busy" reply instead of
// queueing without bound; when even that queue is full the delivery is
// refused (errBusy) rather than acknowledged and dropped, so Slack sends
// it again later. errClosing: the edge is shutting down.
func (e *Edge) accept(key string, work func(ctx context.Context, busy bool) string) error {
	err := e.work.submit(key, func(ctx context.Context) { e.count(work(ctx, false)) })
	if !errors.Is(err, errBusy) {
		return err
	}
	e.log.Warn("slack workers saturated; shedding load")
	if err := e.shed.submit(key, func(ctx context.Context) { e.count(work(ctx, true)) }); err != nil {
		e.log.Error("slack delivery refused: workers and shed queue full")
		e.count(outcomeError)
		return err
	}
	return nil
}

func (e *Edge) serveInteractivity(w http.ResponseWriter, r *http.Request) {
	body, ok := e.verified(w, r)
	if !ok {
		return
	}
	cb, err := parseInteraction(body)
	if err != nil {
		e.log.Debug("slack interaction ignored", "err", err)
		e.count(outcomeError)
		w.WriteHeader(http.StatusOK)
		return
	}
	for _, c := range clicks(cb) {
		if err := e.accept(c.key(), func(ctx context.Context, busy bool) string { return e.handleClick(ctx, c, busy) }); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (e *Edge) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := e.verified(w, r)
	if !ok {
		return
	}
	c, err := parseCommand(body)
	if err != nil {
		e.count(outcomeError)
		w.WriteHeader(http.StatusOK)
		return
	}
	e.count(outcomeOK)
	ctx, cancel := context.WithTimeout(r.Context(), 2500*time.Millisecond)
	defer cancel()
	reply := e.runCommand(ctx, c)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply)
}
