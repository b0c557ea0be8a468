package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ackWindow is how long Slack waits for an envelope's acknowledgement
// (3 s): an acknowledgement later than that is worthless, so shutdown
// waits no longer than this for the ones workers still owe.
const ackWindow = 3 * time.Second

// runSocket keeps the Socket Mode connection and turns its envelopes into
// work until ctx ends or the app token is rejected. slack-go reconnects by
// itself. Every envelope is acknowledged at once, but only after its work
// has been queued: an envelope with no room even for a "busy" reply is not
// acknowledged, and Slack delivers it again later (to this or another
// connection). So an acknowledged envelope is never dropped.
//
// When ctx ends, runSocket stops in this order: it stops reading envelopes
// (those left unread are not acknowledged, and Slack redelivers them to
// another connection); it waits, within ackWindow, for the workers still
// computing a reply that travels in an acknowledgement (slash commands);
// then it closes the connection, so Slack sends new events to the other
// connections at once. The workers go on finishing the acknowledged
// deliveries after that (Run): they reply through the Web API, not the
// socket.
//
// The connection ends without a WebSocket close frame: slack-go v0.35
// cannot send one. Client.RunContext stops only when its context is
// cancelled, and then the goroutine watching Slack's pings calls
// (*websocket.Conn).Close (socketmode/socket_mode_managed_conn.go, run),
// which closes the TCP connection (after a TLS close_notify on wss://)
// without writing a close frame. The *websocket.Conn never leaves slack-go
// (openAndDial keeps it; OptionDialer only shapes the dial, and on wss://
// everything it could wrap lies beneath TLS), and gorilla/websocket allows
// writes only from slack-go's own sender goroutine. Slack reads the close
// as the connection going away, which is what it is.
//
// slack-go also offers no way to know that an acknowledgement handed to it
// has been written: AckCtx only queues it for the sender goroutine, which
// stops, without draining its queue, when the context is cancelled. An
// acknowledgement queued in the instant before the close can therefore be
// lost. For an event or a button press that loses nothing: Slack redelivers
// the envelope, and the Redis dedupe makes the redelivery a no-op because
// its work was queued here before the acknowledgement. For a slash command
// answered in that instant, the person sees Slack's timeout and runs it
// again.
func (e *Edge) runSocket(ctx context.Context) error {
	// slack-go runs under a context of its own: ending it closes the
	// connection, which must wait until reading has stopped and the
	// acknowledgements in hand have been sent.
	smCtx, closeSocket := context.WithCancel(context.WithoutCancel(ctx))
	defer closeSocket()
	sm := socketmode.New(e.client,
		socketmode.OptionDebug(false), // debug logs carry message text
		socketmode.OptionLog(debugLog{e}),
		socketmode.OptionReadLimit(maxBody),
	)
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(smCtx) }()

	ended, err := e.readSocket(ctx, smCtx, sm, runErr)
	if !ended {
		e.awaitSocketAcks(min(ackWindow, e.cfg.DrainTimeout))
		closeSocket()
		<-runErr
		e.log.Info("slack socket mode closed")
	}
	return err
}

// readSocket reads envelopes until ctx ends, the app token is rejected, or
// slack-go gives up; ended says whether RunContext has returned.
func (e *Edge) readSocket(ctx, smCtx context.Context, sm *socketmode.Client, runErr <-chan error) (ended bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return true, nil
			}
			if isAuthError(err) || errors.Is(err, ErrAuth) {
				return true, fmt.Errorf("SLACK_APP_TOKEN: %w (%v)", ErrAuth, err)
			}
			return true, fmt.Errorf("slack socket mode: %w", err)
		case evt := <-sm.Events:
			if err := e.onSocketEvent(smCtx, sm, evt); err != nil {
				return false, err
			}
		}
	}
}

// awaitSocketAcks waits up to d for the workers that still owe Slack an
// acknowledgement (slash commands, whose reply is the ack's payload).
func (e *Edge) awaitSocketAcks(d time.Duration) {
	done := make(chan struct{})
	go func() { e.socketAcks.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		e.log.Warn("slack socket mode closing with slash command replies unsent")
	}
}

