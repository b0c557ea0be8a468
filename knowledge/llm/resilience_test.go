package llm

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/helpbot/helpbot/bot"
)

// Questions the test KB answers confidently, each from a different article.
var confidentQuestions = []string{
	"the projector says no signal",
	"the printer is jammed",
	"I forgot my password",
	"staff wifi is down",
	"my document camera shows a black screen",
	"what is my copier code",
}

// After BreakerFailures failures in a row the model is not called at all,
// and every question still gets the KB answer.
func TestBreakerOpensAndKBAnswersContinue(t *testing.T) {
	for _, fail := range []struct {
		name    string
		status  int
		content string
	}{
		{"server errors", 500, `{"error":{"message":"boom","type":"server_error"}}`},
		{"invalid output", 200, "<!channel> everything is broken [1]"},
	} {
		t.Run(fail.name, func(t *testing.T) {
			ai := newFakeAI(t)
			ai.setReply(fixed(fail.status, fail.content))
			r := newRig(t, ai, func(c *Config) { c.BreakerFailures = 3 }, nil)
			for i, q := range confidentQuestions {
				kb := r.kbAnswer(t, q)
				if ans := ask(t, r.a, q); ans.Text != kb.Text {
					t.Errorf("question %d: answer = %q; want the KB answer", i, ans.Text)
				}
			}
			if n := ai.chats.Load(); n != 3 {
				t.Errorf("chat calls = %d; want 3, then the breaker open", n)
			}
			// Recovered provider, open breaker: still no call until the
			// cool-down ends.
			ai.setReply(fixed(200, goodProjectorAnswer))
			ask(t, r.a, "the projector is showing no signal from my laptop")
			if n := ai.chats.Load(); n != 3 {
				t.Errorf("chat calls = %d; want none while the breaker is open", n)
			}
		})
	}
}

// A hundred teachers asking the same question at once make one model call,
// and all of them get its answer.
func TestConcurrentIdenticalQuestionsMakeOneCall(t *testing.T) {
	ai := newFakeAI(t)
	release := ai.block(t)
	ai.setReply(fixed(200, "Check https://status.district.example for a known outage [1]; IT is already working on it if one is listed [1]."))
	r := newRig(t, ai, nil, nil)
	const q = "staff wifi is down"
	r.kbAnswer(t, q) // fails fast if the model would never be asked
	answers := make(chan bot.Answer, 100)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers <- ask(t, r.a, q)
		}()
	}
	<-ai.entered // the one call is in flight
	release()
	wg.Wait()
	close(answers)
	for ans := range answers {
		if !strings.Contains(ans.Text, AINote) {
			t.Fatalf("an asker got %q; want the shared model answer", ans.Text)
		}
	}
	if n := ai.chats.Load(); n != 1 {
		t.Errorf("chat calls = %d; want 1 for 100 identical questions", n)
	}
}

// Across replicas sharing Redis, too: the replica that takes the lock calls
// the model, the other waits for its cached answer.
func TestIdenticalQuestionsAcrossReplicasMakeOneCall(t *testing.T) {
	ai := newFakeAI(t)
	release := ai.block(t)
	ai.setReply(fixed(200, "Check https://status.district.example for a known outage [1]."))
	a := newRig(t, ai, nil, nil)
	b := newRig(t, ai, nil, a)
	const q = "staff wifi is down"
	a.kbAnswer(t, q)
	var wg sync.WaitGroup
	got := make(chan bot.Answer, 100)
	start := func(r *rig, n int) {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got <- ask(t, r.a, q)
			}()
		}
	}
	start(a, 50)
	<-ai.entered // replica a holds the lock and is calling
	start(b, 50)
	release()
	wg.Wait()
	close(got)
	for ans := range got {
		if !strings.Contains(ans.Text, AINote) {
			t.Fatalf("an asker got %q; want the shared model answer", ans.Text)
		}
	}
	if n := ai.chats.Load(); n != 1 {
		t.Errorf("chat calls = %d; want 1 across two replicas", n)
	}
}

// The daily budget is shared through Redis: when it is spent, neither
// replica calls the model, and the KB keeps answering.
func TestDailyBudgetStopsCalls(t *testing.T) {
	ai := newFakeAI(t)
	ai.usage = 5000 // each call reports 5000 tokens used
	tune := func(c *Config) { c.DailyTokens = 6000 }
	a := newRig(t, ai, tune, nil)
	b := newRig(t, ai, tune, a)

	if ans := ask(t, a.a, confidentQuestions[0]); !strings.Contains(ans.Text, AINote) {
		t.Fatalf("first answer = %q; want the model's while budget remains", ans.Text)
	}
	for i, q := range confidentQuestions[1:] {
		r := []*rig{a, b}[i%2]
		kb := r.kbAnswer(t, q)
		if ans := ask(t, r.a, q); ans.Text != kb.Text {
			t.Errorf("answer to %q = %q; want the KB answer once the budget is spent", q, ans.Text)
		}
	}
	if n := ai.chats.Load(); n != 1 {
		t.Errorf("chat calls = %d; want 1 (the budget allows no second)", n)
	}
	used, err := a.m.TokensToday(context.Background())
	if err != nil || used != 5000 {
		t.Errorf("tokens counted today = %d, %v; want the 5000 the server reported", used, err)
	}
	ttl, err := a.m.rdb.TTL(context.Background(), a.m.tokensKey()).Result()
	if err != nil || ttl <= 0 {
		t.Errorf("budget key TTL = %v, %v; want one", ttl, err)
	}
}

// Every key the package writes is under the store's prefix and expires.
func TestKeysHavePrefixAndTTL(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
	r.kb = knowledgeAnswererWithRerank(r)
	r.a = r.m.Answerer(r.kb, r.lib)
	ask(t, r.a, confidentQuestions[0])
	ai.setReply(fixed(500, `{"error":{"message":"x"}}`))
	ask(t, r.a, confidentQuestions[1])

	ctx := context.Background()
	keys, err := r.m.rdb.Keys(ctx, r.m.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	families := map[string]bool{}
	for _, k := range keys {
		ttl, err := r.m.rdb.TTL(ctx, k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %s has TTL %v; every key must expire", k, ttl)
		}
		rest := strings.TrimPrefix(k, r.m.prefix)
		known := false
		for _, f := range []string{KeyAnswer, KeyLock, KeyTokens, KeyEmbedding, KeyQuestionEmbedding} {
			if strings.HasPrefix(rest, f) {
				families[f], known = true, true
			}
		}
		if !known {
			t.Errorf("key %s is not in a documented family", k)
		}
	}
	for _, f := range []string{KeyAnswer, KeyTokens, KeyEmbedding, KeyQuestionEmbedding} {
		if !families[f] {
			t.Errorf("no %s key written; the test did not exercise it", f)
		}
	}
}
