package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

const kbUsage = `usage:
  helpbot kb check [--strict] [DIR]          lint a KB (default: KB_DIR, else the built-in KB);
                                             warnings fail it only with --strict
  helpbot kb search [--kb DIR] [--tech] QUERY...   show the top 3 articles for a question`

const evalUsage = `usage: helpbot eval [--kb DIR] [--json] [--threshold F] [-v] QUESTIONS.jsonl...
  Each line of QUESTIONS.jsonl: {"q": "question", "expect": ["path/in/kb.md", ...]}
  (an empty expect means the KB does not cover the question).`

// kbCommand runs `helpbot kb check|search`; args are those after "kb".
func (c *cli) kbCommand(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return c.kbUsageError(kbUsage, "kb: missing subcommand (check or search)")
	}
	switch args[0] {
	case "check":
		return c.kbCheck(args[1:])
	case "search":
		return c.kbSearch(args[1:])
	case "help", "-h", "--help":
		fmt.Fprintln(c.stdout, kbUsage)
		return nil
	}
	return c.kbUsageError(kbUsage, fmt.Sprintf("kb: unknown subcommand %q (want check or search)", args[0]))
}

func (c *cli) kbCheck(args []string) error {
	fl := flag.NewFlagSet("kb check", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	strict := fl.Bool("strict", false, "fail on warnings too")
	rest, err := kbParseArgs(fl, args)
	if err != nil {
		return c.kbUsageError(kbUsage, "kb check: "+err.Error())
	}
	if len(rest) > 1 {
		return c.kbUsageError(kbUsage, fmt.Sprintf("kb check: want one folder, got %d arguments", len(rest)))
	}
	dir := ""
	if len(rest) == 1 {
		dir = rest[0]
	}
	fsys, name, err := c.kbFS(dir)
	if err != nil {
		return err
	}
	n, probs := knowledge.Check(fsys)
	if len(probs) == 0 {
		fmt.Fprintf(c.stdout, "ok: %d articles\n", n)
		return nil
	}
	errs, warns := 0, 0
	for _, p := range probs {
		fmt.Fprintln(c.stdout, p.Error())
		if p.Advice {
			warns++
		} else {
			errs++
		}
	}
	fmt.Fprintf(c.stdout, "%d problems, %d warnings in %s (%d articles load)\n", errs, warns, name, n)
	if errs == 0 && !*strict {
		return nil
	}
	return exitCode(1, fmt.Errorf("kb check %s: %d problems, %d warnings", name, errs, warns))
}

func (c *cli) kbSearch(args []string) error {
	fl := flag.NewFlagSet("kb search", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	dir := fl.String("kb", "", "KB folder")
	tech := fl.Bool("tech", false, "search as a tech (include audience: tech articles)")
	k := fl.Int("k", 3, "number of results")
	rest, err := kbParseArgs(fl, args)
	if err != nil {
		return c.kbUsageError(kbUsage, "kb search: "+err.Error())
	}
	question := strings.TrimSpace(strings.Join(rest, " "))
	if question == "" {
		return c.kbUsageError(kbUsage, "kb search: missing QUERY")
	}
	if *k < 1 {
		return c.kbUsageError(kbUsage, "kb search: -k must be at least 1")
	}
	ix, _, err := c.kbLoad(*dir)
	if err != nil {
		return err
	}
	aud := bot.AudienceStaff
	if *tech {
		aud = bot.AudienceTech
	}
	hits := ix.Search(question, knowledge.SearchOptions{K: *k, Audience: aud})
	if len(hits) == 0 {
		fmt.Fprintln(c.stdout, "no matching articles")
		return nil
	}
	for i, h := range hits {
		// Only the top hit is ever given as the answer.
		verdict := "related"
		switch {
		case i == 0 && h.Confidence >= knowledge.DefaultThreshold:
			verdict = "answer"
		case i == 0:
			verdict = "not sure"
		}
		fmt.Fprintf(c.stdout, "%d. %s  (%s)\n   confidence %.2f (%s), score %.2f\n",
			i+1, h.Article.Title, h.Article.Path, h.Confidence, verdict, h.Score)
		if h.Section.Heading != "" && h.Section.Heading != h.Article.Title {
			fmt.Fprintf(c.stdout, "   § %s (line %d)\n", h.Section.Heading, h.Section.Line)
		}
		for _, l := range kbFirstLines(h.Text(600), 3) {
			fmt.Fprintf(c.stdout, "   | %s\n", l)
		}
	}
	return nil
}

// evalCommand runs `helpbot eval`; args are those after "eval".
func (c *cli) evalCommand(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("eval", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	dir := fl.String("kb", "", "KB folder")
	asJSON := fl.Bool("json", false, "print one JSON object")
	threshold := fl.Float64("threshold", knowledge.DefaultThreshold, "confidence needed to answer")
	verbose := fl.Bool("v", false, "list the questions the bot gets wrong")
	files, err := kbParseArgs(fl, args)
	if err != nil {
		return c.kbUsageError(evalUsage, "eval: "+err.Error())
	}
	if len(files) == 0 {
		return c.kbUsageError(evalUsage, "eval: missing QUESTIONS.jsonl")
	}
	if *threshold <= 0 || *threshold > 1 {
		return c.kbUsageError(evalUsage, fmt.Sprintf("eval: --threshold %g: want a number in (0, 1]", *threshold))
	}
	var qs []knowledge.EvalQuestion
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return exitCode(2, fmt.Errorf("eval: %w", err))
		}
		more, err := knowledge.ReadQuestions(f, name)
		f.Close()
		if err != nil {
			return exitCode(2, fmt.Errorf("eval: %w", err))
		}
		qs = append(qs, more...)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ix, name, err := c.kbLoad(*dir)
	if err != nil {
		return err
	}
	r := knowledge.Evaluate(ix, qs, knowledge.EvalOptions{Threshold: *threshold})
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(r)
	}
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
	w := c.stdout
	fmt.Fprintf(w, "kb:                %s (%d articles, index built in %.1f ms)\n", name, r.Articles, r.BuildMS)
	fmt.Fprintf(w, "questions:         %d (%d covered, %d not covered)\n", r.Questions, r.Covered, r.Questions-r.Covered)
	fmt.Fprintf(w, "hit@1:             %s\n", pct(r.Hit1))
	fmt.Fprintf(w, "hit@3:             %s\n", pct(r.Hit3))
	fmt.Fprintf(w, "MRR:               %.3f\n", r.MRR)
	unc := pct(r.AbstainUncovered)
	if r.Questions == r.Covered {
		unc = "n/a (no uncovered questions)"
	}
	fmt.Fprintf(w, "abstain_uncovered: %s (threshold %.2f)\n", unc, r.Threshold)
	fmt.Fprintf(w, "false_abstain:     %s\n", pct(r.FalseAbstain))
	fmt.Fprintf(w, "confident_wrong:   %s\n", pct(r.ConfidentWrong))
	fmt.Fprintf(w, "search latency:    p50 %.0f µs, p99 %.0f µs\n", r.P50us, r.P99us)
	if *verbose {
		for _, m := range r.Misses {
			fmt.Fprintf(w, "%-18s %.2f %q\n    want %v\n    got  %v\n", m.Kind, m.Confidence, m.Question.Q, m.Question.Expect, m.Got)
		}
	}
	return nil
}

// kbFS picks the KB: the folder given, else KB_DIR, else the built-in one.
func (c *cli) kbFS(dir string) (fs.FS, string, error) {
	if dir == "" && c.getenv != nil {
		dir = c.getenv("KB_DIR")
	}
	if dir == "" {
		return kb.FS, "built-in KB", nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, dir, exitCode(2, fmt.Errorf("load kb %q: %w", dir, err))
	}
	if !fi.IsDir() {
		return nil, dir, exitCode(2, fmt.Errorf("load kb %q: not a folder", dir))
	}
	return os.DirFS(dir), dir, nil
}

// kbLoad loads the KB, warning on stderr about files that could not be
// loaded: the rest is still worth searching.
func (c *cli) kbLoad(dir string) (*knowledge.Index, string, error) {
	fsys, name, err := c.kbFS(dir)
	if err != nil {
		return nil, name, err
	}
	ix, probs := knowledge.LoadFS(fsys)
	for _, p := range probs {
		fmt.Fprintf(c.stderr, "warning: %s: %v\n", name, p)
	}
	if ix.Len() == 0 {
		return nil, name, exitCode(1, fmt.Errorf("load kb %s: no articles", name))
	}
	return ix, name, nil
}

// kbUsageError prints help to stderr and returns msg as a usage error.
func (c *cli) kbUsageError(help, msg string) error {
	fmt.Fprintln(c.stderr, help)
	return exitCode(2, errors.New(msg))
}

// kbParseArgs parses flags wherever they appear among the positional
// arguments ("eval q.jsonl --json" as well as "eval --json q.jsonl"); a
// lone "--" ends the flags.
func kbParseArgs(fl *flag.FlagSet, args []string) ([]string, error) {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fl.Lookup(name)
		if f == nil {
			continue // Parse names it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fl.Parse(flags); err != nil {
		return nil, err
	}
	return rest, nil
}

func kbFirstLines(s string, n int) []string {
	lines := strings.Split(s, "\n")
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(out) == n {
			out = append(out, "…")
			break
		}
		out = append(out, l)
	}
	return out
}
