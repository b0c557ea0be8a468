// Command slackload measures the Slack edge under load: signed Events API
// deliveries at a set rate against HTTP mode, a fake Web API, real Redis.
//
// It runs the same load twice: against a floor handler (the edge with a
// fixed-reply desk: verify + dedupe + one post, no KB) and against the real
// desk (KB answers, sessions, rate limit), and reports ack and reply
// latencies, throughput, duplicates, losses and peak RSS for each, and the
// ratio of the two reply p99s. See README.md for figures and the command.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/bot/stats"
	hbslack "github.com/helpbot/helpbot/handlers/slack"
	"github.com/helpbot/helpbot/handlers/slack/slacktest"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

const secret = "0123456789abcdef0123456789abcdef"

// questions staff really ask; each gets exactly one reply from the sample
// KB (checked before the run), so a second post to a DM is a duplicate.
var questions = []string{
	"the projector isn't showing my laptop",
	"printer jammed",
	"how do I reset my password",
	"my chromebook won't charge",
	"how do I share a google doc with my class",
	"the wifi keeps dropping on my laptop",
	"how do I connect to the printer in the workroom",
	"my email is not syncing on my phone",
}

type options struct {
	rate     int
	duration time.Duration
	retries  float64
	workers  int
	queue    int
	redisURL string
	drain    time.Duration
	only     string
	warmup   time.Duration
	rounds   int
	stats    string
}

