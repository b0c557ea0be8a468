package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/handlers/webhook"
)

const testWebhookSecret = "test-webhook-secret-0123456789"

// ticketSystem is a ticket webhook receiver that rejects new cases
// outright (400, so dead letters are written) and is down for everything
// else (503, so those events stay in the outbox).
type ticketSystem struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string
}

func newTicketSystem(t *testing.T) *ticketSystem {
	ts := &ticketSystem{}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		ev := r.Header.Get(webhook.HeaderEvent)
		ts.mu.Lock()
		ts.got = append(ts.got, ev)
		ts.mu.Unlock()
		if ev == webhook.EventCreated {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

// scenario is a Redis that outlives one run of the program, with what a
// morning at the help desk leaves in it.
type scenario struct {
	rdb    goredis.UniversalClient
	prefix string
	vars   map[string]string
	ticket *ticketSystem
}

// chatScript: Pat files a case and it is claimed and resolved; Sam files
// one that stays open; Kim, who never asked anything, says "forget me".
const chatScript = `the projector in room 12 says no signal
get a tech
Lincoln MS room 12
/as staff Sam Lee
my printer is jammed in room 4 at Lincoln MS, I need a person
/as tech Alex Chen
/claim IT-1001
/resolve IT-1001
/as staff Kim Park
forget me
/quit
`

func newScenario(t *testing.T) *scenario {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	url := os.Getenv(redistest.EnvURL)
	if url == "" {
		c, ok := rdb.(*goredis.Client)
		if !ok {
			t.Fatalf("embedded test client is a %T", rdb)
		}
		url = "redis://" + c.Options().Addr + "/0"
	}
	s := &scenario{rdb: rdb, prefix: prefix, ticket: newTicketSystem(t)}
	s.vars = map[string]string{
		"REDIS_URL": url, "REDIS_PREFIX": prefix, "BUILDINGS": "Lincoln MS",
		"TICKET_WEBHOOK_URL": s.ticket.srv.URL, "TICKET_WEBHOOK_SECRET": testWebhookSecret,
	}
	out, _, err := runCLI(t, chatScript, s.vars, "chat")
	if err != nil {
		t.Fatalf("chat: %v\n%s", err, out)
	}
	for _, want := range []string{"IT-1001", "IT-1002", "Deleted: 0 conversations, 0 cases"} {
		if !strings.Contains(out, want) {
			t.Fatalf("chat transcript lacks %q:\n%s", want, out)
		}
	}
	// Deliver what is due, as a serving replica would (the chat's own
	// runner may have done it already; the outcome is the same).
	d, err := webhook.NewDeliverer(webhook.Options{URL: s.ticket.srv.URL, Secret: testWebhookSecret, Redis: rdb, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// keys returns every key under the scenario's prefix (without it) and its
// content as text.
func (s *scenario) keys(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := s.rdb.Scan(ctx, 0, s.prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		var v string
		switch s.rdb.Type(ctx, k).Val() {
		case "string":
			v = s.rdb.Get(ctx, k).Val()
		case "hash":
			raw, _ := json.Marshal(s.rdb.HGetAll(ctx, k).Val())
			v = string(raw)
		case "set":
			v = strings.Join(s.rdb.SMembers(ctx, k).Val(), ",")
		case "zset":
			v = strings.Join(s.rdb.ZRange(ctx, k, 0, -1).Val(), ",")
		case "list":
			v = strings.Join(s.rdb.LRange(ctx, k, 0, -1).Val(), "\n")
		}
		out[strings.TrimPrefix(k, s.prefix)] = v
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAdminExportPurgeAudit(t *testing.T) {
	s := newScenario(t)

	out, stderr, err := runCLI(t, "", s.vars, "admin", "export", "--platform", "console", "pat.rivera")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	var data bot.UserData
	if err := json.Unmarshal([]byte(out), &data); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, out)
	}
	if data.User != "pat.rivera" || len(data.Requested) != 1 || data.Requested[0].ID != "IT-1001" || len(data.Sessions) != 1 {
		t.Fatalf("export = %+v", data)
	}
	if !strings.Contains(out, "projector") || strings.Contains(out, "printer") || strings.Contains(out, "sam.lee") {
		t.Errorf("export holds the wrong data:\n%s", out)
	}
	if !strings.Contains(stderr, "Exported console:pat.rivera") {
		t.Errorf("no export receipt on stderr: %q", stderr)
	}

	// The tech's export lists the case they worked, not whose it was.
	out, _, err = runCLI(t, "", s.vars, "admin", "export", "tech.alex.chen", "--platform", "console")
	if err != nil || !strings.Contains(out, `"id": "IT-1001"`) || strings.Contains(out, "projector") || strings.Contains(out, "pat.rivera") {
		t.Errorf("tech export = %v\n%s", err, out)
	}

	out, _, err = runCLI(t, "", s.vars, "admin", "purge", "--platform", "console", "--actor", "dpo", "pat.rivera")
	if err != nil {
		t.Fatalf("purge: %v", err)
	}
	if !strings.HasPrefix(out, "Purged console:pat.rivera. Deleted: 1 conversation, 1 case, at ") {
		t.Errorf("purge receipt = %q", out)
	}
	for k, v := range s.keys(t) {
		if k == "audit:log" {
			continue
		}
		if strings.Contains(k, "pat.rivera") || strings.Contains(v, "pat.rivera") || strings.Contains(v, "Pat Rivera") || strings.Contains(v, "projector") {
			t.Errorf("after purge, %s holds:\n%s", k, v)
		}
	}
	keys := s.keys(t)
	if !strings.Contains(keys["sess:console:dm-sam.lee"], "printer") || !strings.Contains(keys["esc:IT-1002"], "printer") {
		t.Error("the purge touched Sam's conversation or case")
	}

	out, _, err = runCLI(t, "", s.vars, "admin", "audit")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.Contains(lines[1], "purge") || !strings.Contains(lines[1], "cli:dpo") || !strings.Contains(lines[1], "console:pat.rivera") ||
		!strings.Contains(lines[4], "forget") || !strings.Contains(lines[4], "console:kim.park") {
		t.Errorf("audit table =\n%s\nwant header, purge, two exports, forget", out)
	}
	for _, word := range []string{"projector", "printer", "Pat Rivera", "room 12"} {
		if strings.Contains(out, word) || strings.Contains(keys["audit:log"], word) {
			t.Errorf("audit log holds content %q", word)
		}
	}
	out, _, _ = runCLI(t, "", s.vars, "admin", "audit", "--json", "--limit", "1")
	var e bot.AuditEntry
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Action != bot.AuditPurge || e.Counts["cases"] != 1 {
		t.Errorf("audit --json = %q (%v)", out, err)
	}

	out, _, err = runCLI(t, "", s.vars, "admin", "webhook")
	// Pat's undelivered events went with the purge; the dead letters name
	// only case ids.
	if err != nil || !strings.Contains(out, "Undelivered events: 0") || !strings.Contains(out, "Dead letters (newest first): 2") || !strings.Contains(out, "IT-1002") {
		t.Errorf("admin webhook = %v\n%s", err, out)
	}
}

func TestAdminUsageErrors(t *testing.T) {
	s := &scenario{vars: map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no command", s.vars, []string{"admin"}, "admin needs a command"},
		{"unknown command", s.vars, []string{"admin", "delete", "U1"}, "unknown admin command"},
		{"purge without platform", s.vars, []string{"admin", "purge", "U1"}, "--platform"},
		{"purge of two people", s.vars, []string{"admin", "purge", "--platform", "slack", "U1", "U2"}, "--platform P USER"},
		{"unknown platform", s.vars, []string{"admin", "export", "--platform", "irc", "U1"}, "--platform must be"},
		{"bad flag", s.vars, []string{"admin", "audit", "--limit", "many"}, "admin audit"},
		{"no redis", map[string]string{"REDIS_URL": ""}, []string{"admin", "audit"}, "needs REDIS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", tt.vars, tt.args...)
			if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run %v = %v (exit %d); want exit 2 mentioning %q", tt.args, err, exitCodeOf(err), tt.want)
			}
		})
	}
}
