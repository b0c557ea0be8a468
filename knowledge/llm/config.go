package llm

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot/screen"
)

// OpenAIURL is the default endpoint when no base URL is configured.
const OpenAIURL = "https://api.openai.com/v1"

// AzureAPIVersion is the Azure OpenAI data-plane version used when none is
// configured (a GA version that accepts max_tokens and current models).
const AzureAPIVersion = "2024-10-21"

// Config is the provider and the limits. Zero values mean the defaults.
type Config struct {
	APIKey  string // may be empty for a self-hosted server (Ollama, vLLM)
	BaseURL string // default OpenAIURL; required for Azure
	Model   string // chat model; for Azure, the deployment name
	// Azure selects Azure OpenAI: api-key header, deployments in the path,
	// APIVersion as the api-version query parameter.
	Azure      bool
	APIVersion string
	// AllowInsecure permits http:// to a host that is not loopback.
	AllowInsecure bool
	// EmbeddingModel turns on the dense re-ranker (Model.Rerank).
	EmbeddingModel string

	Timeout         time.Duration // per call; default 15 s
	DailyTokens     int64         // shared across replicas; 0 = no cap
	MaxPromptChars  int           // default 12000 (about 3000 tokens)
	MaxAnswerChars  int           // longest answer shown; default 900
	MaxOutputTokens int           // asked of the model; default 600
	CacheTTL        time.Duration // answer cache; default 12 h

	// BreakerFailures consecutive failures (errors, timeouts or invalid
	// output) open the circuit for BreakerCooldown; defaults 5 and 1 min.
	BreakerFailures int
	BreakerCooldown time.Duration
	// RerankWeight is the share of the dense similarity in the blended
	// score (0..1); default 0.3, so it settles close calls only.
	RerankWeight float64

	// HTTPClient is for tests; the default refuses redirects and caps
	// response bodies.
	HTTPClient *http.Client
}

// Deps are what the Model shares with the rest of the bot.
type Deps struct {
	Redis    goredis.UniversalClient
	Prefix   string // the store's key prefix, e.g. "hb:"
	Screener *screen.Screener
	Logger   *slog.Logger
	Clock    func() time.Time // for the budget's day; default time.Now
	// Metrics receives call counts, latency, tokens and fallbacks; nil:
	// none. See Answerer.SetMetrics to set it later.
	Metrics Metrics
}

func (c *Config) defaults() {
	if c.BaseURL == "" && !c.Azure {
		c.BaseURL = OpenAIURL
	}
	if c.Azure && c.APIVersion == "" {
		c.APIVersion = AzureAPIVersion
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.MaxPromptChars <= 0 {
		c.MaxPromptChars = 12000
	}
	if c.MaxAnswerChars <= 0 {
		c.MaxAnswerChars = 900
	}
	if c.MaxOutputTokens <= 0 {
		c.MaxOutputTokens = 600
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = 12 * time.Hour
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = time.Minute
	}
	if c.RerankWeight <= 0 || c.RerankWeight > 1 {
		c.RerankWeight = 0.3
	}
}

// Endpoint errors, so callers can name their own variables.
var (
	ErrInsecureEndpoint = errors.New("uses http:// to a host that is not loopback")
	ErrBadEndpoint      = errors.New("is not an http(s) URL with a host")
)

// CheckEndpoint accepts https:// URLs, and http:// only to a loopback host
// (a self-hosted model on the same machine) unless allowInsecure: prompts
// carry staff questions, and they must not cross a network in clear text.
func CheckEndpoint(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ErrBadEndpoint
	}
	if u.User != nil {
		return errors.New("must not contain a user name or password (use the API key setting)")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowInsecure || isLoopback(u.Hostname()) {
			return nil
		}
		return ErrInsecureEndpoint
	}
	return ErrBadEndpoint
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Validate checks a Config the way the binary does at start-up.
func (c Config) Validate() error {
	if c.Model == "" {
		return errors.New("a model is required")
	}
	if c.Azure && (c.BaseURL == "" || c.APIKey == "") {
		return errors.New("Azure OpenAI needs a base URL and an API key")
	}
	if c.BaseURL != "" {
		if err := CheckEndpoint(c.BaseURL, c.AllowInsecure); err != nil {
			return fmt.Errorf("base URL %w", err)
		}
	} else if c.APIKey == "" {
		return errors.New("api.openai.com needs an API key")
	}
	return nil
}
