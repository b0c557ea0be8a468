package knowledge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadQuestions(t *testing.T) {
	qs, err := ReadQuestions(strings.NewReader(`{"q": "a", "expect": ["x.md"]}

{"q": "b", "expect": []}
`), "t.jsonl")
	if err != nil || len(qs) != 2 || qs[0].Expect[0] != "x.md" || len(qs[1].Expect) != 0 {
		t.Errorf("ReadQuestions = %+v, %v", qs, err)
	}
	for _, bad := range []string{`{"q": "a"`, `{"q": ""}`, `[1]`} {
		if _, err := ReadQuestions(strings.NewReader("{\"q\": \"ok\"}\n"+bad+"\n"), "t.jsonl"); err == nil || !strings.Contains(err.Error(), "t.jsonl:2") {
			t.Errorf("ReadQuestions(%q) error = %v; want one naming t.jsonl:2", bad, err)
		}
	}
}

func TestEvaluate(t *testing.T) {
	ix := loadTestKB(t)
	f, err := os.Open("testdata/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ReadQuestions(f, "questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(ix, qs, EvalOptions{})
	if r.Questions != 6 || r.Covered != 4 || r.Articles != 9 {
		t.Errorf("counts = %d questions, %d covered, %d articles; want 6, 4, 9", r.Questions, r.Covered, r.Articles)
	}
	if r.Hit1 != 1 || r.Hit3 != 1 || r.MRR != 1 {
		t.Errorf("hit1, hit3, mrr = %v, %v, %v; want 1 each", r.Hit1, r.Hit3, r.MRR)
	}
	if r.AbstainUncovered != 1 || r.FalseAbstain != 0 || r.ConfidentWrong != 0 {
		t.Errorf("abstain_uncovered %v, false_abstain %v, confident_wrong %v; want 1, 0, 0 (misses %+v)",
			r.AbstainUncovered, r.FalseAbstain, r.ConfidentWrong, r.Misses)
	}
	if r.Threshold != DefaultThreshold || r.P99us < r.P50us || r.P50us <= 0 {
		t.Errorf("threshold %v, p50 %v, p99 %v", r.Threshold, r.P50us, r.P99us)
	}
	// A threshold nobody reaches makes the bot decline everything.
	r = Evaluate(ix, qs, EvalOptions{Threshold: 1})
	if r.FalseAbstain != 1 || r.AbstainUncovered != 1 {
		t.Errorf("threshold 1: false_abstain %v, abstain_uncovered %v; want 1, 1", r.FalseAbstain, r.AbstainUncovered)
	}
}

// TestDevSetFloors guards retrieval quality on the shared development sets.
// The floors sit just under what the index achieves (see the Retrieval
// section of docs/BENCHMARKS.md), so a regression of a question or two
// fails; timing is never asserted.
func TestDevSetFloors(t *testing.T) {
	root := evalRoot(t)
	tests := []struct {
		kb, questions     string
		hit1, hit3        float64
		abstainUncovered  float64
		maxFalseAbstain   float64
		maxConfidentWrong float64
	}{
		{"kb/stackfaq", "questions/stackfaq-dev.jsonl", 0.81, 0.92, 0, 0.02, 0.18},
		{"kb/office", "questions/office-dev.jsonl", 0.90, 0.95, 0.85, 0.051, 0.06},
	}
	for _, tt := range tests {
		t.Run(tt.kb, func(t *testing.T) {
			ix, probs := LoadDir(filepath.Join(root, tt.kb))
			if len(probs) != 0 {
				t.Errorf("load problems: %v", probs)
			}
			f, err := os.Open(filepath.Join(root, tt.questions))
			if err != nil {
				t.Skip(err)
			}
			defer f.Close()
			qs, err := ReadQuestions(f, tt.questions)
			if err != nil {
				t.Fatal(err)
			}
			r := Evaluate(ix, qs, EvalOptions{})
			t.Logf("%s: hit@1 %.3f hit@3 %.3f mrr %.3f abstain_uncovered %.2f false_abstain %.3f confident_wrong %.3f p50 %.0fµs p99 %.0fµs build %.1fms",
				tt.kb, r.Hit1, r.Hit3, r.MRR, r.AbstainUncovered, r.FalseAbstain, r.ConfidentWrong, r.P50us, r.P99us, r.BuildMS)
			if r.Hit1 < tt.hit1 || r.Hit3 < tt.hit3 {
				t.Errorf("hit@1 %.3f, hit@3 %.3f; want at least %.2f, %.2f", r.Hit1, r.Hit3, tt.hit1, tt.hit3)
			}
			if r.Questions > r.Covered && r.AbstainUncovered < tt.abstainUncovered {
				t.Errorf("abstain_uncovered %.2f; want at least %.2f", r.AbstainUncovered, tt.abstainUncovered)
			}
			if r.FalseAbstain > tt.maxFalseAbstain || r.ConfidentWrong > tt.maxConfidentWrong {
				t.Errorf("false_abstain %.3f, confident_wrong %.3f; want at most %.2f, %.2f",
					r.FalseAbstain, r.ConfidentWrong, tt.maxFalseAbstain, tt.maxConfidentWrong)
			}
		})
	}
}

// TestCalibrationOneThreshold: the same DefaultThreshold answers the
// questions each KB ranks right and declines the ones it does not cover,
// on three KBs written by different people for different readers (the two
// shared dev sets and the sample KB shipped in kb/ with testdata questions).
func TestCalibrationOneThreshold(t *testing.T) {
	type kbset struct {
		name         string
		ix           *Index
		qs           []EvalQuestion
		maxFA, minAU float64
		hit1, hit3   float64
	}
	sample := sampleSet(t)
	sets := []kbset{{"sample", sample.ix, sample.qs, 0.03, 0.7, 0.97, 0.97}}
	if root := evalRootOrEmpty(); root != "" {
		for _, d := range loadDevSets(t) {
			sets = append(sets, kbset{filepath.Base(d.name), d.ix, d.qs, 0.051, 0.85, 0, 0})
		}
	}
	for _, s := range sets {
		r := Evaluate(s.ix, s.qs, EvalOptions{})
		t.Logf("%s: hit@1 %.3f hit@3 %.3f false_abstain %.3f abstain_uncovered %.2f confident_wrong %.3f",
			s.name, r.Hit1, r.Hit3, r.FalseAbstain, r.AbstainUncovered, r.ConfidentWrong)
		if r.FalseAbstain > s.maxFA {
			t.Errorf("%s: false_abstain %.3f; want at most %.3f", s.name, r.FalseAbstain, s.maxFA)
		}
		if r.Questions > r.Covered && r.AbstainUncovered < s.minAU {
			t.Errorf("%s: abstain_uncovered %.2f; want at least %.2f", s.name, r.AbstainUncovered, s.minAU)
		}
		if r.Hit1 < s.hit1 || r.Hit3 < s.hit3 {
			t.Errorf("%s: hit@1 %.3f hit@3 %.3f; want at least %.2f, %.2f", s.name, r.Hit1, r.Hit3, s.hit1, s.hit3)
		}
	}
}
