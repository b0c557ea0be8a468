// Package redis is the bot.Store on Redis (go-redis v9): the key scheme,
// TTLs, and the Lua scripts that make claims atomic across replicas.
package redis

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
)

// Connect builds a client from a redis:// or rediss:// URL. A master_name
// query parameter selects Sentinel; several addr parameters select Cluster
// (give the key prefix a hash tag, e.g. "{hb}:", so scripts stay in one
// slot). Every command honours its context deadline.
func Connect(rawURL string) (goredis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("REDIS_URL must look like redis://host:6379/0 or rediss://…")
	}
	q := u.Query()
	var uo goredis.UniversalOptions
	switch {
	case q.Get("master_name") != "":
		o, err := goredis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel): %w", err)
		}
		uo = goredis.UniversalOptions{
			Addrs: o.SentinelAddrs, MasterName: o.MasterName, DB: o.DB,
			Username: o.Username, Password: o.Password,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			TLSConfig: o.TLSConfig,
		}
	case len(q["addr"]) > 0:
		o, err := goredis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %w", err)
		}
		uo = goredis.UniversalOptions{
			Addrs: o.Addrs, Username: o.Username, Password: o.Password,
			TLSConfig: o.TLSConfig, IsClusterMode: true,
		}
	default:
		o, err := goredis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		uo = goredis.UniversalOptions{
			Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username, Password: o.Password,
			TLSConfig: o.TLSConfig,
		}
	}
	uo.ContextTimeoutEnabled = true
	uo.DialTimeout = 2 * time.Second
	uo.ReadTimeout = 2 * time.Second
	uo.WriteTimeout = 2 * time.Second
	// Keep retries short: when Redis is down the bot must say so quickly
	// and keep answering from the KB, not hang the conversation.
	uo.MaxRetries = 1
	uo.DialerRetries = 1
	uo.MaxRetryBackoff = 100 * time.Millisecond
	return goredis.NewUniversalClient(&uo), nil
}

// Embedded is an in-process Redis (miniredis) for the zero-configuration
// start. State is lost when the process exits.
type Embedded struct {
	srv  *miniredis.Miniredis
	stop chan struct{}
	wg   sync.WaitGroup
}

// StartEmbedded starts the in-process server on a loopback port. miniredis
// does not expire keys on its own, so a ticker advances its clock: TTLs
// (sessions, dedupe, rate limits) behave as on a real server.
func StartEmbedded(log *slog.Logger) (*Embedded, error) {
	srv, err := miniredis.Run()
	if err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Embedded{srv: srv, stop: make(chan struct{})}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-e.stop:
				return
			case now := <-t.C:
				srv.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return e, nil
}

// URL is the redis:// address of the embedded server.
func (e *Embedded) URL() string { return "redis://" + e.srv.Addr() + "/0" }

// Client returns a go-redis client connected to the embedded server.
func (e *Embedded) Client() goredis.UniversalClient {
	return goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs: []string{e.srv.Addr()}, ContextTimeoutEnabled: true,
	})
}

// Close stops the server.
func (e *Embedded) Close() error {
	close(e.stop)
	e.wg.Wait()
	e.srv.Close()
	return nil
}

var _ io.Closer = (*Embedded)(nil)

// Ping checks the connection (used by /readyz).
func (s *Store) Ping(ctx context.Context) error {
	return s.rdb.Ping(ctx).Err()
}
