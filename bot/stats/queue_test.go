package stats

import (
	"context"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

// Every event is one round trip: one MULTI/EXEC, scripts included.
func TestRecordOneRoundTripPerEvent(t *testing.T) {
	f := newFixture(t)
	// A fresh connection says hello first; that is not the event's cost.
	if err := f.rec.Record(context.Background(), bot.Event{Type: bot.EventAsked, At: at(6, 0)}); err != nil {
		t.Fatal(err)
	}
	rt := redistest.CountRoundTrips(f.rdb)
	for _, e := range seedEvents() {
		rt.Reset()
		if err := f.rec.Record(context.Background(), e); err != nil {
			t.Fatalf("record %s: %v", e.Type, err)
		}
		if got := rt.Trips(); got != 1 {
			t.Errorf("%s took %d round trips; want 1", e.Type, got)
		}
	}
}

// queued is a recorder with a queue whose Run is running; stop ends Run
// and waits for it.
func queued(t *testing.T, f *fixture, size int) (rec *Recorder, stop func()) {
	t.Helper()
	rec = f.store.Recorder(RecorderOptions{Redact: f.rec.redact, Queue: size, Clock: func() time.Time { return at(18, 0) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	running := make(chan struct{})
	go func() {
		close(running)
		done <- rec.Run(ctx)
	}()
	<-running
	// Run marks itself running before it takes events; until then Observe
	// writes directly, which is also correct, so no wait is needed.
	var once sync.Once
	return rec, func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v; want nil", err)
			}
		})
	}
}

// A day observed through the queue gives exactly the figures of the same
// day written event by event.
func TestQueuedRecorderSameFigures(t *testing.T) {
	direct, viaQueue := newFixture(t), newFixture(t)
	seedDay(t, direct)
	rec, stop := queued(t, viaQueue, 1024)
	for _, e := range seedEvents() {
		rec.Observe(context.Background(), e)
	}
	stop()
	if rec.Dropped() != 0 {
		t.Fatalf("dropped %d events with room in the queue", rec.Dropped())
	}
	for _, day := range [][]string{{"2026-11-23"}, {"2026-11-24"}} {
		want, err := direct.store.Report(context.Background(), day)
		if err != nil {
			t.Fatal(err)
		}
		got, err := viaQueue.store.Report(context.Background(), day)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s through the queue:\n%+v\nwritten directly:\n%+v", day[0], got, want)
		}
	}
}

// Events observed while Run stops, and after, are all recorded: the ones
// queued are written on the way out, later ones directly.
func TestQueuedRecorderLosesNothingOnStop(t *testing.T) {
	f := newFixture(t)
	rec, stop := queued(t, f, 4096)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if w == 0 && i == each/2 {
					stop()
				}
				rec.Observe(context.Background(), bot.Event{Type: bot.EventAsked, At: at(9, 0)})
			}
		})
	}
	wg.Wait()
	stop()
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Asked != writers*each || rec.Dropped() != 0 {
		t.Errorf("asked %d, dropped %d; want %d and 0", r.Asked, rec.Dropped(), writers*each)
	}
}

// blockFirst holds the first pipeline until release is closed.
type blockFirst struct {
	entered, release chan struct{}
	once             sync.Once
}

func (h *blockFirst) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}
func (h *blockFirst) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (h *blockFirst) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.once.Do(func() {
			close(h.entered)
			<-h.release
		})
		return next(ctx, cmds)
	}
}

// A full queue drops events, and says so: Dropped, and the day's
// "unrecorded" figure once the recorder writes again.
func TestQueuedRecorderCountsDrops(t *testing.T) {
	f := newFixture(t)
	h := &blockFirst{entered: make(chan struct{}), release: make(chan struct{})}
	f.rdb.AddHook(h)
	rec, stop := queued(t, f, 1)
	ask := bot.Event{Type: bot.EventAsked, At: at(9, 0)}
	rec.Observe(context.Background(), ask) // taken by Run, which blocks writing it
	<-h.entered
	rec.Observe(context.Background(), ask) // waits in the queue
	rec.Observe(context.Background(), ask) // no room: dropped
	if got := rec.Dropped(); got != 1 {
		t.Errorf("Dropped = %d; want 1", got)
	}
	close(h.release)
	stop()
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Asked != 2 || r.Unrecorded != 1 {
		t.Errorf("asked %d, unrecorded %d; want 2 and 1", r.Asked, r.Unrecorded)
	}
	if table := r.Table(); !strings.Contains(table, "1 desk events were not recorded") {
		t.Errorf("table does not say figures are short:\n%s", table)
	}
}

// Forgetting a tech first writes what is queued: an earlier verdict must
// not bring the name back afterwards.
func TestQueuedRecorderForgetWritesQueuedFirst(t *testing.T) {
	f := newFixture(t)
	h := &blockFirst{entered: make(chan struct{}), release: make(chan struct{})}
	f.rdb.AddHook(h)
	rec, stop := queued(t, f, 16)
	defer stop()
	rec.Observe(context.Background(), bot.Event{Type: bot.EventAsked, At: at(9, 0)})
	<-h.entered
	a := escCase("IT-1001", bot.PriorityNormal, bot.ReasonRequested, at(8, 0))
	rec.Observe(context.Background(), bot.Event{Type: bot.EventSatisfaction, At: at(9, 5),
		Case: resolved(a, sam, at(8, 4), at(9, 0)), Verdict: bot.VerdictFixed})
	forgot := make(chan error, 1)
	go func() {
		_, err := rec.ForgetUser(context.Background(), bot.PlatformSlack, sam.ID)
		forgot <- err
	}()
	close(h.release)
	if err := <-forgot; err != nil {
		t.Fatal(err)
	}
	r, err := f.store.Report(context.Background(), []string{"2026-11-23"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Satisfaction.Techs) != 0 || r.Satisfaction.Fixed != 1 {
		t.Errorf("after forgetting Sam: techs %+v, fixed %d; want none listed and the total kept", r.Satisfaction.Techs, r.Satisfaction.Fixed)
	}
}
