package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

// harness is the playground on a real Desk, a real store (Redis when CI
// provides one, else embedded), the real screen and the shipped sample KB,
// served by httptest on loopback.
type harness struct {
	t    *testing.T
	pg   *Playground
	srv  *httptest.Server
	gate *claimGate
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ix, problems := knowledge.LoadFS(kb.FS)
	if len(problems) > 0 || ix.Len() == 0 {
		t.Fatalf("sample KB: %d articles, problems %v", ix.Len(), problems)
	}
	lib := knowledge.NewLibrary(ix)
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.Client(t)
	store := hbredis.New(rdb, hbredis.Options{Prefix: prefix, CasePrefix: "IT"})

	h := &harness{t: t, gate: &claimGate{}}
	techs := bot.TechsFunc(func(ctx context.Context, platform string, p bot.Person) (bool, error) {
		ok, err := h.pg.Techs().IsTech(ctx, platform, p)
		if ok {
			h.gate.wait(ctx)
		}
		return ok, err
	})
	desk, err := bot.New(bot.Config{
		Store: store, Answerer: knowledge.NewAnswerer(lib, knowledge.AnswererOptions{}), Screener: sc,
		Techs: techs, Policy: bot.Policy{Contact: "call x4357", CasePrefix: "IT"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.pg = New(Options{Desk: desk, Library: lib})
	desk.SetNotifier(bot.PlatformWeb, h.pg.Notifier())
	h.srv = httptest.NewServer(h.pg.Handler())
	t.Cleanup(func() {
		h.pg.Close()
		h.srv.Close()
	})
	return h
}

// claimGate holds tech permission checks until n techs are waiting, so two
// Claim clicks from two browser tabs reach the store at the same moment:
// a real race, decided by the store, every run.
type claimGate struct {
	mu      sync.Mutex
	want    int
	arrived int
	release chan struct{}
}

func (g *claimGate) arm(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.want, g.arrived, g.release = n, 0, make(chan struct{})
}

func (g *claimGate) wait(ctx context.Context) {
	g.mu.Lock()
	if g.release == nil {
		g.mu.Unlock()
		return
	}
	ch := g.release
	g.arrived++
	if g.arrived == g.want {
		close(ch)
		g.release = nil
	}
	g.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-time.After(10 * time.Second): // a test that never sends the second click fails on its own
	}
}

// call sends one request and returns the status and body.
func (h *harness) call(method, path, contentType string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// post sends v as JSON and decodes a 200 answer into out.
func (h *harness) post(path string, v, out any) {
	h.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	code, _, body := h.call(http.MethodPost, path, "application/json", b, nil)
	if code != http.StatusOK {
		h.t.Fatalf("POST %s %s = %d %s; want 200", path, b, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		h.t.Fatalf("POST %s: %v in %s", path, err, body)
	}
}

func (h *harness) say(as, text string) []Entry {
	h.t.Helper()
	var res struct{ Entries []Entry }
	h.post("/api/messages", map[string]string{"as": as, "text": text}, &res)
	return res.Entries
}

func (h *harness) press(as, action, id string, entry int64) actionResponse {
	h.t.Helper()
	var res actionResponse
	h.post("/api/actions", actionRequest{As: as, Action: action, Case: id, Entry: entry}, &res)
	return res
}
