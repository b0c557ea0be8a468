package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// App types (TEAMS_APP_TYPE). New Azure Bot registrations are single-tenant;
// multi-tenant creation ended 2025-07-31 but old bots keep working.
const (
	AppSingleTenant = "SingleTenant"
	AppMultiTenant  = "MultiTenant"
)

// botScope is what the bot asks Entra for: a token the Bot Connector takes.
const botScope = "https://api.botframework.com/.default"

// TokenURL is where a bot of appType in tenant gets its connector tokens.
// Legacy multi-tenant bots use the botframework.com tenant.
func TokenURL(appType, tenant string) string {
	if appType == AppMultiTenant {
		tenant = "botframework.com"
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// tokenSource gets client-credentials tokens for the connector and keeps
// one until shortly before it expires. Concurrent callers share one fetch;
// an error reply is an error and is never cached.
type tokenSource struct {
	url, appID, secret string
	client             *http.Client
	now                func() time.Time

	mu       sync.Mutex
	token    string
	expires  time.Time
	inflight *tokenFetch
}

type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// tokenMargin: a token is renewed this long before it expires, so a call
// never carries a token that dies in flight.
const tokenMargin = 5 * time.Minute

func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.now().Before(s.expires) {
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	f := s.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		s.inflight = f
		go s.fetchInto(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate drops the cached token (the connector said 401 with it).
func (s *tokenSource) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
	}
}

func (s *tokenSource) fetchInto(ctx context.Context, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, life, err := s.fetch(ctx)
	s.mu.Lock()
	if err == nil {
		s.token = tok
		margin := tokenMargin
		if life/2 < margin {
			margin = life / 2
		}
		s.expires = s.now().Add(life - margin)
	}
	f.token, f.err = tok, err
	s.inflight = nil
	s.mu.Unlock()
	close(f.done)
}

func (s *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {s.appID},
		"client_secret": {s.secret},
		"scope":         {botScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("teams token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("teams token: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"` // a number, or a string on some clouds
		Error       string          `json:"error"`
		Codes       []int           `json:"error_codes"`
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, 64<<10))
	decErr := dec.Decode(&body)
	if resp.StatusCode != http.StatusOK || body.Error != "" {
		// Entra's error name and codes say what is wrong (bad secret, wrong
		// tenant) without echoing anything secret.
		return "", 0, fmt.Errorf("teams token: %s: %s %v", resp.Status, body.Error, body.Codes)
	}
	if decErr != nil || body.AccessToken == "" {
		return "", 0, errors.New("teams token: reply has no access_token")
	}
	secs, _ := jsonSeconds(body.ExpiresIn)
	if secs <= 0 {
		secs = 3600
	}
	return body.AccessToken, time.Duration(secs) * time.Second, nil
}

func jsonSeconds(raw json.RawMessage) (int64, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	var out int64
	_, err := fmt.Sscan(s, &out)
	return out, err
}
