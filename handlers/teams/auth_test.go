package teams

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

// fakeClock is a settable clock shared by goroutines.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestValidator(t *testing.T, f *teamstest.Fake, clock *fakeClock) *Validator {
	t.Helper()
	v, err := NewValidator(ValidatorOptions{AppID: f.AppID, MetadataURL: f.MetadataURL(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return -1
}

func TestValidatorRejects(t *testing.T) {
	f := teamstest.New(t)
	f.AddKey("webchat-only", "webchat")
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(f.PublicKey())
	now := time.Now()
	su := f.ServiceURL()

	tests := []struct {
		name      string
		authz     string
		channel   string
		service   string
		want      int
		noFetches bool // rejected before any key is fetched
	}{
		{name: "good RS256", authz: bearer(f.Token(teamstest.Claims{})), want: 200},
		{name: "good RS384", authz: bearer(f.Token(teamstest.Claims{Alg: "RS384"})), want: 200},
		{name: "good RS512", authz: bearer(f.Token(teamstest.Claims{Alg: "RS512"})), want: 200},
		{name: "expired within the 5 min leeway", authz: bearer(f.Token(teamstest.Claims{Expires: now.Add(-4 * time.Minute)})), want: 200},
		{name: "serviceUrl differing by a trailing slash", authz: bearer(f.Token(teamstest.Claims{ServiceURL: strings.TrimSuffix(su, "/")})), want: 200},
		{name: "signed by the wrong key", authz: bearer(f.Token(teamstest.Claims{Key: other})), want: 401},
		{name: "wrong audience", authz: bearer(f.Token(teamstest.Claims{Audience: "some-other-bot"})), want: 401},
		{name: "wrong issuer", authz: bearer(f.Token(teamstest.Claims{Issuer: "https://evil.example"})), want: 401},
		{name: "no exp", authz: bearer(f.Token(teamstest.Claims{NoExpiry: true})), want: 401},
		{name: "expired beyond the leeway", authz: bearer(f.Token(teamstest.Claims{Expires: now.Add(-6 * time.Minute)})), want: 401},
		{name: "serviceurl claim for another service", authz: bearer(f.Token(teamstest.Claims{ServiceURL: "https://smba.trafficmanager.net/emea/"})), want: 401},
		{name: "channel not endorsed by the key", authz: bearer(f.Token(teamstest.Claims{Kid: "webchat-only"})), want: 403},
		{name: "activity from another channel", authz: bearer(f.Token(teamstest.Claims{})), channel: "skype", want: 403},
		{name: "no channel id", authz: bearer(f.Token(teamstest.Claims{})), channel: "-", want: 403},
		{name: "basic auth", authz: "Basic dXNlcjpwYXNz", want: 401, noFetches: true},
		{name: "bearer without token", authz: "Bearer ", want: 401, noFetches: true},
		{name: "no header", authz: "", want: 401, noFetches: true},
		{name: "alg none", authz: bearer(f.Token(teamstest.Claims{Alg: "none"})), want: 401, noFetches: true},
		{name: "HS256 keyed with the public key", authz: bearer(f.Token(teamstest.Claims{Alg: "HS256", HMACSecret: pubDER})), want: 401, noFetches: true},
		{name: "oversized token", authz: "Bearer " + strings.Repeat("a", 9000), want: 401, noFetches: true},
		{name: "garbage", authz: "Bearer not.a.jwt", want: 401, noFetches: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestValidator(t, f, newClock())
			channel, service := "msteams", su
			if tt.channel == "-" {
				channel = ""
			} else if tt.channel != "" {
				channel = tt.channel
			}
			if tt.service != "" {
				service = tt.service
			}
			err := v.Validate(context.Background(), tt.authz, channel, service)
			if got := statusOf(err); got != tt.want {
				t.Fatalf("Validate = %v (status %d); want %d", err, got, tt.want)
			}
			if tt.noFetches && v.KeyFetches() != 0 {
				t.Errorf("fetched keys %d times for a token refused on its face; want 0", v.KeyFetches())
			}
		})
	}
}

func bearer(tok string) string { return "Bearer " + tok }

func TestValidatorNeverFailsOpenWithoutAppID(t *testing.T) {
	if _, err := NewValidator(ValidatorOptions{AppID: " "}); err == nil {
		t.Fatal("NewValidator with an empty app id succeeded; want an error")
	}
	f := teamstest.New(t)
	var v *Validator
	if err := v.Validate(context.Background(), bearer(f.Token(teamstest.Claims{})), "msteams", f.ServiceURL()); statusOf(err) != 401 {
		t.Fatalf("nil validator: Validate = %v; want 401", err)
	}
	var zero Validator
	if err := zero.Validate(context.Background(), bearer(f.Token(teamstest.Claims{Audience: ""})), "msteams", f.ServiceURL()); statusOf(err) != 401 {
		t.Fatalf("zero validator: Validate = %v; want 401", err)
	}
}

func TestUnknownKidRefreshesOnceThenRateLimits(t *testing.T) {
	f := teamstest.New(t)
	clock := newClock()
	v := newTestValidator(t, f, clock)
	ctx := context.Background()
	if err := v.Validate(ctx, bearer(f.Token(teamstest.Claims{})), "msteams", f.ServiceURL()); err != nil {
		t.Fatalf("good token: %v", err)
	}
	base := f.JWKSHits()
	clock.Add(2 * time.Minute)

	unknown := bearer(f.Token(teamstest.Claims{Kid: "made-up"}))
	if err := v.Validate(ctx, unknown, "msteams", f.ServiceURL()); statusOf(err) != 401 {
		t.Fatalf("unknown kid: Validate = %v; want 401", err)
	}
	if got := f.JWKSHits() - base; got != 1 {
		t.Fatalf("unknown kid fetched the key set %d times; want exactly 1", got)
	}
	// A flood of made-up kids right after costs no further fetch.
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Validate(ctx, unknown, "msteams", f.ServiceURL())
		}()
	}
	wg.Wait()
	if got := f.JWKSHits() - base; got != 1 {
		t.Fatalf("50 more unknown kids: %d fetches in all; want still 1", got)
	}
}

