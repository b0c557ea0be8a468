package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/helpbot/helpbot/handlers/metrics"
	"github.com/helpbot/helpbot/knowledge"
	"github.com/helpbot/helpbot/knowledge/llm"
)

// LLMConfig is the optional LLM's settings; OPENAI_MODEL unset means
// KB-only answers. docs/LLM.md and PRIVACY.md explain each one.
type LLMConfig struct {
	OpenAIAPIKey         string        `envconfig:"OPENAI_API_KEY"`
	OpenAIBaseURL        string        `envconfig:"OPENAI_BASE_URL"`
	OpenAIModel          string        `envconfig:"OPENAI_MODEL"`
	OpenAIAPIType        string        `envconfig:"OPENAI_API_TYPE"` // "openai" (default) or "azure"
	OpenAIAPIVersion     string        `envconfig:"OPENAI_API_VERSION"`
	OpenAIAllowInsecure  bool          `envconfig:"OPENAI_ALLOW_INSECURE"`
	OpenAIEmbeddingModel string        `envconfig:"OPENAI_EMBEDDING_MODEL"`
	LLMTimeout           time.Duration `envconfig:"LLM_TIMEOUT" default:"15s"`
	LLMDailyTokens       int64         `envconfig:"LLM_DAILY_TOKENS" default:"1000000"`
	LLMCacheTTL          time.Duration `envconfig:"LLM_CACHE_TTL" default:"12h"`
	LLMMaxOutputTokens   int           `envconfig:"LLM_MAX_OUTPUT_TOKENS" default:"600"`
	LLMSummaries         bool          `envconfig:"LLM_SUMMARIES" default:"true"`
}

func (c LLMConfig) azure() bool { return strings.EqualFold(c.OpenAIAPIType, "azure") }

// validateLLM checks the optional LLM settings. Half a configuration
// refuses to start rather than quietly answering without the model, or
// sending staff questions somewhere unintended.
func (c Config) validateLLM() error {
	l := c.LLMConfig
	switch strings.ToLower(l.OpenAIAPIType) {
	case "", "openai", "azure":
	default:
		return fmt.Errorf("OPENAI_API_TYPE must be openai or azure, not %q", l.OpenAIAPIType)
	}
	if l.OpenAIModel == "" {
		for _, v := range []struct{ name, val string }{
			{"OPENAI_API_KEY", l.OpenAIAPIKey}, {"OPENAI_BASE_URL", l.OpenAIBaseURL},
			{"OPENAI_EMBEDDING_MODEL", l.OpenAIEmbeddingModel},
		} {
			if v.val != "" {
				return fmt.Errorf("%s is set but OPENAI_MODEL is not: set OPENAI_MODEL to the chat model (the deployment name on Azure), or unset %s for KB-only answers", v.name, v.name)
			}
		}
		return nil
	}
	if l.azure() {
		if l.OpenAIBaseURL == "" {
			return errors.New("OPENAI_BASE_URL is required with OPENAI_API_TYPE=azure (https://<resource>.openai.azure.com)")
		}
		if l.OpenAIAPIKey == "" {
			return errors.New("OPENAI_API_KEY is required with OPENAI_API_TYPE=azure")
		}
	}
	if l.OpenAIBaseURL == "" && l.OpenAIAPIKey == "" {
		return errors.New("OPENAI_API_KEY is required for api.openai.com; for a self-hosted server (Ollama, vLLM) set OPENAI_BASE_URL instead")
	}
	if l.OpenAIBaseURL != "" {
		if err := llm.CheckEndpoint(l.OpenAIBaseURL, l.OpenAIAllowInsecure); err != nil {
			if errors.Is(err, llm.ErrInsecureEndpoint) {
				return fmt.Errorf("OPENAI_BASE_URL %s: staff questions would cross the network unencrypted; use https://, or set OPENAI_ALLOW_INSECURE=true if this network is trusted", err)
			}
			return fmt.Errorf("OPENAI_BASE_URL %s", err)
		}
	}
	if l.LLMTimeout <= 0 || l.LLMTimeout > 2*time.Minute {
		return fmt.Errorf("LLM_TIMEOUT must be between 1s and 2m, not %s", l.LLMTimeout)
	}
	if l.LLMDailyTokens < 0 {
		return fmt.Errorf("LLM_DAILY_TOKENS must be 0 (no cap) or more, not %d", l.LLMDailyTokens)
	}
	if l.LLMMaxOutputTokens < 50 || l.LLMMaxOutputTokens > 8000 {
		return fmt.Errorf("LLM_MAX_OUTPUT_TOKENS must be between 50 and 8000, not %d", l.LLMMaxOutputTokens)
	}
	if l.LLMCacheTTL < time.Minute {
		return fmt.Errorf("LLM_CACHE_TTL must be at least 1m, not %s", l.LLMCacheTTL)
	}
	return nil
}

func (c LLMConfig) model() llm.Config {
	return llm.Config{
		APIKey:          c.OpenAIAPIKey,
		BaseURL:         c.OpenAIBaseURL,
		Model:           c.OpenAIModel,
		Azure:           c.azure(),
		APIVersion:      c.OpenAIAPIVersion,
		AllowInsecure:   c.OpenAIAllowInsecure,
		EmbeddingModel:  c.OpenAIEmbeddingModel,
		Timeout:         c.LLMTimeout,
		DailyTokens:     c.LLMDailyTokens,
		CacheTTL:        c.LLMCacheTTL,
		MaxOutputTokens: c.LLMMaxOutputTokens,
	}
}

// wireLLM wraps the KB answerer with the LLM answerer (and, with an
// embedding model, re-ranks the KB's hits) and sets the case-brief writer.
// Without OPENAI_MODEL it changes nothing. Nothing is sent at start-up:
// the provider is first called for a question.
func (a *app) wireLLM(ctx context.Context) error {
	c := a.cfg.LLMConfig
	if c.OpenAIModel == "" {
		return nil
	}
	log := a.log.With("component", "llm")
	m, err := llm.New(c.model(), llm.Deps{Redis: a.rdb, Prefix: a.store.Prefix(), Screener: a.screener, Logger: log, Metrics: metrics.Default()})
	if err != nil {
		return exitCode(2, err)
	}
	kb := a.answerer
	if m.Embeddings() {
		kb = knowledge.NewAnswerer(a.lib, knowledge.AnswererOptions{Rerank: m.Rerank})
	}
	a.answerer = m.Answerer(kb, a.lib)
	if c.LLMSummaries {
		a.summarizer = m.Summarizer()
	}
	host := "api.openai.com"
	if u, err := url.Parse(c.OpenAIBaseURL); err == nil && u.Host != "" {
		host = u.Host
	}
	log.Info("LLM answers on: KB-grounded, redacted, KB answer on any failure",
		"model", c.OpenAIModel, "host", host, "azure", c.azure(),
		"embeddings", m.Embeddings(), "daily_tokens", c.LLMDailyTokens, "briefs", c.LLMSummaries)
	return nil
}
