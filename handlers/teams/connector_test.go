package teams

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

func newTestConnector(t *testing.T, f *teamstest.Fake, tokenURL string, extraHosts ...string) (*connector, *[]time.Duration) {
	t.Helper()
	var mu sync.Mutex
	waits := &[]time.Duration{}
	if tokenURL == "" {
		tokenURL = f.TokenURL()
	}
	c := &connector{
		tokens: &tokenSource{url: tokenURL, appID: f.AppID, secret: f.Secret, client: http.DefaultClient, now: time.Now},
		client: http.DefaultClient,
		hosts:  newHostList(extraHosts),
		log:    slog.New(slog.DiscardHandler),
		sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			*waits = append(*waits, d)
			return ctx.Err()
		},
		retries: 3, maxWait: 30 * time.Second,
	}
	return c, waits
}

func TestTokenURL(t *testing.T) {
	tests := []struct{ appType, tenant, want string }{
		{AppSingleTenant, "contoso-tenant-id", "https://login.microsoftonline.com/contoso-tenant-id/oauth2/v2.0/token"},
		{"", "contoso-tenant-id", "https://login.microsoftonline.com/contoso-tenant-id/oauth2/v2.0/token"},
		{AppMultiTenant, "ignored", "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"},
	}
	for _, tt := range tests {
		if got := TokenURL(tt.appType, tt.tenant); got != tt.want {
			t.Errorf("TokenURL(%q, %q) = %q; want %q", tt.appType, tt.tenant, got, tt.want)
		}
	}
}

// The fake token endpoint only answers on /{tenant}/oauth2/v2.0/token with
// the right form fields, so a good token proves both.
func TestTokenFromTenantEndpoint(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "")
	tok, err := c.tokens.Token(context.Background())
	if err != nil || !strings.HasPrefix(tok, "access-") {
		t.Fatalf("Token = %q, %v; want an access token", tok, err)
	}
	again, _ := c.tokens.Token(context.Background())
	if again != tok || f.TokenHits() != 1 {
		t.Fatalf("second Token = %q after %d fetches; want the cached %q after 1", again, f.TokenHits(), tok)
	}

	wrongTenant, _ := newTestConnector(t, f, f.Login.URL+"/other-tenant/oauth2/v2.0/token")
	if _, err := wrongTenant.tokens.Token(context.Background()); err == nil {
		t.Fatal("token from another tenant's path succeeded; want an error")
	}
}

func TestTokenErrorIsNotCached(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "")
	f.FailTokens(1)
	_, err := c.tokens.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("Token with an error reply = %v; want an error naming invalid_client", err)
	}
	if strings.Contains(err.Error(), f.Secret) {
		t.Fatalf("token error %q leaks the secret", err)
	}
	tok, err := c.tokens.Token(context.Background())
	if err != nil || tok == "" {
		t.Fatalf("Token after the error = %q, %v; want a fresh token", tok, err)
	}
	if f.TokenHits() != 2 {
		t.Fatalf("token fetches = %d; want 2 (the error was not cached)", f.TokenHits())
	}
}

func TestOneTokenFetchForConcurrentSenders(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "", "127.0.0.1")
	arrived, release := f.HoldTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message", Summary: string(rune('a' + i%26))})
			errs <- err
		}()
	}
	// The first fetch is held at the endpoint while the others pile up.
	<-arrived
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f.TokenHits() != 1 || len(f.Sent()) != 50 {
		t.Fatalf("50 senders: %d token fetches, %d posts; want 1 and 50", f.TokenHits(), len(f.Sent()))
	}
}

func TestSendReturnsActivityID(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "", "127.0.0.1")
	id, err := c.send(context.Background(), f.ServiceURL(), "19:abc@thread.tacv2;messageid=42", outActivity{Type: "message"})
	if err != nil || id == "" {
		t.Fatalf("send = %q, %v; want the created activity id", id, err)
	}
	s := f.Sent()[0]
	if s.Conversation != "19:abc@thread.tacv2;messageid=42" || s.ActivityID != id {
		t.Fatalf("connector saw conversation %q id %q; want the thread and %q", s.Conversation, s.ActivityID, id)
	}
}

