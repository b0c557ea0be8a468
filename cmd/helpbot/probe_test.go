package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// helpbot probe answers a container health check by exit code alone.
func TestProbe(t *testing.T) {
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/readyz", http.StatusFound)
		default:
			w.WriteHeader(int(status.Load()))
		}
	}))
	defer srv.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens there any more

	tests := []struct {
		name   string
		status int
		args   []string
		want   int // exit code
	}{
		{"ready", 200, []string{"--url", srv.URL + "/readyz"}, 0},
		{"any 2xx", 204, []string{"--url", srv.URL + "/readyz"}, 0},
		{"not ready", 503, []string{"--url", srv.URL + "/readyz"}, 1},
		{"not found", 404, []string{"--url", srv.URL + "/nothing"}, 1},
		{"a redirect is not healthy", 200, []string{"--url", srv.URL + "/moved"}, 1},
		{"nobody listening", 200, []string{"--url", gone.URL + "/readyz"}, 1},
		{"single-dash flag", 200, []string{"-url", srv.URL + "/readyz"}, 0},
		{"not an http URL", 200, []string{"--url", "ftp://127.0.0.1/readyz"}, 2},
		{"no host", 200, []string{"--url", "/readyz"}, 2},
		{"unknown flag", 200, []string{"--timeout", "3s"}, 2},
		{"an argument", 200, []string{"readyz"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			stdout, _, err := runCLI(t, "", nil, append([]string{"probe"}, tt.args...)...)
			if got := exitCode0(err); got != tt.want {
				t.Fatalf("probe %v: exit %d (%v); want %d", tt.args, got, err, tt.want)
			}
			if tt.want == 0 && !strings.Contains(stdout, "/readyz: 2") {
				t.Errorf("stdout %q; want the URL and status", stdout)
			}
		})
	}
}

func exitCode0(err error) int {
	if err == nil {
		return 0
	}
	return exitCodeOf(err)
}

func TestProbeDefaultURLFollowsHTTPAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"":                  "http://127.0.0.1:8080/readyz",
		":8080":             "http://127.0.0.1:8080/readyz",
		":9090":             "http://127.0.0.1:9090/readyz",
		"0.0.0.0:8081":      "http://127.0.0.1:8081/readyz",
		"[::]:8082":         "http://127.0.0.1:8082/readyz",
		"10.1.2.3:8083":     "http://10.1.2.3:8083/readyz",
		"localhost:8084":    "http://localhost:8084/readyz",
		"[2001:db8::1]:443": "http://[2001:db8::1]:443/readyz",
		"not an address":    "http://127.0.0.1:8080/readyz",
	} {
		if got := probeURL(addr); got != want {
			t.Errorf("probeURL(%q) = %s; want %s", addr, got, want)
		}
	}
}

// Against a running helpbot: its own /readyz, found through HTTP_ADDR as
// the container's health check finds it.
func TestProbeARunningHelpbot(t *testing.T) {
	api := slacktest.New(t)
	s := serve(t, slackVars(api, nil))
	stdout, _, err := runCLI(t, "", map[string]string{"HTTP_ADDR": s.addr}, "probe")
	if err != nil || !strings.Contains(stdout, "200 OK") {
		t.Fatalf("probe = %v, %q; want exit 0 from a ready helpbot", err, stdout)
	}
}

// The compose file health-checks helpbot with the probe, the only way in
// an image with no shell.
func TestComposeHealthcheckUsesProbe(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Healthcheck *struct {
				Test        []string
				Interval    string
				Timeout     string
				StartPeriod string `yaml:"start_period"`
			}
		}
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	hc := c.Services["helpbot"].Healthcheck
	if hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/helpbot", "probe"}) {
		t.Fatalf("helpbot healthcheck = %+v; want [CMD /helpbot probe] (exec form: the image has no shell)", hc)
	}
	if hc.Timeout == "" || hc.Interval == "" {
		t.Errorf("healthcheck %+v; want an interval and a timeout", hc)
	}
}
