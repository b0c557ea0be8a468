package llm

import (
	"context"
	"testing"

	"github.com/helpbot/helpbot/knowledge"
)

// hitsFor builds lexical hits over two made-up articles: the lexical order
// prefers alpha, the "embedding" of the question matches beta.
func hitsFor() []knowledge.Hit {
	a := &knowledge.Article{Path: "a.md", Title: "Alpha article", Version: "1", Sections: []knowledge.Section{{Heading: "Alpha", Level: 1, Text: "alpha steps"}}}
	b := &knowledge.Article{Path: "b.md", Title: "Beta article", Version: "1", Sections: []knowledge.Section{{Heading: "Beta", Level: 1, Text: "beta steps"}}}
	return []knowledge.Hit{
		{Article: a, Section: &a.Sections[0], Score: 10, Confidence: 0.8, Matched: 1},
		{Article: b, Section: &b.Sections[0], Score: 9.5, Confidence: 0.7, Matched: 1},
	}
}

func TestRerank(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
	ctx := context.Background()

	got := r.m.Rerank(ctx, "a question about beta", hitsFor())
	if got[0].Article.Path != "b.md" || got[1].Article.Path != "a.md" {
		t.Fatalf("order = %s, %s; want the dense match first", got[0].Article.Path, got[1].Article.Path)
	}
	if got[0].Confidence != 0.7 || got[1].Confidence > got[0].Confidence {
		t.Errorf("confidences = %v, %v; want the promoted hit's own and none above an earlier one", got[0].Confidence, got[1].Confidence)
	}
	if n := ai.embeds.Load(); n != 1 {
		t.Errorf("embedding calls = %d; want one batch", n)
	}
	// Sections are embedded once: the same question again, or another
	// question over the same sections, needs no section embeddings.
	r.m.Rerank(ctx, "a question about beta", hitsFor())
	if n := ai.embeds.Load(); n != 1 {
		t.Errorf("embedding calls = %d after a repeat; want still 1 (cached)", n)
	}
	r.m.Rerank(ctx, "another question about alpha", hitsFor())
	if n := ai.embeds.Load(); n != 2 {
		t.Errorf("embedding calls = %d; want 2 (just the new question)", n)
	}
	if got := ai.lastEmbedInputs(t); len(got) != 1 {
		t.Errorf("embedded %d texts for a new question over known sections; want 1", len(got))
	}
	// A strong lexical lead is not overturned by a weight of 0.3.
	hits := hitsFor()
	hits[1].Score = 3
	if got := r.m.Rerank(ctx, "a question about beta", hits); got[0].Article.Path != "a.md" {
		t.Errorf("a clear lexical winner was overturned")
	}
}

func TestRerankFailsSoft(t *testing.T) {
	ai := newFakeAI(t)
	ai.embed = func(string) []float32 { return nil } // the server returns empty vectors
	r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
	got := r.m.Rerank(context.Background(), "a question about beta", hitsFor())
	if got[0].Article.Path != "a.md" {
		t.Errorf("failed embeddings changed the order")
	}
	// Not configured: nothing is sent, the order stands.
	ai2 := newFakeAI(t)
	r2 := newRig(t, ai2, nil, nil)
	if got := r2.m.Rerank(context.Background(), "a question about beta", hitsFor()); got[0].Article.Path != "a.md" || ai2.embeds.Load() != 0 {
		t.Errorf("re-ranker acted without an embedding model")
	}
}

// With the hook wired into the KB answerer, answers still work and use the
// cache; without OPENAI_EMBEDDING_MODEL the hook is a no-op.
func TestRerankHookInKBAnswerer(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, func(c *Config) { c.EmbeddingModel = "test-embed" }, nil)
	kb := knowledgeAnswererWithRerank(r)
	ans := ask(t, kb, "printer paper jam and my copier badge release code")
	if !ans.Confident || ai.embeds.Load() == 0 {
		t.Errorf("answer = %+v, embeddings = %d; want a confident re-ranked answer", ans, ai.embeds.Load())
	}
}
