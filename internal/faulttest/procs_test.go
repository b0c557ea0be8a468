package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

const (
	secret      = "0123456789abcdef0123456789abcdef"
	techChannel = "CTECHS01"
	contact     = "call the help line at x4357"
	// waitFor bounds every wait on a process; nothing here sleeps a fixed time.
	waitFor = 20 * time.Second
)

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "helpbot-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// helpbotBinary builds cmd/helpbot once for the package's tests.
func helpbotBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		// go test puts its own go first on PATH.
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is not on PATH: %v", err)
			return
		}
		binPath = filepath.Join(binDir, "helpbot")
		args := append([]string{"build", "-o", binPath}, buildFlags...)
		cmd := exec.Command(goTool, append(args, "github.com/helpbot/helpbot/cmd/helpbot")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// needRedisServer skips the test, saying why, when redis-server is missing.
func needRedisServer(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server); the fault tests need a real one")
	}
	return p
}

// freePort finds a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// poll calls cond until it holds or waitFor passes. Each try is paced by
// a short ticker: the process decides when it is ready, not a sleep.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitFor, what)
		}
		<-tick.C
	}
}

// redisServer is a real redis-server process on a loopback port with its
// own data folder; it can be killed and started again on the same data.
type redisServer struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// newRedis prepares a server (not started) with AOF fsynced on every
// write: a reply from Redis means the write is on disk.
func newRedis(t *testing.T) *redisServer {
	t.Helper()
	r := &redisServer{t: t, bin: needRedisServer(t), port: freePort(t), dir: t.TempDir()}
	r.args = []string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
		"--maxmemory-policy", "noeviction", "--logfile", filepath.Join(r.dir, "redis.log")}
	t.Cleanup(func() {
		if r.running() {
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) running() bool {
	if r.cmd == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// start runs the server and waits until it answers PING (after loading
// its AOF, when there is one).
func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, r.args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	r.done = make(chan struct{})
	cmd, done := r.cmd, r.done
	go func() { cmd.Wait(); close(done) }()
	c := r.client()
	defer c.Close()
	poll(r.t, "redis-server to answer PING", func() bool {
		if !r.running() {
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			r.t.Fatalf("redis-server exited:\n%s", log)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	})
}

// kill9 is a crash: no shutdown, no final fsync.
func (r *redisServer) kill9() {
	r.t.Helper()
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// stop is an orderly shutdown (SIGTERM).
func (r *redisServer) stop() {
	r.t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	<-r.done
}

func (r *redisServer) client() *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
}

// helpbot is a running `helpbot serve` process.
type helpbot struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	logs *lineLog
	done chan struct{}
	err  error // from Wait, once done is closed
}

// slackEnv is a complete Slack HTTP-mode configuration against api.
func slackEnv(apiURL, redisURL string, extra ...string) []string {
	env := []string{
		"SLACK_BOT_TOKEN=xoxb-1-test",
		"SLACK_SIGNING_SECRET=" + secret,
		"SLACK_TECH_CHANNEL=" + techChannel,
		"SLACK_TECH_USERS=UALEX001",
		"SLACK_API_URL=" + apiURL,
		"HTTP_ADDR=127.0.0.1:0",
		"REDIS_URL=" + redisURL,
		"LOG_LEVEL=info",
		"RATE_LIMIT=0",
		"INCIDENT_REPORTS=0",
		"HELPDESK_CONTACT=" + contact,
	}
	return append(env, extra...)
}

// startHelpbot runs the binary with exactly env (nothing inherited) and
// waits for its "helpbot serving" line.
func startHelpbot(t *testing.T, env []string) *helpbot {
	t.Helper()
	b := &helpbot{t: t, logs: newLineLog(), done: make(chan struct{})}
	b.cmd = exec.Command(helpbotBinary(t), "serve")
	b.cmd.Env = env
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	b.cmd.Stdout = io.Discard
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { b.logs.copyFrom(stderr); close(copied) }()
	go func() { <-copied; b.err = b.cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			b.cmd.Process.Kill()
			<-b.done
		}
		if t.Failed() {
			t.Logf("helpbot logs:\n%s", b.logs.String())
		}
	})
	line := b.logs.wait(t, b.done, `"msg":"helpbot serving"`)
	var rec struct{ Addr string }
	json.Unmarshal([]byte(line), &rec)
	if rec.Addr == "" {
		t.Fatalf("no address in %s", line)
	}
	b.addr = rec.Addr
	return b
}

