// Command retrieval scores helpbot's KB search against bleve (English
// analyzer, title + body match query, in memory) on the same KB and the
// same questions, and prints both lines side by side with latency.
//
//	cd bench/retrieval && go run . --kb ../../../shared/eval/kb/stackfaq ../../../shared/eval/questions/stackfaq-dev.jsonl
//
// It is its own module so that bleve never enters the product's go.mod.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/helpbot/helpbot/knowledge"
)

func main() {
	kbDir := flag.String("kb", "", "KB folder")
	flag.Parse()
	if *kbDir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: retrieval --kb DIR QUESTIONS.jsonl...")
		os.Exit(2)
	}
	var qs []knowledge.EvalQuestion
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fail(err)
		}
		more, err := knowledge.ReadQuestions(f, name)
		f.Close()
		if err != nil {
			fail(err)
		}
		qs = append(qs, more...)
	}

	ix, probs := knowledge.LoadDir(*kbDir)
	for _, p := range probs {
		fmt.Fprintln(os.Stderr, "warning:", p.Error())
	}
	hb := knowledge.Evaluate(ix, qs, knowledge.EvalOptions{})

	start := time.Now()
	bl, err := bleveIndex(ix.Articles())
	if err != nil {
		fail(err)
	}
	build := time.Since(start)
	var (
		hit1, hit3, covered float64
		lat                 []time.Duration
	)
	for _, q := range qs {
		t0 := time.Now()
		req := bleve.NewSearchRequestOptions(bleve.NewMatchQuery(q.Q), 3, 0, false)
		res, err := bl.Search(req)
		lat = append(lat, time.Since(t0))
		if err != nil {
			fail(err)
		}
		if len(q.Expect) == 0 {
			continue
		}
		covered++
		for i, h := range res.Hits {
			if contains(q.Expect, h.ID) {
				if i == 0 {
					hit1++
				}
				hit3++
				break
			}
		}
	}
	fmt.Printf("%d articles, %d questions (%d covered)\n", ix.Len(), len(qs), int(covered))
	fmt.Printf("%-28s %7s %7s %14s %17s %15s %9s %9s %9s\n", "engine", "hit@1", "hit@3", "false_abstain", "abstain_uncovered", "confident_wrong", "p50", "p99", "build")
	fmt.Printf("%-28s %6.1f%% %6.1f%% %14s %17s %15s %7.0fµs %7.0fµs %7.0fms\n", "bleve v2 (en, title+body)",
		100*hit1/covered, 100*hit3/covered, "n/a", "n/a", "n/a", pct(lat, 0.5), pct(lat, 0.99), float64(build.Microseconds())/1000)
	unc := fmt.Sprintf("%.1f%%", 100*hb.AbstainUncovered)
	if hb.Questions == hb.Covered {
		unc = "n/a"
	}
	fmt.Printf("%-28s %6.1f%% %6.1f%% %13.1f%% %17s %14.1f%% %7.0fµs %7.0fµs %7.0fms\n", "helpbot",
		100*hb.Hit1, 100*hb.Hit3, 100*hb.FalseAbstain, unc, 100*hb.ConfidentWrong, hb.P50us, hb.P99us, hb.BuildMS)
}

// bleveIndex indexes each article as one document: title and body (all
// sections, headings included), both analysed with bleve's English analyzer.
func bleveIndex(arts []*knowledge.Article) (bleve.Index, error) {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	doc := mapping.NewDocumentMapping()
	for _, f := range []string{"title", "body"} {
		fm := mapping.NewTextFieldMapping()
		fm.Analyzer = en.AnalyzerName
		doc.AddFieldMappingsAt(f, fm)
	}
	m.DefaultMapping = doc
	bl, err := bleve.NewMemOnly(m)
	if err != nil {
		return nil, err
	}
	b := bl.NewBatch()
	for _, a := range arts {
		var body strings.Builder
		for _, s := range a.Sections {
			body.WriteString(s.Heading + "\n" + s.Text + "\n\n")
		}
		if err := b.Index(a.Path, map[string]string{"title": a.Title, "body": body.String()}); err != nil {
			return nil, err
		}
	}
	return bl, bl.Batch(b)
}

func pct(d []time.Duration, p float64) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return float64(s[int(p*float64(len(s)-1)+0.5)].Microseconds())
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "retrieval:", err)
	os.Exit(1)
}
