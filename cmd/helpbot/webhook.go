package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/helpbot/helpbot/handlers/webhook"
)

// WebhookConfig is the ticketing webhook's settings (docs/WEBHOOK.md).
// With no URL nothing is queued or sent.
type WebhookConfig struct {
	TicketWebhookURL        string        `envconfig:"TICKET_WEBHOOK_URL"`
	TicketWebhookSecret     string        `envconfig:"TICKET_WEBHOOK_SECRET"`
	TicketWebhookTranscript bool          `envconfig:"TICKET_WEBHOOK_TRANSCRIPT"`
	TicketWebhookMaxAge     time.Duration `envconfig:"TICKET_WEBHOOK_MAX_AGE" default:"24h"`
	TicketWebhookTimeout    time.Duration `envconfig:"TICKET_WEBHOOK_TIMEOUT" default:"10s"`
}

// minSecret is the shortest signing secret accepted: shorter ones can be
// guessed offline from one captured request.
const minSecret = 16

// validateWebhook fails closed: a URL without a secret (or the reverse) is
// a half-configured integration.
func (c Config) validateWebhook() error {
	w := c.WebhookConfig
	if w.TicketWebhookURL == "" {
		if w.TicketWebhookSecret != "" {
			return fmt.Errorf("TICKET_WEBHOOK_SECRET is set but TICKET_WEBHOOK_URL is not; set both or neither")
		}
		return nil
	}
	if err := webhook.CheckURL(w.TicketWebhookURL); err != nil {
		return fmt.Errorf("TICKET_WEBHOOK_URL: %w", err)
	}
	if len(w.TicketWebhookSecret) < minSecret {
		return fmt.Errorf("TICKET_WEBHOOK_SECRET must be at least %d characters (for example the output of: openssl rand -hex 32)", minSecret)
	}
	if w.TicketWebhookMaxAge < time.Minute || w.TicketWebhookMaxAge > 7*24*time.Hour {
		return fmt.Errorf("TICKET_WEBHOOK_MAX_AGE must be between 1m and 168h, not %s", w.TicketWebhookMaxAge)
	}
	if w.TicketWebhookTimeout < time.Second || w.TicketWebhookTimeout > time.Minute {
		return fmt.Errorf("TICKET_WEBHOOK_TIMEOUT must be between 1s and 1m, not %s", w.TicketWebhookTimeout)
	}
	return nil
}

func (a *app) webhookOptions() webhook.Options {
	w := a.cfg.WebhookConfig
	return webhook.Options{
		URL: w.TicketWebhookURL, Secret: w.TicketWebhookSecret, Transcript: w.TicketWebhookTranscript,
		MaxAge: w.TicketWebhookMaxAge, Timeout: w.TicketWebhookTimeout,
		Redis: a.rdb, Prefix: a.store.Prefix(), Logger: a.log.With("component", "webhook"),
	}
}

// webhookOutbox registers the outbox as a desk observer, so case events are
// queued in Redis (and a purge drops the person's undelivered ones). It
// returns nil when the webhook is off.
func (a *app) webhookOutbox() *webhook.Outbox {
	if a.cfg.TicketWebhookURL == "" {
		return nil
	}
	ob, err := webhook.NewOutbox(a.webhookOptions())
	if err != nil {
		a.log.Error("ticket webhook disabled", "err", err)
		return nil
	}
	a.desk.AddObserver(ob)
	return ob
}

// webhookRunners wires the ticket webhook: the outbox observes the desk and
// the returned runner delivers. Call it before taking traffic; nil when
// TICKET_WEBHOOK_URL is unset.
func (a *app) webhookRunners(_ context.Context) []runner {
	ob := a.webhookOutbox()
	if ob == nil {
		return nil
	}
	d, err := webhook.NewDeliverer(a.webhookOptions())
	if err != nil {
		a.log.Error("ticket webhook disabled", "err", err)
		return nil
	}
	ob.OnEnqueue = d.Wake
	return []runner{d.Run}
}

// background runs rs until the returned stop is called; stop waits for
// them, so a delivery in flight is recorded before the store closes.
func background(ctx context.Context, rs []runner) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r(ctx)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
