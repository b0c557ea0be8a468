package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// urlWatch is stdout for a running playground: it keeps everything written
// and hands over the URL the playground prints, once.
type urlWatch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
	url  chan string
}

var openURLRe = regexp.MustCompile(`open (http://\S+/) in your browser`)

func (w *urlWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := openURLRe.FindSubmatch(w.buf.Bytes()); m != nil {
		w.once.Do(func() { w.url <- string(m[1]) })
	}
	return len(p), nil
}

func (w *urlWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startPlayground runs the program in the background and returns the URL
// it printed and a stop function returning run's error.
func startPlayground(t *testing.T, vars map[string]string, args ...string) (string, *urlWatch, func() error) {
	t.Helper()
	if vars == nil {
		vars = map[string]string{}
	}
	if _, ok := vars["PLAYGROUND_ADDR"]; !ok {
		vars["PLAYGROUND_ADDR"] = "127.0.0.1:0"
	}
	out := &urlWatch{url: make(chan string, 1)}
	var errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	c := &cli{stdin: strings.NewReader(""), stdout: out, stderr: &syncWriter{w: &errb}, getenv: env(t, vars)}
	go func() { done <- c.run(ctx, append([]string{"helpbot"}, args...)) }()
	var (
		stopOnce sync.Once
		stopErr  error
	)
	stop := func() error {
		stopOnce.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				t.Error("playground did not stop within 30s of cancel")
			}
		})
		return stopErr
	}
	select {
	case u := <-out.url:
		t.Cleanup(func() { _ = stop() })
		return u, out, stop
	case err := <-done:
		cancel()
		t.Fatalf("playground exited before serving: %v\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("playground printed no URL within 30s")
	}
	return "", nil, nil
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPlaygroundServesThePage(t *testing.T) {
	base, _, stop := startPlayground(t, nil, "playground")
	if code, body := get(t, base); code != 200 || !strings.Contains(body, "helpbot playground") {
		t.Fatalf("GET / = %d; want the playground page", code)
	}
	for _, p := range []string{"healthz", "readyz"} {
		if code, _ := get(t, base+p); code != 200 {
			t.Errorf("GET /%s = %d; want 200", p, code)
		}
	}
	resp, err := http.Post(base+"api/messages", "application/json", strings.NewReader(`{"as":"pat.rivera","text":"printer jammed"}`))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Entries []struct {
			Kind    string
			Sources []struct{ Title string }
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil || len(res.Entries) != 2 || res.Entries[1].Kind != "answer" || len(res.Entries[1].Sources) == 0 {
		t.Fatalf("ask = %d %+v %v; want a cited answer from the built-in KB", resp.StatusCode, res, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop = %v; want a clean exit", err)
	}
}

// A browser still listening for updates must not hold the shutdown up.
func TestPlaygroundStopsWithAnOpenStream(t *testing.T) {
	base, _, stop := startPlayground(t, nil, "playground")
	resp, err := http.Get(base + "api/events?staff=pat.rivera")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "event: snapshot\n" {
		t.Fatalf("stream starts %q, %v; want the snapshot", line, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop = %v; want a clean exit", err)
	}
}

func TestPlaygroundAddressChecks(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"every interface without consent", map[string]string{"PLAYGROUND_ADDR": "0.0.0.0:8090"}, nil, "PLAYGROUND_ALLOW_REMOTE"},
		{"port only means every interface", map[string]string{"PLAYGROUND_ADDR": ":8090"}, nil, "PLAYGROUND_ADDR"},
		{"not host:port", map[string]string{"PLAYGROUND_ADDR": "localhost"}, nil, "PLAYGROUND_ADDR"},
		{"allow remote is a boolean", map[string]string{"PLAYGROUND_ALLOW_REMOTE": "sure"}, nil, "PLAYGROUND_ALLOW_REMOTE"},
		{"no arguments", nil, []string{"extra"}, "playground takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", tt.vars, append([]string{"playground"}, tt.args...)...)
			if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("playground = %v (exit %d); want exit 2 naming %s", err, exitCodeOf(err), tt.want)
			}
		})
	}
}

func TestPlaygroundRemoteWhenAllowed(t *testing.T) {
	base, out, _ := startPlayground(t, map[string]string{"PLAYGROUND_ADDR": "0.0.0.0:0", "PLAYGROUND_ALLOW_REMOTE": "true"}, "playground")
	if !strings.HasPrefix(base, "http://localhost:") || !strings.Contains(out.String(), "there is no login") {
		t.Fatalf("stdout = %q; want a localhost URL and a warning", out.String())
	}
	if code, _ := get(t, base+"api/people"); code != 200 {
		t.Fatalf("GET people = %d", code)
	}
}

// The playground has the same /metrics as serve, fed by the same desk
// observer: a question asked in the browser moves helpbot_desk_events_total.
func TestPlaygroundServesMetrics(t *testing.T) {
	base, _, stop := startPlayground(t, nil, "playground")
	series := `helpbot_desk_events_total{event="asked",platform="web"}`
	before := scrape(t, base+"metrics")
	resp, err := http.Post(base+"api/messages", "application/json", strings.NewReader(`{"as":"pat.rivera","text":"printer jammed"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ask = %d", resp.StatusCode)
	}
	after := scrape(t, base+"metrics")
	if after[series] < before[series]+1 {
		t.Errorf("%s went from %v to %v; want the question counted", series, before[series], after[series])
	}
	if !hasPrefix(after, "helpbot_build_info{") {
		t.Error("no helpbot_build_info on the playground's /metrics")
	}
	if err := stop(); err != nil {
		t.Fatalf("stop = %v; want a clean exit", err)
	}
}

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
