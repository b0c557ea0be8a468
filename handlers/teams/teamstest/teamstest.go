// Package teamstest fakes the Microsoft side of a Teams bot on loopback:
// OpenID metadata and JWKS that sign real RS256 tokens, the Entra token
// endpoint and a Bot Connector recording what the bot sends.
package teamstest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the issuer of Bot Framework channel tokens.
const Issuer = "https://api.botframework.com"

// Fake is Microsoft, as far as a Teams bot can tell.
type Fake struct {
	AppID, Tenant, Secret string
	t                     testing.TB

	// Identity: metadata + JWKS.
	Identity *httptest.Server
	// Login is the Entra token endpoint (/{tenant}/oauth2/v2.0/token).
	Login *httptest.Server
	// Connector is the Bot Connector at ServiceURL().
	Connector *httptest.Server

	mu           sync.Mutex
	keys         []signer
	jwksHits     int
	metaHits     int
	tokenHits    int
	tokens       map[string]bool // access tokens issued
	tokenFail    int             // next n token requests fail
	tokenGate    chan struct{}   // when set, token replies wait for it
	tokenArrived chan struct{}   // closed when a held token request arrives
	sent         []Sent
	changed      chan struct{} // closed and renewed whenever something is recorded
	nextID       int
	members      map[string]Member
	// Throttle makes the next n connector calls answer 429.
	throttle   int
	retryAfter string
	fail5xx    int
	connHits   int
}

type signer struct {
	kid          string
	key          *rsa.PrivateKey
	endorsements []string
}

// Member is a person the fake connector knows (for member look-ups).
type Member struct {
	ID, Name, AadObjectID, UPN string
}

// Sent is one call the bot made to the connector.
type Sent struct {
	Method       string
	Conversation string
	ActivityID   string // for PUT, the activity replaced; for POST, the id assigned
	Activity     map[string]any
	Auth         string
}

// Card returns the first Adaptive Card attachment's content, or nil.
func (s Sent) Card() map[string]any {
	atts, _ := s.Activity["attachments"].([]any)
	for _, a := range atts {
		m, _ := a.(map[string]any)
		if m["contentType"] == "application/vnd.microsoft.card.adaptive" {
			c, _ := m["content"].(map[string]any)
			return c
		}
	}
	return nil
}

// Text is all TextBlock and FactSet text of the card, one line each.
func (s Sent) Text() string { return CardText(s.Card()) }

// CardText flattens a card's texts.
func CardText(c map[string]any) string {
	var b strings.Builder
	body, _ := c["body"].([]any)
	for _, el := range body {
		m, _ := el.(map[string]any)
		switch m["type"] {
		case "TextBlock":
			fmt.Fprintln(&b, m["text"])
		case "FactSet":
			facts, _ := m["facts"].([]any)
			for _, f := range facts {
				fm, _ := f.(map[string]any)
				fmt.Fprintf(&b, "%s: %s\n", fm["title"], fm["value"])
			}
		}
	}
	return b.String()
}

// Actions lists the card's actions as "type:title".
func CardActions(c map[string]any) []string {
	var out []string
	acts, _ := c["actions"].([]any)
	for _, a := range acts {
		m, _ := a.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%s", m["type"], m["title"]))
	}
	return out
}

// New starts the fake servers; they stop when the test ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{AppID: "00000000-aaaa-bbbb-cccc-000000000001", Tenant: "11111111-2222-3333-4444-555555555555",
		Secret: "s3cret~value", t: t, tokens: map[string]bool{}, changed: make(chan struct{}),
		members: map[string]Member{}}
	f.keys = []signer{f.newSigner("key-1", "msteams")}
	f.Identity = httptest.NewServer(http.HandlerFunc(f.serveIdentity))
	f.Login = httptest.NewServer(http.HandlerFunc(f.serveLogin))
	f.Connector = httptest.NewServer(http.HandlerFunc(f.serveConnector))
	t.Cleanup(f.Identity.Close)
	t.Cleanup(f.Login.Close)
	t.Cleanup(f.Connector.Close)
	return f
}

func (f *Fake) newSigner(kid string, endorsements ...string) signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.t.Fatal(err)
	}
	return signer{kid: kid, key: k, endorsements: endorsements}
}

// MetadataURL is the OpenID metadata URL (TEAMS_OPENID_METADATA_URL).
func (f *Fake) MetadataURL() string { return f.Identity.URL + "/v1/.well-known/openidconfiguration" }

// TokenURL is the tenant's token endpoint (TEAMS_TOKEN_URL).
func (f *Fake) TokenURL() string { return f.Login.URL + "/" + f.Tenant + "/oauth2/v2.0/token" }

