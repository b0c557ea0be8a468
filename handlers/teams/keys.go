package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// signingKey is one key of the Bot Framework JWKS, with the channels that
// endorse it ("msteams"…): a token signed by it is only good for those.
type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

func (k signingKey) endorses(channel string) bool {
	for _, e := range k.endorsements {
		if e == channel {
			return true
		}
	}
	return false
}

// keyCache holds the signing keys from the OpenID metadata's jwks_uri. It
// refreshes daily and when a token names a key it does not know, at most
// once per minRefresh however many requests ask, so a flood of tokens with
// made-up kids cannot turn into a flood of fetches.
type keyCache struct {
	metadataURL string
	client      *http.Client
	now         func() time.Time
	log         *slog.Logger
	maxAge      time.Duration // refresh keys older than this (a day)
	minRefresh  time.Duration // least time between fetches for unknown kids

	mu        sync.Mutex
	keys      map[string]signingKey
	fetchedAt time.Time     // last successful fetch
	triedAt   time.Time     // last attempt, successful or not
	inflight  chan struct{} // closed when the running fetch ends
	fetches   int           // for tests and metrics
}

var errUnknownKey = errors.New("token signed by an unknown key")

// emptyRetry is the least time between fetches while no key is known.
const emptyRetry = 5 * time.Second

// key returns the key with id kid, fetching the key set when it is unknown
// or the set is older than maxAge.
func (c *keyCache) key(ctx context.Context, kid string) (signingKey, error) {
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		k, known := c.keys[kid]
		fresh := !c.fetchedAt.IsZero() && c.now().Sub(c.fetchedAt) < c.maxAge
		if known && fresh {
			c.mu.Unlock()
			return k, nil
		}
		if wait := c.inflight; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return signingKey{}, ctx.Err()
			}
		}
		// One fetch per caller at most, and none when the last attempt was
		// recent: a stale key is still better than none, an unknown kid is
		// refused. With no keys at all (startup, metadata down) retry sooner.
		gap := c.minRefresh
		if len(c.keys) == 0 {
			gap = emptyRetry
		}
		rateLimited := !c.triedAt.IsZero() && c.now().Sub(c.triedAt) < gap
		if attempt > 0 || rateLimited {
			c.mu.Unlock()
			if known {
				return k, nil
			}
			return signingKey{}, errUnknownKey
		}
		done := make(chan struct{})
		c.inflight = done
		c.triedAt = c.now()
		c.fetches++
		c.mu.Unlock()

		// The fetch outlives the request that started it: other requests
		// wait for it, and one cancelled caller must not fail them all.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		keys, err := c.fetch(fctx)
		cancel()

		c.mu.Lock()
		if err != nil {
			c.log.Warn("teams: could not refresh Bot Framework signing keys; keeping the old ones", "err", err)
		} else {
			c.keys = keys
			c.fetchedAt = c.now()
		}
		c.inflight = nil
		close(done)
		c.mu.Unlock()
	}
}

// Fetches is how many times the key set was fetched.
func (c *keyCache) Fetches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

func (c *keyCache) fetch(ctx context.Context) (map[string]signingKey, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getJSON(ctx, c.metadataURL, &meta); err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	u, err := url.Parse(meta.JWKSURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("openid metadata: bad jwks_uri %q", meta.JWKSURI)
	}
	var set struct {
		Keys []struct {
			Kty          string   `json:"kty"`
			Kid          string   `json:"kid"`
			N            string   `json:"n"`
			E            string   `json:"e"`
			Endorsements []string `json:"endorsements"`
		} `json:"keys"`
	}
	if err := c.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]signingKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			c.log.Warn("teams: skipping unusable signing key", "kid", k.Kid, "err", err)
			continue
		}
		keys[k.Kid] = signingKey{pub: pub, endorsements: k.Endorsements}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: no usable RSA keys")
	}
	return keys, nil
}

func (c *keyCache) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// rsaKey builds a public key from a JWK's base64url modulus and exponent.
// Keys under 2048 bits are refused.
func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n64)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(e64)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad exponent")
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < 2048 {
		return nil, fmt.Errorf("key too small (%d bits)", n.BitLen())
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	if e < 3 || e%2 == 0 {
		return nil, errors.New("bad exponent")
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}
