package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Bot Framework (public cloud) identity of the channel calling the bot.
const (
	DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultIssuer            = "https://api.botframework.com"
)

const (
	clockSkew   = 5 * time.Minute
	maxTokenLen = 8 << 10 // real tokens are ~1.5 KiB; anything far larger is refused unparsed
)

// AuthError is a rejected request: Status is 401 (no or bad token) or 403
// (a good token that does not cover this activity's channel). The reason is
// for logs only, never for the response.
type AuthError struct {
	Status int
	Reason string
}

func (e *AuthError) Error() string { return fmt.Sprintf("teams auth (%d): %s", e.Status, e.Reason) }

func unauthorized(format string, args ...any) error {
	return &AuthError{Status: http.StatusUnauthorized, Reason: fmt.Sprintf(format, args...)}
}

// Validator checks the bearer token on each inbound activity the way the
// Bot Framework requires (PLATFORMS.md, Teams 1): signature by a published
// key, RS256/384/512 only, issuer, audience, expiry with 5 min skew, the
// key endorsing the activity's channel and the token naming its serviceUrl.
// It is safe for concurrent use.
type Validator struct {
	appID  string
	issuer string
	keys   *keyCache
	parser *jwt.Parser
}

// ValidatorOptions configure a Validator. Only AppID is required.
type ValidatorOptions struct {
	AppID       string
	MetadataURL string // default DefaultOpenIDMetadataURL (TEAMS_OPENID_METADATA_URL)
	Issuer      string // default DefaultIssuer
	HTTPClient  *http.Client
	Clock       func() time.Time
	Logger      *slog.Logger
	// KeyMaxAge and KeyMinRefresh tune the key cache (defaults 24 h, 1 min).
	KeyMaxAge, KeyMinRefresh time.Duration
}

// NewValidator returns a Validator. An empty app id is an error: a
// validator without an audience would accept tokens minted for any bot.
func NewValidator(o ValidatorOptions) (*Validator, error) {
	if strings.TrimSpace(o.AppID) == "" {
		return nil, errors.New("teams: validator needs the app id (TEAMS_APP_ID)")
	}
	if o.MetadataURL == "" {
		o.MetadataURL = DefaultOpenIDMetadataURL
	}
	if o.Issuer == "" {
		o.Issuer = DefaultIssuer
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.KeyMaxAge <= 0 {
		o.KeyMaxAge = 24 * time.Hour
	}
	if o.KeyMinRefresh <= 0 {
		o.KeyMinRefresh = time.Minute
	}
	return &Validator{
		appID:  o.AppID,
		issuer: o.Issuer,
		keys: &keyCache{
			metadataURL: o.MetadataURL, client: o.HTTPClient, now: o.Clock, log: o.Logger,
			maxAge: o.KeyMaxAge, minRefresh: o.KeyMinRefresh,
		},
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{"RS256", "RS384", "RS512"}),
			jwt.WithIssuer(o.Issuer),
			jwt.WithAudience(o.AppID),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(clockSkew),
			jwt.WithTimeFunc(o.Clock),
		),
	}, nil
}

// KeyFetches is how many times the signing keys were fetched.
func (v *Validator) KeyFetches() int { return v.keys.Fetches() }

// Validate checks the Authorization header of an activity from channelID
// whose serviceUrl is serviceURL. It returns nil or an *AuthError. It is
// Authenticate followed by Token.Covers.
func (v *Validator) Validate(ctx context.Context, authorization, channelID, serviceURL string) error {
	tok, err := v.Authenticate(ctx, authorization)
	if err != nil {
		return err
	}
	return tok.Covers(channelID, serviceURL)
}

// Token is a bearer token whose signature, issuer, audience and lifetime
// have been checked: everything that does not depend on the activity. An
// endpoint authenticates with it before reading the body, then checks the
// activity against it with Covers.
type Token struct {
	serviceURL string     // the serviceurl claim
	key        signingKey // the key that signed it, with its endorsements
}

// Authenticate checks the Authorization header's token on its own: a
// published signing key (RS256/384/512 only), the issuer, the audience
// (this bot) and expiry with 5 min skew. It needs no request body, so an
// unauthenticated request costs a header parse and, at most, one signature
// check. It returns the token or an *AuthError (401).
func (v *Validator) Authenticate(ctx context.Context, authorization string) (*Token, error) {
	if v == nil || v.appID == "" {
		return nil, unauthorized("validator has no app id")
	}
	scheme, raw, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, unauthorized("not a bearer token")
	}
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxTokenLen {
		return nil, unauthorized("empty or oversized token (%d bytes)", len(raw))
	}
	var used signingKey
	tok, err := v.parser.Parse(raw, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid")
		}
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		used = k
		return k.pub, nil
	})
	if err != nil {
		return nil, unauthorized("%v", err)
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	su, _ := claims["serviceurl"].(string)
	return &Token{serviceURL: su, key: used}, nil
}

// Covers checks the claims that depend on the activity: the token names
// its serviceUrl (else 401), and the signing key endorses its channelId
// (else 403). It returns nil or an *AuthError.
func (t *Token) Covers(channelID, serviceURL string) error {
	if t == nil {
		return unauthorized("no token")
	}
	if t.serviceURL == "" || !sameServiceURL(t.serviceURL, serviceURL) {
		return unauthorized("serviceurl claim does not match the activity")
	}
	if channelID == "" || !t.key.endorses(channelID) {
		return &AuthError{Status: http.StatusForbidden, Reason: fmt.Sprintf("signing key does not endorse channel %q", channelID)}
	}
	return nil
}

// sameServiceURL compares service URLs as the Bot Framework writes them;
// only a trailing slash may differ.
func sameServiceURL(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}
