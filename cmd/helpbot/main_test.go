package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot/redis/redistest"
)

// env returns a getenv over vars. When CI provides a real Redis, the
// program uses it under a key prefix of its own (removed after the test).
func env(t *testing.T, vars map[string]string) func(string) string {
	t.Helper()
	prefix := ""
	if redistest.Real() {
		_, prefix = redistest.Client(t)
	}
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		switch k {
		case "REDIS_URL":
			return os.Getenv(redistest.EnvURL)
		case "REDIS_PREFIX":
			return prefix
		}
		return ""
	}
}

// runCLI runs the program with stdin and returns stdout, stderr and the error.
func runCLI(t *testing.T, stdin string, vars map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: env(t, vars)}
	err := c.run(ctx, append([]string{"helpbot"}, args...))
	return out.String(), errb.String(), err
}

func TestBadConfigurationExitsTwo(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		mentions string
	}{
		{"rate limit not a number", map[string]string{"RATE_LIMIT": "lots"}, "RATE_LIMIT"},
		{"negative rate limit", map[string]string{"RATE_LIMIT": "-1"}, "RATE_LIMIT"},
		{"missing KB folder", map[string]string{"KB_DIR": "/nonexistent/kb"}, "KB_DIR"},
		{"bad redis url", map[string]string{"REDIS_URL": "http://localhost"}, "REDIS_URL"},
		{"bad student id pattern", map[string]string{"STUDENT_ID_PATTERNS": "S(\\d+"}, "STUDENT_ID_PATTERNS"},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"missing calendar file", map[string]string{"SUPPORT_CALENDAR": "/nonexistent/calendar.yaml"}, "SUPPORT_CALENDAR"},
		{"broken calendar file", map[string]string{"SUPPORT_CALENDAR": "../../bot/calendar/testdata/broken.yaml"}, "broken.yaml:3"},
		{"one-report incidents", map[string]string{"INCIDENT_REPORTS": "1"}, "INCIDENT_REPORTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", tt.vars, "chat")
			if err == nil || exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.mentions) {
				t.Fatalf("run = %v (exit %d); want exit 2 naming %s", err, exitCodeOf(err), tt.mentions)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	_, _, err := runCLI(t, "", nil, "frobnicate")
	if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("run frobnicate = %v; want exit 2 naming the command", err)
	}
}

// The README's first command: a fresh machine, no configuration, a real
// conversation on the built-in KB ending in a claimed and resolved case.
func TestChatZeroConfig(t *testing.T) {
	script := strings.Join([]string{
		"the projector isn't showing my laptop",
		"I need a person",
		"Lincoln MS room 204",
		"/as tech Alex Chen",
		"/queue",
		"/claim IT-1001",
		"/resolve IT-1001",
		"/as staff",
		"1",
	}, "\n") + "\n"
	out, stderr, err := runCLI(t, script, map[string]string{}, "chat")
	if err != nil {
		t.Fatalf("chat = %v\nstderr: %s", err, stderr)
	}
	for _, want := range []string{
		"📄 Source: “",
		"Which building and room",
		"NEW CASE IT-1001",
		"Where:   Lincoln MS, Room 204",
		"claimed by Alex Chen",
		"Alex Chen from the IT team has your request IT-1001",
		"resolved by Alex Chen",
		"Confirmed fixed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	if !redistest.Real() && !strings.Contains(stderr, "embedded in-memory Redis") {
		t.Errorf("stderr lacks the embedded-Redis warning:\n%s", stderr)
	}
}

// With no platform configured, plain `helpbot` serves the browser
// playground (and `helpbot chat` stays the terminal chat, tested above).
func TestDefaultCommandIsPlayground(t *testing.T) {
	base, _, stop := startPlayground(t, map[string]string{})
	if code, body := get(t, base); code != 200 || !strings.Contains(body, "helpbot playground") {
		t.Fatalf("helpbot: GET %s = %d; want the playground page", base, code)
	}
	if err := stop(); err != nil {
		t.Fatalf("helpbot = %v; want a clean exit on cancel", err)
	}
}