func TestKeyRolloverOneFetchNoStorm(t *testing.T) {
	f := teamstest.New(t)
	clock := newClock()
	v := newTestValidator(t, f, clock)
	ctx := context.Background()
	if err := v.Validate(ctx, bearer(f.Token(teamstest.Claims{})), "msteams", f.ServiceURL()); err != nil {
		t.Fatalf("good token: %v", err)
	}
	base := f.JWKSHits()
	f.Rotate("key-2", true)
	clock.Add(10 * time.Minute)

	errs := make(chan error, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- v.Validate(ctx, bearer(f.Token(teamstest.Claims{Kid: "key-2"})), "msteams", f.ServiceURL())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("token signed by the new key: %v", err)
		}
	}
	if got := f.JWKSHits() - base; got != 1 {
		t.Fatalf("50 concurrent requests after rollover fetched keys %d times; want 1", got)
	}
}

func TestKeysRefreshDaily(t *testing.T) {
	f := teamstest.New(t)
	clock := newClock()
	v := newTestValidator(t, f, clock)
	ctx := context.Background()
	tok := bearer(f.Token(teamstest.Claims{}))
	for range 3 {
		if err := v.Validate(ctx, tok, "msteams", f.ServiceURL()); err != nil {
			t.Fatal(err)
		}
	}
	if f.JWKSHits() != 1 {
		t.Fatalf("3 validations fetched keys %d times; want 1 (cached)", f.JWKSHits())
	}
	clock.Add(25 * time.Hour)
	tok = bearer(f.Token(teamstest.Claims{Expires: clock.Now().Add(time.Hour)}))
	if err := v.Validate(ctx, tok, "msteams", f.ServiceURL()); err != nil {
		t.Fatal(err)
	}
	if f.JWKSHits() != 2 {
		t.Fatalf("after a day: %d fetches; want 2", f.JWKSHits())
	}
}

func TestConcurrentValidation(t *testing.T) {
	f := teamstest.New(t)
	v := newTestValidator(t, f, newClock())
	tok := bearer(f.Token(teamstest.Claims{}))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- v.Validate(context.Background(), tok, "msteams", f.ServiceURL())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f.JWKSHits() != 1 {
		t.Errorf("64 concurrent first validations fetched keys %d times; want 1", f.JWKSHits())
	}
}
