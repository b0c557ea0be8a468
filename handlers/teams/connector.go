package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// outActivity is what the bot sends. msbotbuilder's Activity would send
// zero timestamps and empty objects for every unset field, so outbound
// activities use this small shape with its schema parts.
type outActivity struct {
	Type         string                      `json:"type"`
	ID           string                      `json:"id,omitempty"`
	From         *schema.ChannelAccount      `json:"from,omitempty"`
	Recipient    *schema.ChannelAccount      `json:"recipient,omitempty"`
	Conversation *schema.ConversationAccount `json:"conversation,omitempty"`
	ReplyToID    string                      `json:"replyToId,omitempty"`
	Summary      string                      `json:"summary,omitempty"`
	Attachments  []schema.Attachment         `json:"attachments,omitempty"`
}

// HTTPError is a connector reply that was not a success.
type HTTPError struct {
	Method, Host string
	Status       int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("teams connector: %s %s: HTTP %d", e.Method, e.Host, e.Status)
}

// ErrHostNotAllowed: a serviceUrl outside the allow-list never gets a token.
var ErrHostNotAllowed = errors.New("teams: serviceUrl host is not allow-listed (TEAMS_SERVICE_URL_HOSTS)")

// connector calls the Bot Connector REST API at a conversation's serviceUrl.
// Every call has a deadline; 429 is retried after Retry-After (or a
// jittered backoff); a POST is never replayed after a 5xx or a timeout,
// because the message may have been posted.
type connector struct {
	tokens  *tokenSource
	client  *http.Client
	hosts   hostList
	log     *slog.Logger
	sleep   func(ctx context.Context, d time.Duration) error
	retries int           // 429 retries per call
	maxWait time.Duration // longest Retry-After honoured
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send posts an activity to a conversation and returns its id.
func (c *connector) send(ctx context.Context, serviceURL, conversation string, a outActivity) (string, error) {
	var rr schema.ResourceResponse
	path := "/v3/conversations/" + url.PathEscape(conversation) + "/activities"
	err := c.do(ctx, http.MethodPost, serviceURL, path, a, &rr)
	noteSend(ctx, err)
	if err != nil {
		return "", err
	}
	return rr.ID, nil
}

// update replaces an activity (a card) in place.
func (c *connector) update(ctx context.Context, serviceURL, conversation, activityID string, a outActivity) error {
	a.ID = activityID
	path := "/v3/conversations/" + url.PathEscape(conversation) + "/activities/" + url.PathEscape(activityID)
	err := c.do(ctx, http.MethodPut, serviceURL, path, a, nil)
	noteSend(ctx, err)
	return err
}

// member is the part of a Teams member we use.
type member struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	AadObjectID       string `json:"aadObjectId"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// member looks up one person of a conversation (for their UPN).
func (c *connector) member(ctx context.Context, serviceURL, conversation, userID string) (member, error) {
	var m member
	path := "/v3/conversations/" + url.PathEscape(conversation) + "/members/" + url.PathEscape(userID)
	err := c.do(ctx, http.MethodGet, serviceURL, path, nil, &m)
	return m, err
}

func (c *connector) do(ctx context.Context, method, serviceURL, path string, in, out any) error {
	base, err := c.hosts.check(serviceURL)
	if err != nil {
		return err
	}
	var body []byte
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("teams connector: encode: %w", err)
		}
	}
	// PUT and GET may be repeated safely; POST may not.
	idempotent := method != http.MethodPost
	retried401, retried5xx := false, false
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return err
		}
		status, wait, err := c.once(ctx, method, base, path, tok, body, out)
		switch {
		case err != nil && status == 0:
			if idempotent && !retried5xx && ctx.Err() == nil {
				retried5xx = true
				continue
			}
			return fmt.Errorf("teams connector: %s %s: %w", method, base.host(), err)
		case err == nil:
			return nil
		case status == http.StatusUnauthorized && !retried401:
			// A token revoked or rotated early: the call was not processed,
			// so one retry with a fresh token is safe even for a POST.
			retried401 = true
			c.tokens.Invalidate(tok)
			continue
		case status == http.StatusTooManyRequests && attempt < c.retries:
			if wait <= 0 {
				wait = backoff(attempt)
			}
			if wait > c.maxWait {
				return err
			}
			c.log.Debug("teams connector throttled; waiting", "wait", wait, "attempt", attempt+1)
			if serr := c.sleep(ctx, wait); serr != nil {
				return err
			}
			continue
		case status >= 500 && idempotent && !retried5xx:
			retried5xx = true
			if serr := c.sleep(ctx, backoff(0)); serr != nil {
				return err
			}
			continue
		}
		return err
	}
}

// once makes one request. status is 0 when no reply came back; wait is the
// server's Retry-After, if any.
func (c *connector) once(ctx context.Context, method string, u serviceBase, path, tok string, body []byte, out any) (status int, wait time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, string(u)+path, rd)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), time.Now()),
			&HTTPError{Method: method, Host: u.host(), Status: resp.StatusCode}
	}
	if out != nil {
		// Some replies (a PUT) have an empty body; that is fine.
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, out); err != nil {
				return resp.StatusCode, 0, fmt.Errorf("teams connector: decode reply: %w", err)
			}
		}
	}
	return resp.StatusCode, 0, nil
}

// backoff is 1 s, 2 s, 4 s… with ±50 % jitter so throttled replicas do not
// retry in step.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 5)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
