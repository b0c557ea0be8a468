package faulttest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// gate sits in front of the fake Slack and holds every chat.postMessage
// until opened, so deliveries are acknowledged but not yet answered when
// SIGTERM arrives.
type gate struct {
	srv     *httptest.Server
	open    chan struct{}
	arrived chan struct{}
	once    sync.Once
}

func newGate(t *testing.T, api *slacktest.API) *gate {
	target, _ := url.Parse(api.Server.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	g := &gate{open: make(chan struct{}), arrived: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
			g.once.Do(func() { close(g.arrived) })
			<-g.open
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { g.release(); g.srv.Close() })
	return g
}

func (g *gate) url() string { return g.srv.URL + "/api/" }

func (g *gate) release() {
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// SIGTERM with acknowledged deliveries queued behind busy workers: new
// deliveries are refused (Slack retries them elsewhere), every delivery
// that was acknowledged is answered, and helpbot exits 0.
func TestSIGTERMUnderLoadLosesNothingAcknowledged(t *testing.T) {
	rs := newRedis(t)
	rs.start()
	api := slacktest.New(t)
	g := newGate(t, api)
	b := startHelpbot(t, slackEnv(g.url(), rs.url(), "SLACK_WORKERS=2", "SLACK_QUEUE=256"))
	b.waitReady(http.StatusOK)

	const users = 40
	acked := map[int]bool{}
	for n := range users {
		if code := deliver(b.addr, dm(n, fmt.Sprintf("EvT%d", n), "printer jammed"), 0); code == http.StatusOK {
			acked[n] = true
		}
	}
	if len(acked) != users {
		t.Fatalf("%d of %d deliveries acknowledged before SIGTERM; want all", len(acked), users)
	}
	<-g.arrived // both workers are now holding a reply; the rest wait in the queue

	exit := make(chan int, 1)
	go func() { exit <- b.sigterm() }()
	b.logs.wait(t, b.done, "shutting down")

	// Stopped taking work: refused or not reachable, never acknowledged.
	if code := deliver(b.addr, dm(users, "EvTlate", "printer jammed"), 0); code == http.StatusOK {
		t.Errorf("a delivery after SIGTERM was acknowledged (200); want 503 or a refused connection")
	}
	if code := b.get("/readyz"); code == http.StatusOK {
		t.Errorf("/readyz after SIGTERM = 200; want 503 or a refused connection")
	}

	g.release()
	if code := <-exit; code != 0 {
		t.Fatalf("exit code = %d; want 0", code)
	}
	var lost []int
	for n := range acked {
		if len(repliesTo(api, n)) == 0 {
			lost = append(lost, n)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged deliveries were never answered: users %v", len(lost), lost)
	}
	if n := len(repliesTo(api, users)); n != 0 {
		t.Errorf("the delivery refused after SIGTERM was answered anyway (%d replies)", n)
	}
	b.logs.wait(t, b.done, `"msg":"stopped"`)
}