func main() {
	var o options
	flag.IntVar(&o.rate, "rate", 500, "events per second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send")
	flag.Float64Var(&o.retries, "retries", 0.2, "fraction of events Slack delivers a second time (must not answer twice)")
	flag.IntVar(&o.workers, "workers", 32, "edge workers (SLACK_WORKERS)")
	flag.IntVar(&o.queue, "queue", 4096, "edge queue (SLACK_QUEUE)")
	flag.StringVar(&o.redisURL, "redis", envOr("REDIS_URL", "redis://127.0.0.1:6379/15"), "Redis URL")
	flag.DurationVar(&o.drain, "drain", 15*time.Second, "how long to wait for late replies")
	flag.StringVar(&o.only, "only", "", "run only 'floor' or 'desk'")
	flag.IntVar(&o.rounds, "rounds", 3, "alternate floor and desk this many times; the ratio uses the median p99s")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load first (connections, caches, JIT of the KB index)")
	flag.StringVar(&o.stats, "stats", "off", "the desk's daily-figures recorder: off, sync (written in the conversation, as helpbot serve wires it) or queued (RecorderOptions.Queue, written in batches by Run)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	rdb, err := hbredis.Connect(o.redisURL)
	if err != nil {
		fail(err)
	}
	trips := &roundTrips{}
	rdb.AddHook(trips)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		fail(fmt.Errorf("redis %s: %w", o.redisURL, err))
	}
	fmt.Printf("slackload: %d events/s for %s, %.0f%% delivered twice, %d workers, GOMAXPROCS=%d, redis %s, stats %s\n",
		o.rate, o.duration, o.retries*100, o.workers, runtime.GOMAXPROCS(0), o.redisURL, o.stats)

	var floors, desks []result
	for round := range o.rounds {
		for _, kind := range []string{"floor", "desk"} {
			if o.only != "" && o.only != kind {
				continue
			}
			prefix := "bench:" + randHex() + ":"
			store := hbredis.New(rdb, hbredis.Options{Prefix: prefix})
			var desk hbslack.Desk = floorDesk{}
			stopStats := func() {}
			if kind == "desk" {
				var d *bot.Desk
				d, stopStats = realDesk(store, rdb, prefix, o.stats)
				desk = d
			}
			resetPeakRSS()
			r := run(kind, o, desk, store, trips)
			stopStats()
			r.kind = fmt.Sprintf("%s, round %d", kind, round+1)
			r.print()
			cleanup(rdb, prefix)
			if kind == "floor" {
				floors = append(floors, r)
			} else {
				desks = append(desks, r)
			}
		}
	}
	bad := false
	for _, r := range append(floors, desks...) {
		bad = bad || r.dups > 0 || r.lost > 0
	}
	if len(floors) > 0 && len(desks) > 0 {
		f, d := median(floors), median(desks)
		fmt.Printf("\nmedian over %d rounds: floor reply p99 %s, desk reply p99 %s → desk/floor = %.2f× (goal ≤ 1.5×)\n",
			o.rounds, f.Round(10*time.Microsecond), d.Round(10*time.Microsecond), d.Seconds()/f.Seconds())
	}
	if bad {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func median(rs []result) time.Duration {
	var p []time.Duration
	for _, r := range rs {
		p = append(p, r.replyP99)
	}
	slices.Sort(p)
	return p[len(p)/2]
}

// result is one run's figures.
type result struct {
	kind                   string
	sent, deliveries       int
	ackP50, ackP99         time.Duration
	replyP50, replyP99     time.Duration
	replyMax               time.Duration
	repliesPerSec          float64
	dups, lost, non200     int
	busy                   int
	peakRSSMiB, sendBehind float64
	deskP50, deskP99       time.Duration
	tripsPerEvent          float64
	cmdsPerEvent           float64
}

func (r result) print() {
	fmt.Printf("\n[%s] %d events (%d deliveries)\n", r.kind, r.sent, r.deliveries)
	fmt.Printf("  ack    p50 %-10s p99 %s\n", r.ackP50.Round(10*time.Microsecond), r.ackP99.Round(10*time.Microsecond))
	fmt.Printf("  reply  p50 %-10s p99 %-10s max %s\n", r.replyP50.Round(10*time.Microsecond), r.replyP99.Round(10*time.Microsecond), r.replyMax.Round(time.Millisecond))
	fmt.Printf("  replies/s %.0f   duplicates %d   losses %d   busy replies %d   non-200 acks %d\n", r.repliesPerSec, r.dups, r.lost, r.busy, r.non200)
	fmt.Printf("  time inside the desk (HandleMessage) p50 %s p99 %s\n", r.deskP50.Round(10*time.Microsecond), r.deskP99.Round(10*time.Microsecond))
	fmt.Printf("  Redis round trips per event %.2f (%.2f commands), edge and desk\n", r.tripsPerEvent, r.cmdsPerEvent)
	fmt.Printf("  peak RSS %.0f MiB (whole process: load generator, fake Slack and bot)\n", r.peakRSSMiB)
	if r.sendBehind > 0.05 {
		fmt.Printf("  note: the generator fell %.0f%% behind the requested rate\n", r.sendBehind*100)
	}
}

func run(kind string, o options, desk hbslack.Desk, store *hbredis.Store, trips *roundTrips) result {
	api := slacktest.NewServer()
	defer api.Close()

	warm := int(float64(o.rate) * o.warmup.Seconds())
	n := warm + int(float64(o.rate)*o.duration.Seconds())
	sentAt := make([]atomic.Int64, n)  // unix ns of the first delivery
	replyAt := make([]atomic.Int64, n) // unix ns of the first reply
	replies := make([]atomic.Int32, n)
	var busy atomic.Int32
	api.CountOnly(func(c slacktest.Call) {
		var i int
		if _, err := fmt.Sscanf(c.Form["channel"], "D%09d", &i); err != nil || i < 0 || i >= n {
			return
		}
		if replies[i].Add(1) == 1 {
			replyAt[i].Store(c.At.UnixNano())
		}
		if strings.Contains(c.Form["text"], "swamped") {
			busy.Add(1)
		}
	})

	timed := &timedDesk{Desk: desk}
	edge, err := hbslack.New(hbslack.Config{
		BotToken: "xoxb-bench", SigningSecret: secret, TechChannel: "CTECH", TechUsers: []string{"UTECH"},
		APIURL: api.URL(), Workers: o.workers, Queue: o.queue,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	}, timed, store)
	if err != nil {
		fail(err)
	}
	if d, ok := desk.(*bot.Desk); ok {
		d.SetNotifier(bot.PlatformSlack, edge.Notifier())
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := edge.Connect(ctx); err != nil {
		fail(err)
	}
	mux := http.NewServeMux()
	edge.Routes(mux)
	srv := httptest.NewServer(mux)
	done := make(chan error, 1)
	go func() { done <- edge.Run(ctx) }()

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}, Timeout: 10 * time.Second}
	var (
		ackMu    sync.Mutex
		acks     = make([]time.Duration, 0, n*2)
		non200   atomic.Int32
		inflight = make(chan struct{}, 4096)
		wg       sync.WaitGroup
		deliv    atomic.Int32
	)
	deliver := func(body []byte, measured bool) {
		defer wg.Done()
		defer func() { <-inflight }()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/events", bytes.NewReader(body))
		for k, v := range slacktest.Sign(secret, time.Now(), body) {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := client.Do(req)
		d := time.Since(t0)
		if err != nil || resp.StatusCode != http.StatusOK {
			non200.Add(1)
		}
		if resp != nil {
			resp.Body.Close()
		}
		if measured {
			deliv.Add(1)
			ackMu.Lock()
			acks = append(acks, d)
			ackMu.Unlock()
		}
	}

	interval := time.Second / time.Duration(o.rate)
	var tripsAtWarm, cmdsAtWarm int64
	start := time.Now()
	for i := range n {
		if i == warm {
			tripsAtWarm, cmdsAtWarm = trips.trips.Load(), trips.cmds.Load()
		}
		next := start.Add(time.Duration(i) * interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		body := slacktest.EventBody(slacktest.Event{
			ID: fmt.Sprintf("Ev%s%09d", kind, i), Channel: fmt.Sprintf("D%09d", i), ChannelType: "im",
			User: fmt.Sprintf("U%09d", i), Text: questions[i%len(questions)], TS: fmt.Sprintf("1600000000.%06d", i%1000000),
		})
		sentAt[i].Store(time.Now().UnixNano())
		copies := 1
		if float64(i%100) < o.retries*100 {
			copies = 2 // Slack's retry of the same event
		}
		for range copies {
			inflight <- struct{}{}
			wg.Add(1)
			go deliver(body, i >= warm)
		}
	}
	sendTime := time.Since(start) - o.warmup
	measureFrom := start.Add(o.warmup)
	wg.Wait()

	deadline := time.Now().Add(o.drain)
	for time.Now().Before(deadline) {
		missing := 0
		for i := range n {
			if replies[i].Load() == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done // finishes acknowledged work: late duplicates would show now
	srv.Close()
	measured := float64(n - warm)
	tripsPerEvent := float64(trips.trips.Load()-tripsAtWarm) / measured
	cmdsPerEvent := float64(trips.cmds.Load()-cmdsAtWarm) / measured

	r := result{kind: kind, sent: n - warm, deliveries: int(deliv.Load()), non200: int(non200.Load()), busy: int(busy.Load()),
		tripsPerEvent: tripsPerEvent, cmdsPerEvent: cmdsPerEvent}
	var lat []time.Duration
	var last int64
	for i := warm; i < n; i++ {
		switch c := replies[i].Load(); {
		case c == 0:
			r.lost++
		case c > 1:
			r.dups++
		}
		if at := replyAt[i].Load(); at > 0 {
			lat = append(lat, time.Duration(at-sentAt[i].Load()))
			last = max(last, at)
		}
	}
	r.ackP50, r.ackP99 = pct(acks, 50), pct(acks, 99)
	r.replyP50, r.replyP99 = pct(lat, 50), pct(lat, 99)
	if len(lat) > 0 {
		r.replyMax = slices.Max(lat)
		r.repliesPerSec = float64(len(lat)) / time.Duration(last-measureFrom.UnixNano()).Seconds()
	}
	r.peakRSSMiB = peakRSS()
	timed.mu.Lock()
	r.deskP50, r.deskP99 = pct(timed.took, 50), pct(timed.took, 99)
	timed.mu.Unlock()
	r.sendBehind = sendTime.Seconds()/o.duration.Seconds() - 1
	return r
}

// timedDesk records how long the core takes per message, to tell the
// edge's share of the reply latency from the desk's.
type timedDesk struct {
	hbslack.Desk
	mu   sync.Mutex
	took []time.Duration
}

func (d *timedDesk) HandleMessage(ctx context.Context, m bot.Message) []bot.Reply {
	t0 := time.Now()
	r := d.Desk.HandleMessage(ctx, m)
	took := time.Since(t0)
	d.mu.Lock()
	d.took = append(d.took, took)
	d.mu.Unlock()
	return r
}

// floorDesk answers every message with one fixed line: what is left when
// the KB, sessions and rate limit are taken away.
type floorDesk struct{}

func (floorDesk) HandleMessage(context.Context, bot.Message) []bot.Reply {
	return []bot.Reply{{Kind: bot.KindNotice, Text: "Thanks, got it."}}
}
func (floorDesk) HandleAction(context.Context, bot.Action) bot.Outcome { return bot.Outcome{} }
func (floorDesk) Queue(context.Context, string, bot.Person) ([]bot.Escalation, error) {
	return nil, nil
}
func (floorDesk) MyCases(context.Context, string, bot.Person) ([]bot.Escalation, error) {
	return nil, nil
}
func (floorDesk) Now() time.Time { return time.Now() }

// realDesk is the production desk on the sample KB, wired as helpbot serve
// wires it (the local rate-limit fallback; the stats recorder when asked);
// each question is checked to get exactly one reply. stop ends the
// recorder's queue, writing what is left.
func realDesk(store *hbredis.Store, rdb goredis.UniversalClient, prefix, withStats string) (d *bot.Desk, stop func()) {
	ix, _ := knowledge.LoadFS(kb.FS)
	sc, err := screen.New(screen.Options{})
	if err != nil {
		fail(err)
	}
	var observers []bot.Observer
	stop = func() {}
	switch withStats {
	case "off":
	case "sync", "queued":
		o := stats.RecorderOptions{Redact: func(s string) string { t, _ := sc.Redact(s); return t }}
		if withStats == "queued" {
			o.Queue = 4096
		}
		rec := stats.New(rdb, prefix, time.UTC).Recorder(o)
		observers = append(observers, rec)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { rec.Run(ctx); close(done) }()
		stop = func() {
			cancel()
			<-done
			if n := rec.Dropped(); n > 0 {
				fmt.Printf("  the stats recorder dropped %d events\n", n)
			}
		}
	default:
		fail(fmt.Errorf("-stats %q: want off, sync or queued", withStats))
	}
	d, err = bot.New(bot.Config{
		Store: hbredis.WithLocalRateLimit(store, 0), Answerer: knowledge.NewAnswerer(knowledge.NewLibrary(ix), knowledge.AnswererOptions{}), Screener: sc,
		Techs:     bot.TechsFunc(func(context.Context, string, bot.Person) (bool, error) { return false, nil }),
		Observers: observers,
		Policy:    bot.Policy{RateLimit: 20, RateWindow: time.Minute},
	})
	if err != nil {
		fail(err)
	}
	for i, q := range questions {
		m := bot.Message{Platform: bot.PlatformSlack, Conversation: fmt.Sprintf("DCHECK%d", i), From: bot.Person{ID: fmt.Sprintf("UCHECK%d", i)}, Text: q, Direct: true}
		if got := d.HandleMessage(context.Background(), m); len(got) != 1 {
			fail(fmt.Errorf("question %q gets %d replies; the duplicate count needs exactly one", q, len(got)))
		}
	}
	return d, stop
}

// roundTrips counts what the process sends to Redis: each command outside
// a pipeline, and each pipeline or MULTI/EXEC, is one round trip.
type roundTrips struct{ trips, cmds atomic.Int64 }

func (rt *roundTrips) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (rt *roundTrips) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		rt.trips.Add(1)
		rt.cmds.Add(1)
		return next(ctx, cmd)
	}
}
func (rt *roundTrips) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		rt.trips.Add(1)
		rt.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// resetPeakRSS restarts the kernel's high-water mark, so each run reports
// its own peak (Linux; harmless elsewhere).
func resetPeakRSS() {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// cleanup removes the run's keys (they all carry TTLs anyway).
func cleanup(rdb goredis.UniversalClient, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "slackload:", err)
	os.Exit(2)
}
