package llm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// recMetrics records everything the Model reports, as text, so a test can
// look for what must never be there.
type recMetrics struct {
	mu        sync.Mutex
	calls     []string // purpose/outcome
	errs      []error
	fallbacks []string
	tokens    int64
}

func (m *recMetrics) LLMCall(purpose string, d time.Duration, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	outcome := "ok"
	if err != nil {
		outcome = "error"
		m.errs = append(m.errs, err)
	}
	m.calls = append(m.calls, purpose+"/"+outcome)
}

func (m *recMetrics) LLMFallback(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fallbacks = append(m.fallbacks, reason)
}

func (m *recMetrics) LLMTokens(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens += n
}

func (m *recMetrics) seen() (calls, fallbacks string, tokens int64, errs []error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.calls, ","), strings.Join(m.fallbacks, ","), m.tokens, append([]error(nil), m.errs...)
}

// The model's calls, tokens and fallbacks reach the metrics by purpose and
// class only: a provider's error text (which can echo the prompt) and the
// model's output never do.
func TestMetricsSeeClassesNotContent(t *testing.T) {
	const secret = "Lincoln MS room 12 projector PROVIDER-ECHO"
	tests := []struct {
		name          string
		status        int
		content       string
		wantCalls     string
		wantFallbacks string
		wantTokens    int64
	}{
		{"good answer", 200, goodProjectorAnswer, "answer/ok", "", 100},
		{"provider error echoing the prompt", 500, `{"error":{"message":"cannot process: ` + secret + `","type":"server_error"}}`, "answer/error", "http 500", 0},
		{"rate limited", 429, `{"error":{"message":"Rate limit reached for ` + secret + `","type":"rate_limit_error"}}`, "answer/error", "http 429", 0},
		{"output that fails the checks", 200, "<!channel> " + secret + " [1]", "answer/ok", "invalid", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := newFakeAI(t)
			ai.setReply(fixed(tt.status, tt.content))
			r := newRig(t, ai, nil, nil)
			m := &recMetrics{}
			r.a.SetMetrics(m)
			ask(t, r.a, projectorQ)
			calls, fallbacks, tokens, errs := m.seen()
			if calls != tt.wantCalls || fallbacks != tt.wantFallbacks || tokens != tt.wantTokens {
				t.Errorf("calls %q, fallbacks %q, tokens %d; want %q, %q, %d", calls, fallbacks, tokens, tt.wantCalls, tt.wantFallbacks, tt.wantTokens)
			}
			for _, err := range errs {
				if err != errCall {
					t.Errorf("LLMCall got error %q; want only the fixed errCall", err)
				}
			}
			if strings.Contains(calls+fallbacks, "PROVIDER-ECHO") || strings.Contains(calls+fallbacks, "projector") {
				t.Errorf("metrics carry content: %q %q", calls, fallbacks)
			}
		})
	}
}

// Briefs and the re-ranker's embeddings are counted under their purposes,
// and Deps.Metrics works as SetMetrics does.
func TestMetricsPurposes(t *testing.T) {
	ai := newFakeAI(t)
	ai.setReply(fixed(200, "Projector in room 12 shows no signal.\nTried the input; still broken."))
	m := &recMetrics{}
	r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
	r.m.metrics.set(m)
	if _, err := r.m.Summarizer().Summarize(context.Background(), conversation); err != nil {
		t.Fatal(err)
	}
	r.m.Rerank(context.Background(), "a question about beta", hitsFor())
	calls, fallbacks, tokens, _ := m.seen()
	if calls != "summary/ok,rerank/ok" || fallbacks != "" || tokens != 200 {
		t.Errorf("calls %q, fallbacks %q, tokens %d; want summary/ok,rerank/ok, none, 200", calls, fallbacks, tokens)
	}

	// Through Deps, from the start.
	m2 := &recMetrics{}
	sc := r.m.screener
	m3, err := New(Config{BaseURL: ai.srv.URL + "/v1", Model: "test-model"}, Deps{Redis: r.m.rdb, Prefix: r.m.prefix, Screener: sc, Metrics: m2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m3.Summarizer().Summarize(context.Background(), conversation); err != nil {
		t.Fatal(err)
	}
	if calls, _, _, _ := m2.seen(); calls != "summary/ok" {
		t.Errorf("Deps.Metrics saw %q; want summary/ok", calls)
	}
}