// ServiceURL is the connector's base URL, as activities carry it.
func (f *Fake) ServiceURL() string { return f.Connector.URL + "/teams/" }

// Rotate publishes a new signing key (and keeps the old one unless drop).
func (f *Fake) Rotate(kid string, drop bool) {
	s := f.newSigner(kid, "msteams")
	f.mu.Lock()
	defer f.mu.Unlock()
	if drop {
		f.keys = nil
	}
	f.keys = append([]signer{s}, f.keys...)
}

// AddKey publishes an extra key endorsing only the given channels.
func (f *Fake) AddKey(kid string, endorsements ...string) {
	s := f.newSigner(kid, endorsements...)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, s)
}

// PublicKey is the newest published signing key.
func (f *Fake) PublicKey() *rsa.PublicKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &f.keys[0].key.PublicKey
}

// JWKSHits is how many times the key set was fetched.
func (f *Fake) JWKSHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksHits
}

// TokenHits is how many token requests reached the login endpoint.
func (f *Fake) TokenHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenHits
}

// ConnectorHits is how many calls reached the connector.
func (f *Fake) ConnectorHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connHits
}

// FailTokens makes the next n token requests answer an Entra error.
func (f *Fake) FailTokens(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenFail = n
}

// HoldTokens makes token replies wait until release is called; arrived is
// closed when the first held request reaches the endpoint.
func (f *Fake) HoldTokens() (arrived <-chan struct{}, release func()) {
	ch := make(chan struct{})
	in := make(chan struct{})
	f.mu.Lock()
	f.tokenGate = ch
	f.tokenArrived = in
	f.mu.Unlock()
	return in, func() { close(ch) }
}

// RevokeTokens makes every access token issued so far invalid (a rotated
// secret): the connector answers 401 to them.
func (f *Fake) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

// Throttle makes the next n connector calls answer 429 with Retry-After.
func (f *Fake) Throttle(n int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.retryAfter = n, retryAfter
}

// Fail5xx makes the next n connector calls answer 502 (after doing nothing).
func (f *Fake) Fail5xx(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail5xx = n
}

// AddMember makes a person known to member look-ups.
func (f *Fake) AddMember(m Member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[m.ID] = m
}

// Claims are the claims of a channel token; zero fields get good defaults.
type Claims struct {
	Kid        string // default: the newest published key
	Alg        string // default RS256
	Audience   string // default the app id
	Issuer     string // default Issuer
	ServiceURL string // default ServiceURL()
	Expires    time.Time
	NoExpiry   bool
	Key        *rsa.PrivateKey // sign with this key instead
	HMACSecret []byte          // for Alg HS256
}

// Token mints a channel→bot token as the Bot Framework would.
func (f *Fake) Token(c Claims) string {
	f.mu.Lock()
	s := f.keys[0]
	if c.Kid != "" {
		for _, k := range f.keys {
			if k.kid == c.Kid {
				s = k
			}
		}
	}
	f.mu.Unlock()
	if c.Kid == "" {
		c.Kid = s.kid
	}
	if c.Audience == "" {
		c.Audience = f.AppID
	}
	if c.Issuer == "" {
		c.Issuer = Issuer
	}
	if c.ServiceURL == "" {
		c.ServiceURL = f.ServiceURL()
	}
	if c.Expires.IsZero() {
		c.Expires = time.Now().Add(time.Hour)
	}
	claims := jwt.MapClaims{
		"iss": c.Issuer, "aud": c.Audience, "serviceurl": c.ServiceURL,
		"nbf": time.Now().Add(-time.Minute).Unix(),
	}
	if !c.NoExpiry {
		claims["exp"] = c.Expires.Unix()
	}
	switch c.Alg {
	case "none":
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		tok.Header["kid"] = c.Kid
		raw, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			f.t.Fatal(err)
		}
		return raw
	case "HS256":
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tok.Header["kid"] = c.Kid
		raw, err := tok.SignedString(c.HMACSecret)
		if err != nil {
			f.t.Fatal(err)
		}
		return raw
	}
	method := jwt.SigningMethodRS256
	switch c.Alg {
	case "RS384":
		method = jwt.SigningMethodRS384
	case "RS512":
		method = jwt.SigningMethodRS512
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = c.Kid
	key := s.key
	if c.Key != nil {
		key = c.Key
	}
	raw, err := tok.SignedString(key)
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

func (f *Fake) serveIdentity(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/.well-known/openidconfiguration":
		f.mu.Lock()
		f.metaHits++
		f.mu.Unlock()
		writeJSON(w, map[string]any{
			"issuer":                                Issuer,
			"jwks_uri":                              f.Identity.URL + "/v1/.well-known/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case "/v1/.well-known/keys":
		f.mu.Lock()
		f.jwksHits++
		var keys []map[string]any
		for _, s := range f.keys {
			keys = append(keys, map[string]any{
				"kty": "RSA", "use": "sig", "kid": s.kid,
				"n":            base64.RawURLEncoding.EncodeToString(s.key.N.Bytes()),
				"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(s.key.E)).Bytes()),
				"endorsements": s.endorsements,
			})
		}
		f.mu.Unlock()
		writeJSON(w, map[string]any{"keys": keys})
	default:
		http.NotFound(w, r)
	}
}

func (f *Fake) serveLogin(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.tokenHits++
	gate := f.tokenGate
	if f.tokenArrived != nil {
		close(f.tokenArrived)
		f.tokenArrived = nil
	}
	fail := f.tokenFail > 0
	if fail {
		f.tokenFail--
	}
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if r.Method != http.MethodPost || r.URL.Path != "/"+f.Tenant+"/oauth2/v2.0/token" {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]any{"error": "invalid_request", "error_codes": []int{900023}})
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	form := r.PostForm
	if fail || form.Get("grant_type") != "client_credentials" || form.Get("client_id") != f.AppID ||
		form.Get("client_secret") != f.Secret || form.Get("scope") != "https://api.botframework.com/.default" {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]any{"error": "invalid_client", "error_codes": []int{7000215}})
		return
	}
	f.mu.Lock()
	tok := fmt.Sprintf("access-%d-%d", f.tokenHits, time.Now().UnixNano())
	f.tokens[tok] = true
	f.mu.Unlock()
	writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": tok})
}

