package llm

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		want     error // nil, ErrInsecureEndpoint, ErrBadEndpoint or any error (errAny)
	}{
		{"https://api.openai.com/v1", false, nil},
		{"https://district.openai.azure.com", false, nil},
		{"http://localhost:11434/v1", false, nil},
		{"http://127.0.0.1:8000/v1", false, nil},
		{"http://[::1]:8000/v1", false, nil},
		{"http://ollama.localhost/v1", false, nil},
		{"http://10.1.2.3:11434/v1", false, ErrInsecureEndpoint},
		{"http://gpu.district.lan/v1", false, ErrInsecureEndpoint},
		{"http://gpu.district.lan/v1", true, nil},
		{"ftp://llm.example", false, ErrBadEndpoint},
		{"llm.example/v1", false, ErrBadEndpoint},
		{"", false, ErrBadEndpoint},
		{"https://user:secret@llm.example/v1", false, errAny},
	}
	for _, tt := range tests {
		err := CheckEndpoint(tt.url, tt.insecure)
		switch {
		case tt.want == nil && err != nil, tt.want != nil && err == nil,
			tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
			t.Errorf("CheckEndpoint(%q, %v) = %v; want %v", tt.url, tt.insecure, err, tt.want)
		}
	}
}

var errAny = errors.New("any error")

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		c  Config
		ok bool
	}{
		{Config{Model: "gpt-4o-mini", APIKey: "k"}, true},
		{Config{Model: "llama3.1", BaseURL: "http://localhost:11434/v1"}, true},
		{Config{Model: "gpt-4o-mini"}, false},
		{Config{APIKey: "k"}, false},
		{Config{Model: "d", Azure: true, APIKey: "k"}, false},
		{Config{Model: "d", Azure: true, APIKey: "k", BaseURL: "https://d.openai.azure.com"}, true},
	}
	for _, tt := range tests {
		if err := tt.c.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v; want ok %v", tt.c, err, tt.ok)
		}
	}
}

// Azure OpenAI: the deployment is the configured model, the key goes in
// the api-key header, and the api-version is sent.
func TestAzureWireFormat(t *testing.T) {
	ai := newFakeAI(t)
	r := newRig(t, ai, func(c *Config) {
		c.Azure, c.APIKey, c.Model, c.BaseURL = true, "azure-key", "helpbot-gpt4o", ai.srv.URL
	}, nil)
	if ans := ask(t, r.a, projectorQ); !strings.Contains(ans.Text, AINote) {
		t.Fatalf("answer = %q; want the model's", ans.Text)
	}
	ai.mu.Lock()
	path, head := ai.paths[0], ai.heads[0]
	ai.mu.Unlock()
	if path != "/openai/deployments/helpbot-gpt4o/chat/completions?api-version="+AzureAPIVersion {
		t.Errorf("path = %s", path)
	}
	if head.Get("api-key") != "azure-key" || head.Get("Authorization") != "" {
		t.Errorf("headers = %v; want the api-key header only", head)
	}
}

// A self-hosted server with no key gets no Authorization header at all;
// with a key, a bearer token.
func TestAuthHeader(t *testing.T) {
	for _, key := range []string{"", "sk-test"} {
		ai := newFakeAI(t)
		r := newRig(t, ai, func(c *Config) { c.APIKey = key }, nil)
		ask(t, r.a, projectorQ)
		ai.mu.Lock()
		got := ai.heads[0].Get("Authorization")
		ai.mu.Unlock()
		want := ""
		if key != "" {
			want = "Bearer " + key
		}
		if got != want {
			t.Errorf("key %q: Authorization = %q; want %q", key, got, want)
		}
	}
}

func TestOfficialEndpointUsesMaxCompletionTokens(t *testing.T) {
	p := newProvider(Config{BaseURL: OpenAIURL, Model: "m", MaxOutputTokens: 10}, func(s string) string { return s })
	if !p.completionTokens {
		t.Error("api.openai.com should get max_completion_tokens")
	}
	p = newProvider(Config{BaseURL: "http://localhost:11434/v1", Model: "m", MaxOutputTokens: 10}, func(s string) string { return s })
	if p.completionTokens {
		t.Error("a self-hosted server should get max_tokens")
	}
}

// A provider that redirects, or sends more than a megabyte, is a failure:
// the prompt is not re-sent elsewhere and memory is not filled.
func TestRedirectAndOversizedResponse(t *testing.T) {
	other := newFakeAI(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	ai := newFakeAI(t)
	r := newRig(t, ai, func(c *Config) { c.BaseURL = redirect.URL + "/v1" }, nil)
	kb := r.kbAnswer(t, projectorQ)
	if ans := ask(t, r.a, projectorQ); ans.Text != kb.Text {
		t.Errorf("redirected: answer = %q; want the KB's", ans.Text)
	}
	if other.chats.Load() != 0 {
		t.Errorf("the redirect was followed: the prompt went to another server")
	}

	big := newFakeAI(t)
	big.setReply(fixed(200, strings.Repeat("a", maxResponseBytes+10)))
	r = newRig(t, big, nil, nil)
	if ans := ask(t, r.a, projectorQ); ans.Text != kb.Text {
		t.Errorf("oversized: answer = %q…; want the KB's", ans.Text[:40])
	}
}