// onSocketEvent handles one event from slack-go. ctx is slack-go's own
// (the connection's), so acknowledgements are not lost to shutdown.
func (e *Edge) onSocketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) error {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return nil
		}
		received := time.Now()
		env, err := parseEnvelope(evt.Request.Payload)
		if err != nil || env.Type != "event_callback" {
			e.log.Debug("slack event ignored", "err", err)
			e.count(unreadable(evt.Request.Payload))
			e.ack(ctx, sm, evt.Request.EnvelopeID, nil)
			return nil
		}
		if evt.Request.RetryAttempt > 0 {
			e.log.Debug("slack retry", "event", env.EventID, "retry", evt.Request.RetryAttempt, "reason", evt.Request.RetryReason)
		}
		if e.acceptSocket(env.key(), func(ctx context.Context, busy bool) string { return e.handleEvent(ctx, env, busy, received) }) {
			e.ack(ctx, sm, evt.Request.EnvelopeID, nil)
		}

	case socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return nil
		}
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			e.count(outcomeError)
			e.ack(ctx, sm, evt.Request.EnvelopeID, nil)
			return nil
		}
		all := true
		for _, c := range clicks(cb) {
			all = e.acceptSocket(c.key(), func(ctx context.Context, busy bool) string { return e.handleClick(ctx, c, busy) }) && all
		}
		if all {
			e.ack(ctx, sm, evt.Request.EnvelopeID, nil)
		}

	case socketmode.EventTypeSlashCommand:
		if evt.Request == nil {
			return nil
		}
		cmd, ok := evt.Data.(slack.SlashCommand)
		id := evt.Request.EnvelopeID
		if !ok {
			e.count(outcomeError)
			e.ack(ctx, sm, id, nil)
			return nil
		}
		e.count(outcomeOK)
		// The reply travels in the ack, so a worker computes it; the event
		// loop itself never waits on Redis. Shutdown waits for it before
		// closing the socket.
		e.socketAcks.Add(1)
		err := e.work.submit("cmd:"+id, func(jctx context.Context) {
			defer e.socketAcks.Done()
			jctx, cancel := context.WithTimeout(jctx, 2500*time.Millisecond)
			defer cancel()
			e.ack(jctx, sm, id, e.runCommand(jctx, cmd))
		})
		if err != nil {
			e.socketAcks.Done()
			e.ack(ctx, sm, id, ephemeralText(textBusy))
		}

	case socketmode.EventTypeErrorBadMessage:
		// Unparseable envelopes carry no Request; Slack would redeliver
		// them forever, so acknowledge by envelope id and drop them.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var probe struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &probe) == nil && probe.EnvelopeID != "" {
				e.ack(ctx, sm, probe.EnvelopeID, nil)
			}
			e.count(outcomeError)
			e.log.Warn("slack sent an envelope we cannot read; acknowledged and dropped", "envelope", probe.EnvelopeID)
		}

	case socketmode.EventTypeInvalidAuth:
		return fmt.Errorf("SLACK_APP_TOKEN: %w (invalid_auth)", ErrAuth)

	case socketmode.EventTypeConnectionError:
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			e.log.Warn("slack socket mode connection failed; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff.String(), "err", ce.ErrorObj)
		}
	case socketmode.EventTypeConnected:
		e.log.Info("slack socket mode connected")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		e.log.Warn("slack socket mode error", "type", string(evt.Type))
	default:
		e.log.Debug("slack socket mode event", "type", string(evt.Type))
	}
	return nil
}

// acceptSocket queues a delivery read from the socket and reports whether
// it may be acknowledged: false when there was no room for it, even for a
// "busy" reply (Slack will deliver it again), or the edge is stopping.
func (e *Edge) acceptSocket(key string, work func(ctx context.Context, busy bool) string) bool {
	if err := e.accept(key, work); err != nil {
		e.log.Warn("slack envelope not acknowledged; Slack will deliver it again", "err", err)
		return false
	}
	return true
}

func (e *Edge) ack(ctx context.Context, sm *socketmode.Client, envelopeID string, payload any) {
	if err := sm.AckCtx(ctx, envelopeID, payload); err != nil {
		e.log.Warn("slack ack failed", "envelope", envelopeID, "err", err)
	}
}

// debugLog sends slack-go's own logging to our logger at debug level.
type debugLog struct{ e *Edge }

func (d debugLog) Output(_ int, s string) error {
	d.e.log.Debug("slack-go", "msg", s)
	return nil
}