// sigterm asks helpbot to stop and returns its exit code.
func (b *helpbot) sigterm() int {
	b.t.Helper()
	// The client may hold connections it dialled but never used; the
	// server counts those as busy for 5 s before giving up on them.
	http.DefaultClient.CloseIdleConnections()
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(waitFor + 10*time.Second): // SHUTDOWN_TIMEOUT is 20 s
		b.t.Fatal("helpbot did not exit after SIGTERM")
	}
	return b.cmd.ProcessState.ExitCode()
}

func (b *helpbot) get(path string) int {
	resp, err := http.Get("http://" + b.addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (b *helpbot) waitReady(want int) {
	b.t.Helper()
	poll(b.t, fmt.Sprintf("/readyz to answer %d", want), func() bool { return b.get("/readyz") == want })
}

// deliver posts a signed Events API delivery; retry > 0 adds Slack's retry
// headers. It returns the status, or 0 when the connection failed.
func deliver(addr string, body []byte, retry int) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/events", bytes.NewReader(body))
	for k, v := range slacktest.Sign(secret, time.Now(), body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// dm is a direct message from user n, as an Events API body.
func dm(n int, eventID, text string) []byte {
	return slacktest.EventBody(slacktest.Event{
		ID: eventID, Channel: dmChannel(n), ChannelType: "im", User: userID(n),
		Text: text, TS: fmt.Sprintf("1700000000.%06d", tsSeq.Add(1)),
	})
}

// tsSeq makes every message's ts unique: Slack dedupes on (channel, ts).
var tsSeq atomic.Int64

func dmChannel(n int) string { return fmt.Sprintf("D%07d", n) }
func userID(n int) string    { return fmt.Sprintf("U%07d", n) }

var filedRe = regexp.MustCompile(`I've sent this to the tech team(?: as urgent)? as ([A-Z]+-\d+)\.`)

const notFiled = "I couldn't pass this to the tech team just now"

// repliesTo is every chat.postMessage into user n's DM, as text.
func repliesTo(api *slacktest.API, n int) []string {
	var out []string
	for _, c := range api.Calls("chat.postMessage") {
		if c.Form["channel"] == dmChannel(n) {
			out = append(out, c.Text())
		}
	}
	return out
}

// outcome is what user n was told about their escalation: the case id,
// "" with filed=false when told it could not be filed, or not yet.
func outcome(api *slacktest.API, n int) (id string, told bool) {
	for _, r := range repliesTo(api, n) {
		if m := filedRe.FindStringSubmatch(r); m != nil {
			return m[1], true
		}
		if strings.Contains(r, notFiled) {
			return "", true
		}
	}
	return "", false
}

// lineLog keeps a process's output lines and wakes waiters on each one.
type lineLog struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

func (l *lineLog) copyFrom(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
}

// wait returns the first line containing s, failing the test if the
// process ends (done) or waitFor passes first.
func (l *lineLog) wait(t *testing.T, done <-chan struct{}, s string) string {
	t.Helper()
	timeout := time.NewTimer(waitFor)
	defer timeout.Stop()
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, s) {
				l.mu.Unlock()
				return line
			}
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			t.Fatalf("process ended before logging %q:\n%s", s, l.String())
		case <-timeout.C:
			t.Fatalf("no log line with %q within %s:\n%s", s, waitFor, l.String())
		}
	}
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
