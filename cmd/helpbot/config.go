package main

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config is every setting, read once from the environment here and passed
// down as plain values. Names are the contract in DESIGN.md and README.md.
type Config struct {
	// Each edge owns its settings, in its own file (slack.go, teams.go,
	// llm.go); envconfig flattens embedded structs, so the variable names
	// stay exactly as documented.
	SlackConfig
	TeamsConfig
	LLMConfig
	PlaygroundConfig
	WebhookConfig // ticketing webhook (webhook.go)
	OpsConfig
	ShutdownConfig // graceful stop (shutdown.go)

	// State and knowledge
	RedisURL    string `envconfig:"REDIS_URL"`
	RedisPrefix string `envconfig:"REDIS_PREFIX" default:"hb:"`
	KBDir       string `envconfig:"KB_DIR"`

	// Serving
	HTTPAddr string `envconfig:"HTTP_ADDR" default:":8080"`

	// Help desk behaviour
	HelpdeskContact   string        `envconfig:"HELPDESK_CONTACT" default:"call or email the IT help desk directly"`
	CasePrefix        string        `envconfig:"CASE_PREFIX" default:"IT"`
	Buildings         []string      `envconfig:"BUILDINGS"`
	StudentIDPatterns spaceList     `envconfig:"STUDENT_ID_PATTERNS"`
	RateLimit         int           `envconfig:"RATE_LIMIT" default:"20"`
	RateWindow        time.Duration `envconfig:"RATE_WINDOW" default:"1m"`
	SupportCalendar   string        `envconfig:"SUPPORT_CALENDAR"`
	RemindAfter       time.Duration `envconfig:"REMIND_AFTER" default:"15m"`
	RemindUrgentAfter time.Duration `envconfig:"REMIND_URGENT_AFTER" default:"3m"`
	IncidentReports   int           `envconfig:"INCIDENT_REPORTS" default:"3"`
	IncidentWindow    time.Duration `envconfig:"INCIDENT_WINDOW" default:"10m"`

	// Logs
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"json"`
}

// spaceList splits on whitespace: regular expressions often contain commas
// ({4,12}), so the default comma split would break them.
type spaceList []string

// Decode implements envconfig.Decoder.
func (s *spaceList) Decode(v string) error {
	*s = strings.Fields(v)
	return nil
}

// envMu serialises loadConfig: envconfig reads only the process
// environment, so a caller-supplied getenv (tests) is copied into it for the
// duration of one Process call and restored afterwards.
var envMu sync.Mutex

// loadConfig reads the configuration through envconfig and checks it. Bad
// configuration is exit code 2 with a message naming the variable.
func loadConfig(getenv func(string) string) (Config, error) {
	envMu.Lock()
	defer envMu.Unlock()
	var cfg Config
	restore := overlayEnv(configKeys(cfg), getenv)
	err := envconfig.Process("", &cfg)
	restore()
	if err != nil {
		return cfg, exitCode(2, configError(err))
	}
	if err := cfg.validate(); err != nil {
		return cfg, exitCode(2, err)
	}
	return cfg, nil
}

// configError turns envconfig's message into one naming the variable.
func configError(err error) error {
	var pe *envconfig.ParseError
	if ok := asParseError(err, &pe); ok {
		return fmt.Errorf("%s: cannot use %q as %s", pe.KeyName, pe.Value, pe.TypeName)
	}
	return fmt.Errorf("configuration: %w", err)
}

func asParseError(err error, target **envconfig.ParseError) bool {
	pe, ok := err.(*envconfig.ParseError)
	if ok {
		*target = pe
	}
	return ok
}

func configKeys(cfg Config) []string { return tagKeys(reflect.TypeOf(cfg)) }

func tagKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			keys = append(keys, tagKeys(f.Type)...)
			continue
		}
		if k := f.Tag.Get("envconfig"); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func overlayEnv(keys []string, getenv func(string) string) (restore func()) {
	type saved struct {
		val string
		had bool
	}
	old := make(map[string]saved, len(keys))
	for _, k := range keys {
		v, had := os.LookupEnv(k)
		old[k] = saved{v, had}
		if nv := getenv(k); nv != "" {
			os.Setenv(k, nv)
		} else {
			os.Unsetenv(k)
		}
	}
	return func() {
		for k, s := range old {
			if s.had {
				os.Setenv(k, s.val)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

// validate fails closed: a half-configured platform refuses to start.
func (c Config) validate() error {
	if c.RateLimit < 0 {
		return fmt.Errorf("RATE_LIMIT must be 0 (off) or more, not %d", c.RateLimit)
	}
	if c.RateWindow < time.Second {
		return fmt.Errorf("RATE_WINDOW must be at least 1s, not %s", c.RateWindow)
	}
	if c.RemindAfter < time.Minute || c.RemindUrgentAfter < time.Minute {
		return fmt.Errorf("REMIND_AFTER and REMIND_URGENT_AFTER must be at least 1m")
	}
	if c.IncidentReports < 0 || c.IncidentReports == 1 {
		return fmt.Errorf("INCIDENT_REPORTS must be 0 (no grouping) or at least 2, not %d", c.IncidentReports)
	}
	if strings.TrimSpace(c.CasePrefix) == "" || strings.ContainsAny(c.CasePrefix, " :{}") {
		return fmt.Errorf("CASE_PREFIX must be a short word like IT, not %q", c.CasePrefix)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	if c.KBDir != "" {
		st, err := os.Stat(c.KBDir)
		if err != nil || !st.IsDir() {
			return fmt.Errorf("KB_DIR %q is not a readable folder", c.KBDir)
		}
	}
	for _, check := range []func() error{c.validateSlack, c.validateTeams, c.validateLLM, c.validateOps, c.validateWebhook, c.validateShutdown} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}
