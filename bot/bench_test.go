package bot_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/bot/stats"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

// benchQuestions are bench/slackload's: each gets one reply from the
// sample KB (a confident answer, except the last: not sure).
var benchQuestions = []string{
	"the projector isn't showing my laptop",
	"printer jammed",
	"how do I reset my password",
	"my chromebook won't charge",
	"how do I share a google doc with my class",
	"the wifi keeps dropping on my laptop",
	"how do I connect to the printer in the workroom",
	"my email is not syncing on my phone",
}

// BenchmarkHandleMessage is one message through the desk as production
// wires it (sample KB, screen, rate limit with the local fallback, session
// load and save), on the embedded Redis and, when HELPBOT_TEST_REDIS_URL
// is set, on a real one. "new" is a first message in a fresh conversation
// (slackload's case); "followup" carries a session of earlier turns.
// "+stats" adds the daily-figures recorder as an observer, writing in the
// conversation; "+statsq" the same with its queue, written in batches by
// Run. Reported besides time: Redis round trips and commands per message
// (the queue's batched writes included).
func BenchmarkHandleMessage(b *testing.B) {
	backends := []string{"embedded"}
	if os.Getenv(redistest.EnvURL) != "" {
		backends = append(backends, "redis")
	}
	for _, backend := range backends {
		for _, obs := range []string{"", "+stats", "+statsq"} {
			for _, conv := range []string{"new", "followup"} {
				b.Run(backend+obs+"/"+conv, func(b *testing.B) {
					if backend == "embedded" {
						b.Setenv(redistest.EnvURL, "")
						os.Unsetenv(redistest.EnvURL)
					}
					benchDesk(b, obs, conv == "followup")
				})
			}
		}
	}
}

func benchDesk(b *testing.B, obs string, followup bool) {
	rdb, prefix := redistest.Client(b)
	store := hbredis.New(rdb, hbredis.Options{Prefix: prefix})
	ix, _ := knowledge.LoadFS(kb.FS)
	sc, err := screen.New(screen.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var observers []bot.Observer
	if obs != "" {
		o := stats.RecorderOptions{Redact: func(s string) string { t, _ := sc.Redact(s); return t }}
		if obs == "+statsq" {
			o.Queue = 4096
		}
		rec := stats.New(rdb, prefix, time.UTC).Recorder(o)
		observers = append(observers, rec)
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- rec.Run(ctx) }()
		b.Cleanup(func() {
			stop()
			<-done
			if n := rec.Dropped(); n > 0 {
				b.Errorf("the stats recorder dropped %d events", n)
			}
		})
	}
	d, err := bot.New(bot.Config{
		Store: hbredis.WithLocalRateLimit(store, 0), Screener: sc,
		Answerer:  knowledge.NewAnswerer(knowledge.NewLibrary(ix), knowledge.AnswererOptions{}),
		Techs:     bot.TechsFunc(func(context.Context, string, bot.Person) (bool, error) { return false, nil }),
		Observers: observers,
		Policy:    bot.Policy{RateLimit: 20, RateWindow: time.Minute},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	message := func(i int) bot.Message {
		conv, q := i, benchQuestions[i%len(benchQuestions)]
		if followup {
			// The last question is not covered by the sample KB; twice in
			// one conversation would file a case, which is not this path.
			conv, q = i%256, benchQuestions[i%(len(benchQuestions)-1)]
		}
		return bot.Message{Platform: bot.PlatformSlack, Conversation: fmt.Sprintf("D%09d", conv),
			From: bot.Person{ID: fmt.Sprintf("U%09d", i)}, Text: q, Direct: true}
	}
	warm := 0
	if followup {
		for ; warm < 256*6; warm++ { // six turns each before measuring
			d.HandleMessage(ctx, message(warm))
		}
	} else {
		for ; warm < 64; warm++ {
			d.HandleMessage(ctx, message(warm))
		}
	}
	rt := redistest.CountRoundTrips(rdb)
	b.ReportAllocs()
	b.ResetTimer()
	i := warm
	for b.Loop() {
		if r := d.HandleMessage(ctx, message(i)); len(r) != 1 || (followup && r[0].Kind != bot.KindAnswer) {
			b.Fatalf("message %d: replies %+v; want one (an answer in a follow-up)", i, r)
		}
		i++
	}
	n := float64(i - warm)
	b.ReportMetric(float64(rt.Trips())/n, "trips/op")
	b.ReportMetric(float64(rt.Commands())/n, "cmds/op")
}
