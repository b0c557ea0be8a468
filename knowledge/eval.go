package knowledge

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// EvalQuestion is one row of a retrieval test set (JSON lines):
// {"q": "user text", "expect": ["path/in/kb.md", ...]}. An empty Expect
// means the KB does not cover the question and the bot should decline.
type EvalQuestion struct {
	Q      string   `json:"q"`
	Expect []string `json:"expect"`
}

// ReadQuestions reads a JSON-lines test set; name is used in errors.
func ReadQuestions(r io.Reader, name string) ([]EvalQuestion, error) {
	var out []EvalQuestion
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "//") {
			continue
		}
		var q EvalQuestion
		if err := json.Unmarshal([]byte(s), &q); err != nil {
			return nil, fmt.Errorf("read %s:%d: %w", name, line, err)
		}
		if strings.TrimSpace(q.Q) == "" {
			return nil, fmt.Errorf("read %s:%d: empty \"q\"", name, line)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

// EvalOptions tune Evaluate.
type EvalOptions struct {
	Threshold float64 // confidence needed to answer; 0 means DefaultThreshold
}

// EvalResult is what `helpbot eval` reports. Fractions are 0..1; hit rates
// and false_abstain are over covered rows, abstain_uncovered over the rest.
type EvalResult struct {
	Articles         int     `json:"articles"`
	Questions        int     `json:"questions"`
	Covered          int     `json:"covered"`
	Hit1             float64 `json:"hit1"`
	Hit3             float64 `json:"hit3"`
	MRR              float64 `json:"mrr"`
	AbstainUncovered float64 `json:"abstain_uncovered"`
	FalseAbstain     float64 `json:"false_abstain"`
	// ConfidentWrong is the share of covered rows answered confidently
	// with a wrong article: the failure users notice most.
	ConfidentWrong float64 `json:"confident_wrong"`
	Threshold      float64 `json:"threshold"`
	P50us          float64 `json:"p50_us"`
	P99us          float64 `json:"p99_us"`
	BuildMS        float64 `json:"build_ms"`

	Misses []EvalMiss `json:"-"`
}

// EvalMiss is a row the bot gets wrong, for reading through failures.
type EvalMiss struct {
	Question   EvalQuestion
	Got        []string // top paths
	Confidence float64  // of the top hit
	Kind       string   // "wrong", "late" (right article not first), "false_abstain", "answered_uncovered"
}

// Evaluate runs every question against ix as the bot would (staff
// audience) and scores the results.
func Evaluate(ix *Index, qs []EvalQuestion, opts EvalOptions) EvalResult {
	th := opts.Threshold
	if th <= 0 {
		th = DefaultThreshold
	}
	r := EvalResult{Articles: ix.Len(), Questions: len(qs), Threshold: th,
		BuildMS: float64(ix.BuildTime.Microseconds()) / 1000}
	var (
		lat                        []time.Duration
		hit1, hit3, mrr            float64
		uncovered, abstained       int
		falseAbstain, confidentBad int
	)
	for _, q := range qs {
		start := time.Now()
		hits := ix.Search(q.Q, SearchOptions{K: 10})
		lat = append(lat, time.Since(start))

		got := make([]string, len(hits))
		for i, h := range hits {
			got[i] = h.Article.Path
		}
		conf := 0.0
		if len(hits) > 0 {
			conf = hits[0].Confidence
		}
		answers := conf >= th
		if len(q.Expect) == 0 {
			uncovered++
			if !answers {
				abstained++
			} else {
				r.Misses = append(r.Misses, EvalMiss{q, top(got, 3), conf, "answered_uncovered"})
			}
			continue
		}
		r.Covered++
		rank := 0
		for i, p := range got {
			if contains(q.Expect, p) {
				rank = i + 1
				break
			}
		}
		switch {
		case rank == 1:
			hit1++
			if !answers {
				falseAbstain++
				r.Misses = append(r.Misses, EvalMiss{q, top(got, 3), conf, "false_abstain"})
			}
		case answers:
			confidentBad++
			r.Misses = append(r.Misses, EvalMiss{q, top(got, 3), conf, "wrong"})
		default:
			r.Misses = append(r.Misses, EvalMiss{q, top(got, 3), conf, "late"})
		}
		if rank >= 1 && rank <= 3 {
			hit3++
		}
		if rank > 0 {
			mrr += 1 / float64(rank)
		}
	}
	if r.Covered > 0 {
		n := float64(r.Covered)
		r.Hit1, r.Hit3, r.MRR = hit1/n, hit3/n, mrr/n
		r.FalseAbstain = float64(falseAbstain) / n
		r.ConfidentWrong = float64(confidentBad) / n
	}
	if uncovered > 0 {
		r.AbstainUncovered = float64(abstained) / float64(uncovered)
	}
	r.P50us, r.P99us = percentileUS(lat, 0.50), percentileUS(lat, 0.99)
	return r
}

func percentileUS(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s)-1) + 0.5)
	return float64(s[i].Nanoseconds()) / 1000
}

func top(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
