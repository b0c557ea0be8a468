package main

import (
	"archive/zip"
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

const (
	testAppID  = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	testTenant = "11111111-2222-3333-4444-555555555555"
	testTech   = "bbbbbbbb-0000-0000-0000-00000000000b"
)

func teamsVars(over map[string]string) map[string]string {
	v := map[string]string{
		"TEAMS_APP_ID": testAppID, "TEAMS_APP_PASSWORD": "secret", "TEAMS_TENANT_ID": testTenant,
		"TEAMS_TECH_USERS": testTech,
	}
	for k, x := range over {
		v[k] = x
	}
	return v
}

// A half-configured Teams bot refuses to start (exit 2) and says which
// variable is wrong.
func TestTeamsConfigFailsClosed(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		mentions string
	}{
		{"tech list without app id", map[string]string{"TEAMS_TECH_USERS": testTech}, "TEAMS_APP_ID"},
		{"password without app id", map[string]string{"TEAMS_APP_PASSWORD": "x"}, "TEAMS_APP_ID"},
		{"app id not a GUID", teamsVars(map[string]string{"TEAMS_APP_ID": "helpbot"}), "TEAMS_APP_ID"},
		{"app id without password", teamsVars(map[string]string{"TEAMS_APP_PASSWORD": ""}), "TEAMS_APP_PASSWORD"},
		{"single tenant without tenant", teamsVars(map[string]string{"TEAMS_TENANT_ID": ""}), "TEAMS_TENANT_ID"},
		{"unknown app type", teamsVars(map[string]string{"TEAMS_APP_TYPE": "UserAssignedMSI"}), "TEAMS_APP_TYPE"},
		{"no techs", teamsVars(map[string]string{"TEAMS_TECH_USERS": ""}), "TEAMS_TECH_USERS"},
		{"tech given by email", teamsVars(map[string]string{"TEAMS_TECH_USERS": "alex@district.org"}), "TEAMS_TECH_USERS"},
		{"metadata URL not a URL", teamsVars(map[string]string{"TEAMS_OPENID_METADATA_URL": "login.botframework.com"}), "TEAMS_OPENID_METADATA_URL"},
		{"token URL over plain http", teamsVars(map[string]string{"TEAMS_TOKEN_URL": "http://login.example.com/t/oauth2/v2.0/token"}), "TEAMS_TOKEN_URL"},
		{"service host with a scheme", teamsVars(map[string]string{"TEAMS_SERVICE_URL_HOSTS": "https://smba.example.com"}), "TEAMS_SERVICE_URL_HOSTS"},
		{"no workers", teamsVars(map[string]string{"TEAMS_WORKERS": "0"}), "TEAMS_WORKERS"},
		{"too many workers", teamsVars(map[string]string{"TEAMS_WORKERS": "5000"}), "TEAMS_WORKERS"},
		{"workers not a number", teamsVars(map[string]string{"TEAMS_WORKERS": "eight"}), "TEAMS_WORKERS"},
		{"queue shorter than the workers", teamsVars(map[string]string{"TEAMS_WORKERS": "16", "TEAMS_QUEUE": "8"}), "TEAMS_QUEUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", tt.vars, "serve")
			if err == nil || exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.mentions) {
				t.Fatalf("serve = %v (exit %d); want exit 2 naming %s", err, exitCodeOf(err), tt.mentions)
			}
		})
	}
	// Sizing: the defaults, and what an operator sets.
	cfg, err := loadConfig(env(t, teamsVars(nil)))
	if err != nil || cfg.TeamsWorkers != 8 || cfg.TeamsQueue != 64 {
		t.Fatalf("defaults: workers %d, queue %d, %v; want 8 and 64", cfg.TeamsWorkers, cfg.TeamsQueue, err)
	}
	cfg, err = loadConfig(env(t, teamsVars(map[string]string{"TEAMS_WORKERS": "16", "TEAMS_QUEUE": "256"})))
	if err != nil || cfg.TeamsWorkers != 16 || cfg.TeamsQueue != 256 {
		t.Fatalf("TEAMS_WORKERS=16 TEAMS_QUEUE=256: workers %d, queue %d, %v", cfg.TeamsWorkers, cfg.TeamsQueue, err)
	}
	// Legacy multi-tenant bots need no tenant.
	cfg, err = loadConfig(env(t, teamsVars(map[string]string{"TEAMS_TENANT_ID": "", "TEAMS_APP_TYPE": "MultiTenant"})))
	if err != nil || cfg.TeamsAppType != "MultiTenant" {
		t.Fatalf("multi-tenant config = %v; want accepted", err)
	}
}

func TestTeamsPackageCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "app.zip")
	_, stderr, err := runCLI(t, "", map[string]string{"TEAMS_APP_ID": testAppID}, "teams-package", "-o", out, "-name", "Lincoln IT")
	if err != nil {
		t.Fatalf("teams-package = %v\n%s", err, stderr)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "manifest.json,color.png,outline.png" {
		t.Fatalf("zip holds %v; want the manifest and two icons", names)
	}
	if !strings.Contains(stderr, "upload") {
		t.Errorf("stderr %q does not say what to do with the zip", stderr)
	}

	_, _, err = runCLI(t, "", nil, "teams-package", "-o", filepath.Join(t.TempDir(), "x.zip"))
	if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), "TEAMS_APP_ID") {
		t.Fatalf("teams-package without an app id = %v; want exit 2 naming TEAMS_APP_ID", err)
	}
}

// serve with Teams configured: the real wiring answers a personal chat
// message through the connector, then shuts down cleanly on cancel.
func TestServeTeams(t *testing.T) {
	f := teamstest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars := map[string]string{
		"TEAMS_APP_ID": f.AppID, "TEAMS_APP_PASSWORD": f.Secret, "TEAMS_TENANT_ID": f.Tenant,
		"TEAMS_TECH_USERS": testTech, "TEAMS_OPENID_METADATA_URL": f.MetadataURL(), "TEAMS_TOKEN_URL": f.TokenURL(),
		"TEAMS_SERVICE_URL_HOSTS": "127.0.0.1", "HTTP_ADDR": addr, "LOG_LEVEL": "error",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		c := &cli{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &teamsStderr{}, getenv: env(t, vars)}
		done <- c.run(ctx, []string{"helpbot", "serve"})
	}()
	// Wait for the listener (the one poll in this test: serve binds the
	// port inside run and has no other way to say it is up).
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start listening")
		}
		time.Sleep(20 * time.Millisecond)
	}
	user := teamstest.User{ID: "29:pat", Aad: "aaaaaaaa-0000-0000-0000-00000000000a", Name: "Pat Rivera"}
	status, body := f.Post(t, "http://"+addr+"/api/messages", f.Personal(user, "printer jam"))
	if status != 200 {
		t.Fatalf("POST /api/messages: %d %s", status, body)
	}
	reply := f.WaitSent(1)[0]
	if !strings.Contains(reply.Text(), "Source:") || reply.Conversation != "a:personal-"+user.Aad {
		t.Fatalf("reply to %s:\n%s", reply.Conversation, reply.Text())
	}
	if status, _ := f.PostWithToken(t, "http://"+addr+"/api/messages", f.Personal(user, "x"), "Bearer forged"); status != 401 {
		t.Fatalf("forged token: %d; want 401", status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after cancel = %v; want a clean exit", err)
	}
}

// teamsStderr collects serve's logs, written from several goroutines.
type teamsStderr struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *teamsStderr) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
