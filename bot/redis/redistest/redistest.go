// Package redistest gives tests a Store on real Redis when
// HELPBOT_TEST_REDIS_URL is set (CI), else on the embedded server. Each call
// gets its own key prefix, so packages testing in parallel never collide.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	hbredis "github.com/helpbot/helpbot/bot/redis"
)

// EnvURL names the variable .ci/run sets to a real Redis database.
const EnvURL = "HELPBOT_TEST_REDIS_URL"

// Client returns a client and a fresh key prefix; keys under the prefix are
// deleted when the test ends.
func Client(t testing.TB) (goredis.UniversalClient, string) {
	t.Helper()
	var rdb goredis.UniversalClient
	if u := os.Getenv(EnvURL); u != "" {
		c, err := hbredis.Connect(u)
		if err != nil {
			t.Fatalf("%s: %v", EnvURL, err)
		}
		rdb = c
	} else {
		e, err := hbredis.StartEmbedded(nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		rdb = e.Client()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis ping: %v", err)
	}
	prefix := "hbtest:" + randHex() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// Store returns a Store on a fresh prefix.
func Store(t testing.TB) *hbredis.Store {
	t.Helper()
	rdb, prefix := Client(t)
	return hbredis.New(rdb, hbredis.Options{Prefix: prefix})
}

// Real reports whether tests run against a real Redis server.
func Real() bool { return os.Getenv(EnvURL) != "" }

func randHex() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