func TestNoTokenForHostsOffTheAllowList(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "") // loopback not allowed
	for _, su := range []string{f.ServiceURL(), "https://evil.example/teams/", "https://smba.trafficmanager.net.evil.example/", "ftp://smba.trafficmanager.net/"} {
		_, err := c.send(context.Background(), su, "a:conv", outActivity{Type: "message"})
		if !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("send to %s = %v; want ErrHostNotAllowed", su, err)
		}
	}
	if f.TokenHits() != 0 || f.ConnectorHits() != 0 {
		t.Fatalf("token fetches %d, connector calls %d; want none", f.TokenHits(), f.ConnectorHits())
	}
	for _, ok := range []string{"https://smba.trafficmanager.net/amer/", "https://europe.webchat.botframework.com/", "https://smba.infra.gcc.teams.microsoft.com/"} {
		if !c.hosts.allowed(ok) {
			t.Errorf("%s is Microsoft's; want allowed", ok)
		}
	}
	if c.hosts.allowed("http://smba.trafficmanager.net/amer/") {
		t.Error("plain http to Microsoft's host allowed; want https only")
	}
}

func TestThrottledCallsHonourRetryAfter(t *testing.T) {
	f := teamstest.New(t)
	c, waits := newTestConnector(t, f, "", "127.0.0.1")
	f.Throttle(2, "3")
	id, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"})
	if err != nil || id == "" {
		t.Fatalf("send after two 429s = %q, %v; want success", id, err)
	}
	if len(*waits) != 2 || (*waits)[0] != 3*time.Second || (*waits)[1] != 3*time.Second {
		t.Fatalf("waited %v; want Retry-After 3s twice", *waits)
	}
	if len(f.Sent()) != 1 {
		t.Fatalf("posted %d times; want once", len(f.Sent()))
	}

	// Without Retry-After: jittered exponential backoff.
	c, waits = newTestConnector(t, f, "", "127.0.0.1")
	f.Throttle(2, "")
	if _, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"}); err != nil {
		t.Fatal(err)
	}
	if len(*waits) != 2 || (*waits)[0] < 500*time.Millisecond || (*waits)[0] > 1500*time.Millisecond ||
		(*waits)[1] < time.Second || (*waits)[1] > 3*time.Second {
		t.Fatalf("backoff waits %v; want ~1s then ~2s with jitter", *waits)
	}

	// Throttled for longer than we will wait: give up, don't stall a worker.
	c, _ = newTestConnector(t, f, "", "127.0.0.1")
	f.Throttle(1, "600")
	var he *HTTPError
	if _, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"}); !errors.As(err, &he) || he.Status != 429 {
		t.Fatalf("send throttled for 10 min = %v; want the 429 error", err)
	}
}

func TestPostIsNeverReplayedAfter5xx(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "", "127.0.0.1")
	f.Fail5xx(1)
	before := f.ConnectorHits()
	if _, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"}); err == nil {
		t.Fatal("send after a 502 succeeded; want the error (no replay)")
	}
	if got := f.ConnectorHits() - before; got != 1 {
		t.Fatalf("POST tried %d times after a 502; want 1", got)
	}
	// A PUT is idempotent: one retry.
	f.Fail5xx(1)
	if err := c.update(context.Background(), f.ServiceURL(), "a:conv", "1700000000001", outActivity{Type: "message"}); err != nil {
		t.Fatalf("update after one 502 = %v; want success on the retry", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"Tue, 04 Mar 2025 08:00:30 GMT": 30 * time.Second,
		"soon":                          0,
		"-3":                            0,
	}
	for in, want := range tests {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v; want %v", in, got, want)
		}
	}
}

// A token the connector no longer accepts is dropped and the call made
// once more with a fresh one (a 401 means nothing was posted).
func TestRevokedTokenIsReplacedOnce(t *testing.T) {
	f := teamstest.New(t)
	c, _ := newTestConnector(t, f, "", "127.0.0.1")
	if _, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"}); err != nil {
		t.Fatal(err)
	}
	f.RevokeTokens()
	if _, err := c.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"}); err != nil {
		t.Fatalf("send after revocation = %v; want success with a new token", err)
	}
	if f.TokenHits() != 2 || len(f.Sent()) != 2 {
		t.Fatalf("%d token fetches, %d posts; want 2 and 2", f.TokenHits(), len(f.Sent()))
	}
	// A connector that keeps refusing is an error, not a loop.
	bad, _ := newTestConnector(t, f, "", "127.0.0.1")
	bad.tokens.secret = "wrong"
	if _, err := bad.send(context.Background(), f.ServiceURL(), "a:conv", outActivity{Type: "message"}); err == nil {
		t.Fatal("send with a bad secret succeeded")
	}
}
