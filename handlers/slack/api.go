package slack

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// slackAPI is the slice of the Web API the edge uses; the manifest's scopes
// (scopes.go) are exactly what these calls need.
type slackAPI interface {
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channel, ts string, opts ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channel, user string, opts ...slack.MsgOption) (string, error)
	OpenConversationContext(ctx context.Context, p *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
	GetUserGroupMembersContext(ctx context.Context, group string, opts ...slack.GetUserGroupMembersOption) ([]string, error)
	GetUserInfoContext(ctx context.Context, user string, opts ...slack.GetUserInfoOption) (*slack.User, error)
}

// maxRateRetries bounds how often one call waits out a 429.
const maxRateRetries = 3

// call runs one Web API call. A 429 is retried after Slack's Retry-After
// (the request was not processed, so a post cannot double); any other
// failure is returned as is: a post that failed on the wire may have
// landed, and retrying it blindly would post twice (PLATFORMS.md §7).
// A revoked or invalid token stops the edge.
func (e *Edge) call(ctx context.Context, method string, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) && attempt < maxRateRetries {
			wait := rl.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			if wait > 2*time.Minute {
				wait = 2 * time.Minute
			}
			e.log.Warn("slack rate limited; waiting as asked", "method", method, "retry_after", wait.String())
			if werr := e.wait(ctx, wait); werr != nil {
				return err
			}
			continue
		}
		if err != nil && isAuthError(err) {
			e.fail(err)
		}
		return err
	}
}

// isAuthError reports whether Slack says the token is no good.
func isAuthError(err error) bool {
	var se slack.SlackErrorResponse
	msg := ""
	if errors.As(err, &se) {
		msg = se.Err
	} else if err != nil {
		msg = err.Error()
	}
	switch msg {
	case "invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired":
		return true
	}
	return false
}

// msgOpts are on every message the bot sends: blocks, a plain fallback for
// notifications, and no unfurls (links in answers may come from anyone).
// link_names and parse are never set, so nothing in the text pings anyone.
func msgOpts(m message) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.fallback, false), // already escaped
		slack.MsgOptionBlocks(m.blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if m.thread != "" {
		opts = append(opts, slack.MsgOptionTS(m.thread))
	}
	return opts
}

// post sends a message and returns its ts.
func (e *Edge) post(ctx context.Context, channel string, m message) (string, error) {
	var ts string
	err := e.call(ctx, "chat.postMessage", func() (err error) {
		_, ts, err = e.api.PostMessageContext(ctx, channel, msgOpts(m)...)
		return err
	})
	return ts, err
}

// update replaces a message in place.
func (e *Edge) update(ctx context.Context, channel, ts string, m message) error {
	m.thread = "" // chat.update takes the message's own ts, not a thread
	return e.call(ctx, "chat.update", func() error {
		_, _, _, err := e.api.UpdateMessageContext(ctx, channel, ts, msgOpts(m)...)
		return err
	})
}

// ephemeral shows a message to one person only.
func (e *Edge) ephemeral(ctx context.Context, channel, user string, m message) error {
	return e.call(ctx, "chat.postEphemeral", func() error {
		_, err := e.api.PostEphemeralContext(ctx, channel, user, msgOpts(m)...)
		return err
	})
}
