package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/knowledge"
)

// fakeAI is an OpenAI-compatible server speaking the real wire format for
// chat completions and embeddings (and Azure's deployment paths). It
// records every request body, so tests can assert what left the bot.
type fakeAI struct {
	srv *httptest.Server

	mu     sync.Mutex
	bodies []string
	paths  []string
	heads  []http.Header
	// reply answers a chat request: HTTP status and the assistant content
	// (or the raw error body for non-200s). Default: a good cited answer.
	reply func(req chatRequest) (int, string)
	// embed maps one input to a vector. Default: embedConcepts.
	embed func(string) []float32
	// usage is the total_tokens reported per call.
	usage int

	chats, embeds atomic.Int32
	// gate, when set, holds every chat request until it is closed;
	// entered receives one value per chat request that arrives.
	gate    chan struct{}
	entered chan struct{}
}

type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

func (r chatRequest) user() string {
	for _, m := range r.Messages {
		if m.Role == "user" {
			return m.Content
		}
	}
	return ""
}

func newFakeAI(t *testing.T) *fakeAI {
	t.Helper()
	f := &fakeAI{usage: 100, entered: make(chan struct{}, 1000)}
	f.reply = func(chatRequest) (int, string) { return 200, goodProjectorAnswer }
	f.embed = embedConcepts
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// block makes chat requests wait until the returned release is called (it
// is also called at cleanup, so the server can shut down).
func (f *fakeAI) block(t *testing.T) (release func()) {
	f.gate = make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(f.gate) }) }
	t.Cleanup(release)
	return release
}

func (f *fakeAI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.paths = append(f.paths, r.URL.String())
	f.heads = append(f.heads, r.Header.Clone())
	reply, embed, usage, gate := f.reply, f.embed, f.usage, f.gate
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		f.chats.Add(1)
		f.entered <- struct{}{}
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		var req chatRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, 400)
			return
		}
		status, content := reply(req)
		if status != 200 {
			w.WriteHeader(status)
			io.WriteString(w, content)
			return
		}
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":%q,`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":%d,"completion_tokens":0,"total_tokens":%d}}`,
			req.Model, jsonString(content), usage, usage)
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		f.embeds.Add(1)
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, 400)
			return
		}
		type item struct {
			Object    string    `json:"object"`
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		}
		out := struct {
			Object string         `json:"object"`
			Data   []item         `json:"data"`
			Model  string         `json:"model"`
			Usage  map[string]int `json:"usage"`
		}{Object: "list", Model: req.Model, Usage: map[string]int{"prompt_tokens": usage, "total_tokens": usage}}
		for i, in := range req.Input {
			out.Data = append(out.Data, item{"embedding", embed(in), i})
		}
		json.NewEncoder(w).Encode(out)
	default:
		http.NotFound(w, r)
	}
}

// jsonString encodes s as a JSON string, except that bytes that are not
// UTF-8 are written raw, as a broken server would.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	if strings.Contains(s, "\xff") {
		return `"` + strings.ReplaceAll(strings.Trim(string(b), `"`), `\ufffd`, "\xff") + `"`
	}
	return string(b)
}

func (f *fakeAI) allBodies() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.bodies, "\n")
}

func (f *fakeAI) lastChat(t *testing.T) chatRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.bodies) - 1; i >= 0; i-- {
		if strings.HasSuffix(strings.SplitN(f.paths[i], "?", 2)[0], "/chat/completions") {
			var req chatRequest
			if err := json.Unmarshal([]byte(f.bodies[i]), &req); err != nil {
				t.Fatal(err)
			}
			return req
		}
	}
	t.Fatal("no chat request reached the server")
	return chatRequest{}
}

func (f *fakeAI) setReply(fn func(chatRequest) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = fn
}

func fixed(status int, content string) func(chatRequest) (int, string) {
	return func(chatRequest) (int, string) { return status, content }
}

// embedConcepts is a tiny deterministic "embedding": one dimension per
// concept word, so tests can say which texts are alike.
func embedConcepts(s string) []float32 {
	s = strings.ToLower(s)
	v := make([]float32, 4)
	for i, w := range []string{"alpha", "beta", "gamma", "delta"} {
		if strings.Contains(s, w) {
			v[i] = 1
		}
	}
	if v[0]+v[1]+v[2]+v[3] == 0 {
		v[3] = 0.1
	}
	return v
}

