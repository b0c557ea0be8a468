package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kbCLI returns a cli writing to buffers, with env as its environment.
func kbCLI(env map[string]string) (*cli, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &cli{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errOut,
		getenv: func(k string) string { return env[k] },
	}, &out, &errOut
}

func TestKBCheckClean(t *testing.T) {
	c, out, _ := kbCLI(nil)
	if err := c.kbCommand(context.Background(), []string{"check", "testdata/kb-ok"}); err != nil {
		t.Fatalf("kb check testdata/kb-ok = %v; output:\n%s", err, out)
	}
	if got := out.String(); got != "ok: 2 articles\n" {
		t.Errorf("output = %q; want %q", got, "ok: 2 articles\n")
	}
}

func TestKBCheckBrokenArticle(t *testing.T) {
	c, out, _ := kbCLI(nil)
	err := c.kbCommand(context.Background(), []string{"check", "testdata/kb-broken"})
	if code := exitCodeOf(err); err == nil || code != 1 {
		t.Fatalf("kb check testdata/kb-broken = %v (exit %d); want exit 1", err, code)
	}
	if !strings.Contains(out.String(), "printing/toner.md:3: front matter") {
		t.Errorf("output does not name printing/toner.md:3:\n%s", out)
	}
	if strings.Contains(out.String(), "paper-jam.md") {
		t.Errorf("output names a good file:\n%s", out)
	}
}

func TestKBCheckUsesKBDir(t *testing.T) {
	c, out, _ := kbCLI(map[string]string{"KB_DIR": "testdata/kb-broken"})
	err := c.kbCommand(context.Background(), []string{"check"})
	if exitCodeOf(err) != 1 || !strings.Contains(out.String(), "toner.md") {
		t.Errorf("kb check with KB_DIR = %v, output %q; want the broken KB checked", err, out)
	}
}

func TestKBSearch(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"search", "--kb", "testdata/kb-ok", "projector", "says", "no", "signal"}},
		{"flag after query", nil, []string{"search", "projector", "no", "signal", "--kb=testdata/kb-ok"}},
		{"KB_DIR", map[string]string{"KB_DIR": "testdata/kb-ok"}, []string{"search", "projector no signal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, _ := kbCLI(tt.env)
			if err := c.kbCommand(context.Background(), tt.args); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, want := range []string{
				`1. Projector shows "No signal"  (classroom/projector-no-signal.md)`,
				"confidence ", "score ",
				"| Check the input",
				"| 1. Press Input on the remote.",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("output lacks %q:\n%s", want, got)
				}
			}
		})
	}
}

func TestKBSearchNoMatch(t *testing.T) {
	c, out, _ := kbCLI(nil)
	if err := c.kbCommand(context.Background(), []string{"search", "--kb", "testdata/kb-ok", "zzzz"}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "no matching articles\n" {
		t.Errorf("output = %q", got)
	}
}

func TestKBUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing subcommand"},
		{[]string{"frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"check", "a", "b"}, "want one folder"},
		{[]string{"check", "testdata/does-not-exist"}, "does-not-exist"},
		{[]string{"check", "kb_test.go"}, "not a folder"},
		{[]string{"search", "--kb", "testdata/kb-ok"}, "missing QUERY"},
		{[]string{"search", "--bogus", "x"}, "bogus"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c, _, _ := kbCLI(nil)
			err := c.kbCommand(context.Background(), tt.args)
			if code := exitCodeOf(err); err == nil || code != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("kb %q = %v (exit %d); want exit 2 naming %q", tt.args, err, code, tt.want)
			}
		})
	}
}

func TestEvalJSON(t *testing.T) {
	c, out, _ := kbCLI(nil)
	err := c.evalCommand(context.Background(), []string{"--kb", "testdata/kb-ok", "--json", "testdata/questions.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	dec := json.NewDecoder(out)
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Error("output has more than one JSON value")
	}
	for _, k := range []string{"questions", "covered", "hit1", "hit3", "abstain_uncovered", "false_abstain", "p50_us", "p99_us"} {
		if _, ok := r[k].(float64); !ok {
			t.Errorf("JSON lacks number %q: %v", k, r)
		}
	}
	if r["questions"] != 3.0 || r["covered"] != 2.0 || r["hit1"] != 1.0 || r["abstain_uncovered"] != 1.0 {
		t.Errorf("JSON = %v; want 3 questions, 2 covered, hit1 1, abstain_uncovered 1", r)
	}
}

func TestEvalText(t *testing.T) {
	c, out, _ := kbCLI(map[string]string{"KB_DIR": "testdata/kb-ok"})
	if err := c.evalCommand(context.Background(), []string{"testdata/questions.jsonl", "--threshold", "0.99", "-v"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"questions:         3 (2 covered, 1 not covered)", "hit@1:             100.0%", "threshold 0.99", "false_abstain", "p99"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--kb", "testdata/kb-ok"}, "missing QUESTIONS.jsonl"},
		{[]string{"--kb", "testdata/kb-ok", "--threshold", "2", "testdata/questions.jsonl"}, "--threshold"},
		{[]string{"--kb", "testdata/kb-ok", "--threshold", "abc", "testdata/questions.jsonl"}, "threshold"},
		{[]string{"--kb", "testdata/kb-ok", "testdata/missing.jsonl"}, "missing.jsonl"},
		{[]string{"--kb", "testdata/kb-ok", "kb_test.go"}, "kb_test.go:"},
		{[]string{"--kb", "testdata/nope", "testdata/questions.jsonl"}, "nope"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c, _, _ := kbCLI(nil)
			err := c.evalCommand(context.Background(), tt.args)
			if code := exitCodeOf(err); err == nil || code != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("eval %q = %v (exit %d); want exit 2 naming %q", tt.args, err, code, tt.want)
			}
		})
	}
}

func TestKBCheckWarningsPassUnlessStrict(t *testing.T) {
	dir := t.TempDir()
	body := "## Steps\n\n1. Open the tray and remove the torn paper from the fuser area.\n2. Close every door firmly.\n"
	for name, text := range map[string]string{
		"a/jam.md":   "# Clear a paper jam\n\n" + body,
		"a/jam2.md":  "# Clearing paper jams\n\n" + body,
		"b/other.md": "---\ntitle: Wi-Fi drops\nquestions: [wifi keeps dropping]\n---\nForget the network.\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, out, _ := kbCLI(nil)
	if err := c.kbCommand(context.Background(), []string{"check", dir}); err != nil {
		t.Errorf("kb check with only warnings = %v; want success\n%s", err, out)
	}
	if !strings.Contains(out.String(), "warning: near-duplicate") {
		t.Errorf("output has no near-duplicate warning:\n%s", out)
	}
	c, out, _ = kbCLI(nil)
	if err := c.kbCommand(context.Background(), []string{"check", "--strict", dir}); exitCodeOf(err) != 1 {
		t.Errorf("kb check --strict with warnings = %v; want exit 1\n%s", err, out)
	}
}