func (f *Fake) serveConnector(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.connHits++
	auth := r.Header.Get("Authorization")
	okAuth := f.tokens[strings.TrimPrefix(auth, "Bearer ")]
	throttled := f.throttle > 0
	if throttled {
		f.throttle--
	}
	failed := !throttled && f.fail5xx > 0
	if failed {
		f.fail5xx--
	}
	retryAfter := f.retryAfter
	f.mu.Unlock()
	if !okAuth {
		http.Error(w, `{"error":{"code":"Unauthorized"}}`, http.StatusUnauthorized)
		return
	}
	if throttled {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, `{"error":{"code":"Throttled"}}`, http.StatusTooManyRequests)
		return
	}
	if failed {
		http.Error(w, `{"error":{"code":"ServiceError"}}`, http.StatusBadGateway)
		return
	}
	// /teams/v3/conversations/{conv}/activities[/{id}] or /members/{id};
	// r.URL.Path is already unescaped, so split the escaped form.
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/teams/v3/conversations/"), "/")
	unesc := func(s string) string {
		out, err := urlUnescape(s)
		if err != nil {
			return s
		}
		return out
	}
	switch {
	case len(parts) == 3 && parts[1] == "members" && r.Method == http.MethodGet:
		f.mu.Lock()
		m, ok := f.members[unesc(parts[2])]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":{"code":"NotFound"}}`, http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"id": m.ID, "name": m.Name, "aadObjectId": m.AadObjectID, "userPrincipalName": m.UPN})
	case len(parts) >= 2 && parts[1] == "activities":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		s := Sent{Method: r.Method, Conversation: unesc(parts[0]), Activity: body, Auth: auth}
		f.mu.Lock()
		switch {
		case r.Method == http.MethodPost && len(parts) == 2:
			f.nextID++
			s.ActivityID = fmt.Sprintf("1700000%06d", f.nextID)
		case r.Method == http.MethodPut && len(parts) == 3:
			s.ActivityID = unesc(parts[2])
		default:
			f.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		f.sent = append(f.sent, s)
		close(f.changed)
		f.changed = make(chan struct{})
		f.mu.Unlock()
		writeJSON(w, map[string]any{"id": s.ActivityID})
	default:
		http.NotFound(w, r)
	}
}

// Sent returns everything the bot has sent so far.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// WaitSent waits until at least n calls were recorded and returns them.
// It fails the test after a generous deadline (a hang, not a timing check).
func (f *Fake) WaitSent(n int) []Sent {
	f.t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		if len(f.sent) >= n {
			out := append([]Sent(nil), f.sent...)
			f.mu.Unlock()
			return out
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			f.t.Fatalf("waited for %d connector calls; got %d: %v", n, len(f.Sent()), f.Sent())
			return nil
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