const goodProjectorAnswer = "1. Press Input on the projector remote and choose the HDMI input your laptop cable is plugged into [1].\n" +
	"2. If there is still no picture, unplug the HDMI cable at both ends and plug it back in firmly [1]."

// rig is one replica: a Model over the fake server, the test KB and Redis.
type rig struct {
	m   *Model
	a   *Answerer
	kb  *knowledge.Answerer
	lib *knowledge.Library
	ai  *fakeAI
}

// newRig builds a replica on its own Redis prefix; share a prefix (and a
// client) by passing deps from another rig's model.
func newRig(t *testing.T, ai *fakeAI, tune func(*Config), share *rig) *rig {
	t.Helper()
	cfg := Config{BaseURL: ai.srv.URL + "/v1", Model: "test-model", Timeout: 5 * time.Second}
	if tune != nil {
		tune(&cfg)
	}
	sc, err := screen.New(screen.Options{StudentIDPatterns: []string{`\bS\d{7}\b`}})
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Screener: sc, Logger: slog.New(slog.DiscardHandler)}
	if share != nil {
		deps.Redis, deps.Prefix = share.m.rdb, share.m.prefix
	} else {
		deps.Redis, deps.Prefix = redistest.Client(t)
	}
	m, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	lib := testLibrary(t)
	r := &rig{m: m, lib: lib, ai: ai}
	r.kb = knowledge.NewAnswerer(lib, knowledge.AnswererOptions{})
	r.a = m.Answerer(r.kb, lib)
	return r
}

func testLibrary(t *testing.T) *knowledge.Library {
	t.Helper()
	ix, problems := knowledge.LoadDir("testdata/kb")
	if len(problems) > 0 {
		t.Fatalf("test KB: %v", problems)
	}
	return knowledge.NewLibrary(ix)
}

func ask(t *testing.T, a bot.Answerer, text string) bot.Answer {
	t.Helper()
	q := bot.Question{Text: text, Audience: bot.AudienceStaff,
		History: []bot.Turn{{Who: "requester", Text: text}}}
	ans, err := a.Answer(context.Background(), q)
	if err != nil {
		t.Fatalf("Answer(%q) = %v; the LLM answerer must not fail where the KB would not", text, err)
	}
	return ans
}

// kbAnswer is what the KB alone says: the answer every fallback must equal.
func (r *rig) kbAnswer(t *testing.T, text string) bot.Answer {
	t.Helper()
	ans := ask(t, r.kb, text)
	if !ans.Confident {
		t.Fatalf("test KB is not confident on %q; pick another question", text)
	}
	return ans
}

// knowledgeWithEdit is the test KB with one step added to the projector
// article, as if someone edited it.
func knowledgeWithEdit(t *testing.T) (*knowledge.Index, []knowledge.Problem) {
	t.Helper()
	fsys := fstest.MapFS{}
	err := filepath.WalkDir("testdata/kb", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/kb", p)
		rel = filepath.ToSlash(rel)
		if rel == "classroom/projector-no-signal.md" {
			b = append(b, "4. Check the projector's lamp light is not red.\n"...)
		}
		fsys[rel] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return knowledge.LoadFS(fsys)
}

func knowledgeOpts() knowledge.SearchOptions {
	return knowledge.SearchOptions{K: 4, Audience: bot.AudienceStaff}
}

func knowledgeAnswererWithRerank(r *rig) *knowledge.Answerer {
	return knowledge.NewAnswerer(r.lib, knowledge.AnswererOptions{Rerank: r.m.Rerank})
}

func (f *fakeAI) lastEmbedInputs(t *testing.T) []string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.bodies) - 1; i >= 0; i-- {
		if strings.HasSuffix(strings.SplitN(f.paths[i], "?", 2)[0], "/embeddings") {
			var req struct {
				Input []string `json:"input"`
			}
			if err := json.Unmarshal([]byte(f.bodies[i]), &req); err != nil {
				t.Fatal(err)
			}
			return req.Input
		}
	}
	t.Fatal("no embeddings request reached the server")
	return nil
}
