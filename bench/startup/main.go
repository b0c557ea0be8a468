// Command startup measures how fast `helpbot serve` becomes ready and how
// much memory it holds, with the built-in sample KB and with a generated
// KB of -articles articles.
//
// Each run starts the binary (Slack over HTTP against a local fake Slack,
// a real Redis), times it to the "helpbot serving" log line and to the
// first 200 from /readyz, then asks -questions questions through signed
// Events API deliveries, waits for every answer, and reads the process's
// resident memory (VmRSS) and its peak (VmHWM) from /proc. Linux only.
//
//	go build -o /tmp/helpbot ./cmd/helpbot
//	go run ./bench/startup -bin /tmp/helpbot -runs 20 -articles 1000
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

const secret = "0123456789abcdef0123456789abcdef"

func main() {
	bin := flag.String("bin", "", "helpbot binary to measure (go build -o … ./cmd/helpbot)")
	runs := flag.Int("runs", 20, "starts per KB")
	articles := flag.Int("articles", 1000, "articles in the generated KB")
	questions := flag.Int("questions", 200, "questions asked before reading memory")
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://127.0.0.1:6379/15"), "Redis URL")
	flag.Parse()
	if *bin == "" {
		fail(fmt.Errorf("-bin is required"))
	}
	rdb, err := goredis.ParseURL(*redisURL)
	if err != nil {
		fail(err)
	}
	client := goredis.NewClient(rdb)
	if err := client.Ping(context.Background()).Err(); err != nil {
		fail(fmt.Errorf("redis %s: %w", *redisURL, err))
	}
	defer client.Close()

	dir, err := os.MkdirTemp("", "helpbot-startup-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	genDir := filepath.Join(dir, "kb")
	bytesWritten, err := generateKB(genDir, *articles)
	if err != nil {
		fail(err)
	}
	api := slacktest.NewServer()
	api.CountOnly(nil)
	defer api.Close()

	fmt.Printf("startup: %s, %d runs per KB, %d questions before memory is read, CPUs=%d, redis %s\n",
		*bin, *runs, *questions, runtimeProcs(), *redisURL)
	for _, kb := range []struct{ name, dir string }{
		{"built-in sample KB (50 articles)", ""},
		{fmt.Sprintf("generated KB (%d articles, %.1f MiB)", *articles, float64(bytesWritten)/(1<<20)), genDir},
	} {
		var serving, ready []time.Duration
		var rss, hwm []float64
		for range *runs {
			r, err := measure(*bin, api, *redisURL, kb.dir, *questions)
			if err != nil {
				fail(err)
			}
			serving = append(serving, r.serving)
			ready = append(ready, r.ready)
			rss = append(rss, r.rssMiB)
			hwm = append(hwm, r.hwmMiB)
			cleanup(client, r.prefix)
		}
		fmt.Printf("\n%s\n", kb.name)
		fmt.Printf("  start → \"helpbot serving\": median %s  p90 %s  min %s  max %s\n", med(serving), p90(serving), round(slices.Min(serving)), round(slices.Max(serving)))
		fmt.Printf("  start → /readyz 200:        median %s  p90 %s  min %s  max %s\n", med(ready), p90(ready), round(slices.Min(ready)), round(slices.Max(ready)))
		fmt.Printf("  RSS after %d answers:       median %.1f MiB  max %.1f MiB (peak VmHWM median %.1f MiB)\n", *questions, medF(rss), slices.Max(rss), medF(hwm))
	}
}

type result struct {
	serving, ready time.Duration
	rssMiB, hwmMiB float64
	prefix         string
}

func measure(bin string, api *slacktest.API, redisURL, kbDir string, questions int) (result, error) {
	r := result{prefix: "bench:startup:" + randHex() + ":"}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{
		"SLACK_BOT_TOKEN=xoxb-1-bench", "SLACK_SIGNING_SECRET=" + secret,
		"SLACK_TECH_CHANNEL=CTECHS01", "SLACK_TECH_USERS=UALEX001", "SLACK_API_URL=" + api.URL(),
		"HTTP_ADDR=127.0.0.1:0", "REDIS_URL=" + redisURL, "REDIS_PREFIX=" + r.prefix,
		"LOG_LEVEL=info", "RATE_LIMIT=0", "KB_DIR=" + kbDir,
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if !sent && json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "helpbot serving" {
				addr <- rec.Addr
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var a string
	select {
	case got, ok := <-addr:
		if !ok {
			return r, fmt.Errorf("helpbot exited before serving")
		}
		a = got
		r.serving = time.Since(start)
	case <-time.After(60 * time.Second):
		return r, fmt.Errorf("helpbot did not serve within 60s")
	}
	for {
		resp, err := http.Get("http://" + a + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				r.ready = time.Since(start)
				break
			}
		}
		if time.Since(start) > 60*time.Second {
			return r, fmt.Errorf("/readyz never answered 200")
		}
		time.Sleep(time.Millisecond)
	}

	before := api.Count("chat.postMessage")
	qs := []string{"the projector isn't showing my laptop", "printer jammed", "how do I reset my password",
		"my chromebook won't charge", "the wifi keeps dropping on my laptop", "how do I share a google doc with my class"}
	for i := range questions {
		n := int(time.Now().UnixNano()%1e9) + i
		body := slacktest.EventBody(slacktest.Event{
			ID: fmt.Sprintf("Ev%s%d", r.prefix, i), Channel: fmt.Sprintf("D%08d", i), ChannelType: "im",
			User: fmt.Sprintf("U%08d", i), Text: qs[i%len(qs)], TS: fmt.Sprintf("1700000000.%09d", n),
		})
		req, _ := http.NewRequest(http.MethodPost, "http://"+a+"/slack/events", bytes.NewReader(body))
		for k, v := range slacktest.Sign(secret, time.Now(), body) {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return r, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	deadline := time.Now().Add(60 * time.Second)
	for api.Count("chat.postMessage")-before < questions {
		if time.Now().After(deadline) {
			return r, fmt.Errorf("only %d of %d answers", api.Count("chat.postMessage")-before, questions)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.rssMiB, r.hwmMiB, err = memory(cmd.Process.Pid)
	return r, err
}

// memory reads VmRSS and VmHWM (peak RSS) in MiB from /proc.
func memory(pid int) (rss, hwm float64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

// generateKB writes n articles in 20 topic folders, each like a real one:
// front matter (title, keywords, questions), an intro and three sections
// of numbered steps, about 1.5 KB. It returns the bytes written.
func generateKB(dir string, n int) (int, error) {
	words := strings.Fields(`projector laptop printer copier badge chromebook charger wifi network password account
		email calendar google classroom drive doc sheet slides form canvas teams zoom camera microphone speaker
		smartboard panel promethean hdmi adapter dongle cable screen display monitor keyboard mouse battery
		login portal reset locked unlock sync share folder permission student teacher office library gym
		cafeteria bus attendance gradebook report testing proctor secure browser kiosk update install app
		software license scanner scan paper toner jam tray queue driver bluetooth audio volume mute video
		stream record upload download file backup restore phone voicemail extension intercom bell clock`)
	rng := mrand.New(mrand.NewPCG(1, 2))
	pick := func(k int) []string {
		out := make([]string, k)
		for i := range out {
			out[i] = words[rng.IntN(len(words))]
		}
		return out
	}
	total := 0
	for i := range n {
		topic := fmt.Sprintf("topic-%02d", i%20)
		if err := os.MkdirAll(filepath.Join(dir, topic), 0o755); err != nil {
			return 0, err
		}
		title := strings.Join(pick(4), " ")
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Fix the %s (%d)\nkeywords: [%s]\nquestions:\n", title, i, strings.Join(pick(8), ", "))
		for range 3 {
			fmt.Fprintf(&b, "  - how do I fix my %s\n", strings.Join(pick(3), " "))
		}
		fmt.Fprintf(&b, "audience: staff\n---\n# Fix the %s (%d)\n\n%s.\n", title, i, strings.Join(pick(20), " "))
		for s := range 3 {
			fmt.Fprintf(&b, "\n## %s %d\n\n", strings.Join(pick(3), " "), s+1)
			for st := range 4 {
				fmt.Fprintf(&b, "%d. %s.\n", st+1, strings.Join(pick(12), " "))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, topic, fmt.Sprintf("article-%04d.md", i)), []byte(b.String()), 0o644); err != nil {
			return 0, err
		}
		total += b.Len()
	}
	return total, nil
}

func cleanup(c *goredis.Client, prefix string) {
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		c.Del(ctx, keys...)
	}
}

func med(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(100 * time.Microsecond)
}

func p90(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(math.Ceil(0.9*float64(len(s))))-1].Round(100 * time.Microsecond)
}

func medF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func runtimeProcs() int { return runtime.NumCPU() }

func randHex() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "startup:", err)
	os.Exit(1)
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
