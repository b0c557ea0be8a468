package faulttest

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// Three replicas share one Redis. Slack delivers each event to one of
// them and, having seen no answer in time, retries to the others
// (X-Slack-Retry-Num 1 and 2), all at once. Every question is answered
// exactly once.
func TestThreeReplicasAnswerOnce(t *testing.T) {
	rs := newRedis(t)
	rs.start()
	api := slacktest.New(t)
	var replicas []*helpbot
	for range 3 {
		b := startHelpbot(t, slackEnv(api.URL(), rs.url()))
		b.waitReady(http.StatusOK)
		replicas = append(replicas, b)
	}

	const users = 30
	questions := []string{"printer jammed", "the projector isn't showing my laptop", "how do I reset my password"}
	var wg sync.WaitGroup
	for n := range users {
		body := dm(n, fmt.Sprintf("EvD%d", n), questions[n%len(questions)])
		for retry, b := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := deliver(b.addr, body, retry); code != http.StatusOK {
					t.Errorf("user %d, delivery %d = %d; want 200", n, retry, code)
				}
			}()
		}
	}
	wg.Wait()
	poll(t, "every question to be answered", func() bool {
		for n := range users {
			if len(repliesTo(api, n)) == 0 {
				return false
			}
		}
		return true
	})
	// A graceful stop finishes every acknowledged delivery, so after the
	// three exits the count of replies is final.
	for _, b := range replicas {
		if code := b.sigterm(); code != 0 {
			t.Errorf("replica exit code = %d; want 0", code)
		}
	}
	dups := 0
	for n := range users {
		if got := len(repliesTo(api, n)); got != 1 {
			dups += got - 1
			t.Errorf("user %d got %d replies; want exactly 1:\n%q", n, got, repliesTo(api, n))
		}
	}
	t.Logf("%d questions × 3 deliveries across 3 replicas: %d duplicate replies", users, dups)
}
