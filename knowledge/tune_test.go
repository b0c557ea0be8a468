package knowledge

// Ranking and calibration tools for whoever tunes retrieval next. They do
// nothing in a normal test run; select one with HELPBOT_TUNE:
//
//	HELPBOT_TUNE=halves [BASE=knob=v,…] [P=knob=v,…] go test -run TestTuneHalves -v ./knowledge
//	    every set's figures on its two hash halves and in full, for the
//	    defaults (or BASE) and, with P, for that variant and the change:
//	    tune a knob on one half, judge it on the other
//	HELPBOT_TUNE=sweep [KNOB=name] go test -run TestTuneSweep -v ./knowledge
//	    one-at-a-time sweep of every ranking knob (or one) on both dev sets
//	HELPBOT_TUNE=calibrate [FIT=stackfaq,office] [DROP=0,1] go test -run TestTuneCalibrate -v ./knowledge
//	    refit the confidence coefficients (logistic regression) and show
//	    false_abstain / abstain_uncovered per KB for a range of biases
//	    (SHIFT_FROM, SHIFT_TO, SHIFT_STEP); the shipped fit:
//	    DROP=0,2,3,5,8,9,10 W_UNCOVERED=16 W_WRONG=0.3 W_OTHER=0.1, bias +2.25
//	HELPBOT_TUNE=loko [DROP=…] go test -run TestTuneLOKO -v ./knowledge
//	    the same fit on two KBs, bias set on them, scored on the third
//	HELPBOT_TUNE=features [SET=office] go test -run TestTuneFeatures -v ./knowledge
//	    the confidence features of each question's top hit
//	HELPBOT_TUNE=explain KB=dir Q="question" go test -run TestTuneExplain -v ./knowledge
//	    per-term, per-field contributions for the top hits
//
// `helpbot eval -v` lists the questions that go wrong.

import (
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
)

type devSet struct {
	name string
	ix   *Index
	qs   []EvalQuestion
}

func tuning(t *testing.T, mode string) {
	if os.Getenv("HELPBOT_TUNE") != mode {
		t.Skipf("set HELPBOT_TUNE=%s to run", mode)
	}
}

func loadDevSets(t *testing.T) []devSet {
	root := evalRoot(t)
	var out []devSet
	for _, set := range []struct{ kb, q string }{{"kb/stackfaq", "questions/stackfaq-dev.jsonl"}, {"kb/office", "questions/office-dev.jsonl"}} {
		ix, _ := LoadDir(filepath.Join(root, set.kb))
		f, err := os.Open(filepath.Join(root, set.q))
		if err != nil {
			t.Fatal(err)
		}
		qs, err := ReadQuestions(f, set.q)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, devSet{set.kb, ix, qs})
	}
	return out
}

// knob is one ranking parameter the tuning tools can set by name.
type knob struct {
	name string
	vals []float64
	set  func(p *params, v float64)
}

var knobs = []knob{
	{"perField", []float64{0, 1}, func(p *params, v float64) { p.perField = v == 1 }},
	{"k1", []float64{0.8, 1.2, 1.6, 2, 3}, func(p *params, v float64) { p.k1 = v }},
	{"title", []float64{2, 3, 4, 6, 8}, func(p *params, v float64) { p.weight[fTitle] = v }},
	{"questions", []float64{2, 4, 6}, func(p *params, v float64) { p.weight[fQuestions] = v }},
	{"headings", []float64{0.5, 1, 1.5, 2, 3}, func(p *params, v float64) { p.weight[fHeadings] = v }},
	{"summary", []float64{0, 0.5, 1, 2}, func(p *params, v float64) { p.weight[fSummary] = v }},
	{"name", []float64{0, 0.5, 1, 2}, func(p *params, v float64) { p.weight[fName] = v }},
	{"body", []float64{0.25, 0.5, 0.75, 1, 1.5}, func(p *params, v float64) { p.weight[fBody] = v }},
	{"bbody", []float64{0.3, 0.5, 0.75, 0.9}, func(p *params, v float64) { p.b[fBody] = v }},
	{"btitle", []float64{0.2, 0.5, 0.8}, func(p *params, v float64) { p.b[fTitle] = v }},
	{"secMix", []float64{0, 0.15, 0.3, 0.5, 0.8}, func(p *params, v float64) { p.secMix = v }},
	{"secHead", []float64{1, 2, 3}, func(p *params, v float64) { p.secWeight[0] = v }},
	{"syn", []float64{0, 0.3, 0.5, 0.6, 0.8}, func(p *params, v float64) { p.synonymWeight = v }},
	{"spell", []float64{0, 0.5, 0.8}, func(p *params, v float64) { p.spellingWeight = v }},
	{"comp", []float64{0, 0.5, 0.8}, func(p *params, v float64) { p.compoundWeight = v }},
	{"split", []float64{0, 0.3, 0.5, 0.8}, func(p *params, v float64) { p.splitWeight = v }},
	{"ask", []float64{0, 0.5, 1, 2, 3, 5}, func(p *params, v float64) { p.askBoost = v }},
	{"pair", []float64{0, 0.1, 0.2, 0.3, 0.5, 0.8}, func(p *params, v float64) { p.pairBoost = v }},
	{"wh", []float64{0, 0.05, 0.1, 0.15, 0.2, 0.3}, func(p *params, v float64) { p.whBoost = v }},
	{"assoc", []float64{0, 0.2, 0.4, 0.6, 0.8, 1.2}, func(p *params, v float64) { p.assocWeight = v }},
	{"wordnet", []float64{0, 0.1, 0.2, 0.3, 0.4, 0.6}, func(p *params, v float64) { p.wordnetWeight = v }},
	{"wnHyper", []float64{0, 0.5, 1}, func(p *params, v float64) { p.wordnetHyper = v }},
}

// withKnobs returns defaultParams with spec ("name=v,name=v") applied.
func withKnobs(t *testing.T, spec string) params {
	p := defaultParams
	for _, kv := range strings.Split(spec, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, val, _ := strings.Cut(kv, "=")
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("knob %q: %v", kv, err)
		}
		found := false
		for _, k := range knobs {
			if k.name == name {
				k.set(&p, v)
				found = true
			}
		}
		if !found {
			t.Fatalf("no knob %q", name)
		}
	}
	return p
}

// half splits a dev set in two by a hash of the question text, so that a
// change can be tuned on one half and judged on the other.
func half(q string) int {
	h := fnv.New32a()
	h.Write([]byte(q))
	return int(h.Sum32() & 1)
}

func halfOf(qs []EvalQuestion, n int) []EvalQuestion {
	var out []EvalQuestion
	for _, q := range qs {
		if half(q.Q) == n {
			out = append(out, q)
		}
	}
	return out
}

// TestTuneHalves prints every set's figures on each half and in full, for
// the defaults (BASE="knob=v,…" changes them) and, when P="knob=v,…" is
// given, for that variant too, with the differences.
func TestTuneHalves(t *testing.T) {
	tuning(t, "halves")
	sets := append(loadDevSets(t), sampleSet(t))
	base := withKnobs(t, os.Getenv("BASE"))
	variant := os.Getenv("P")
	vp := withKnobs(t, os.Getenv("BASE")+","+variant)
	line := func(r EvalResult) string {
		s := fmt.Sprintf("h1 %5.1f h3 %5.1f mrr %.3f fa %4.1f cw %4.1f", 100*r.Hit1, 100*r.Hit3, r.MRR, 100*r.FalseAbstain, 100*r.ConfidentWrong)
		if r.Questions > r.Covered {
			s += fmt.Sprintf(" au %5.1f", 100*r.AbstainUncovered)
		}
		return s
	}
	for _, s := range sets {
		for _, part := range []struct {
			name string
			qs   []EvalQuestion
		}{{"A", halfOf(s.qs, 0)}, {"B", halfOf(s.qs, 1)}, {"all", s.qs}} {
			s.ix.params = base
			r0 := Evaluate(s.ix, part.qs, EvalOptions{})
			msg := fmt.Sprintf("%-9s %-3s n=%3d  %s", filepath.Base(s.name), part.name, len(part.qs), line(r0))
			if variant != "" {
				s.ix.params = vp
				r1 := Evaluate(s.ix, part.qs, EvalOptions{})
				msg += fmt.Sprintf("  ->  %s  (Δh1 %+5.1f Δh3 %+5.1f Δmrr %+.3f)", line(r1), 100*(r1.Hit1-r0.Hit1), 100*(r1.Hit3-r0.Hit3), r1.MRR-r0.MRR)
			}
			t.Log(msg)
		}
		s.ix.params = defaultParams
	}
}

func TestTuneSweep(t *testing.T) {
	tuning(t, "sweep")
	sets := loadDevSets(t)
	if only := os.Getenv("KNOB"); only != "" {
		for _, k := range knobs {
			if k.name == only {
				knobs = []knob{k}
			}
		}
	}
	for _, k := range knobs {
		for _, v := range k.vals {
			line := fmt.Sprintf("%-9s %5.2f", k.name, v)
			var tot float64
			for _, s := range sets {
				s.ix.params = defaultParams
				k.set(&s.ix.params, v)
				r := Evaluate(s.ix, s.qs, EvalOptions{})
				line += fmt.Sprintf("  | %s h1=%.3f h3=%.3f mrr=%.3f", filepath.Base(s.name), r.Hit1, r.Hit3, r.MRR)
				tot += r.MRR
			}
			t.Logf("%s  | sum mrr %.3f", line, tot)
		}
	}
	for _, s := range sets {
		s.ix.params = defaultParams
	}
}

// TestTuneCalibrate fits the logistic calibration of confidence.go. Rows:
// each question's top hit on its own KB (label: is it right), plus every
// question against the other KBs, which do not cover it (label 0). The
// three KBs are the two dev sets and the sample KB with its questions.
// FIT=name,name restricts the fit to those sets (the others only
// validate), to check that the coefficients transfer.
// calSample is one question's top hit on one KB, for fitting confidence.
type calSample struct {
	x    []float64
	y, w float64
	set  string // the KB searched
	from string // the KB the question was written for
	kind string
}

// calibrationData is every dev question's top hit on its own KB (label:
// is it right) and on the two other KBs, which do not cover it (label 0).
// DROP=i,j zeroes features; W_UNCOVERED, W_WRONG, W_OTHER weigh the kinds
// of row; each set weighs the same in total, however many rows it has.
func calibrationData(t *testing.T) []calSample {
	feats := func(ix *Index, q string) ([]float64, string) {
		qq := ix.parseQuery(q)
		c := ix.rank(qq, "", 4)
		if len(c) == 0 || len(qq.groups) < 2 {
			return nil, ""
		}
		f := ix.features(qq, c, 0)
		x := f.vector()
		if m := os.Getenv("DROP"); m != "" {
			for _, i := range strings.Split(m, ",") {
				n, _ := strconv.Atoi(i)
				x[n] = 0
			}
		}
		return x, ix.articles[c[0].doc].Path
	}
	sets := append(loadDevSets(t), sampleSet(t))
	uncoveredWeight, wrongWeight, otherWeight := envFloat("W_UNCOVERED", 4), envFloat("W_WRONG", 0.5), envFloat("W_OTHER", 0.5)
	var data []calSample
	for si, s := range sets {
		name := filepath.Base(s.name)
		for _, q := range s.qs {
			x, top := feats(s.ix, q.Q)
			if x == nil {
				continue
			}
			y, w := 0.0, 1.0
			if contains(q.Expect, top) {
				y = 1
			}
			kind := "covered-right"
			switch {
			case len(q.Expect) == 0:
				kind, w = "uncovered", uncoveredWeight
			case y == 0:
				kind, w = "covered-wrong", wrongWeight
			}
			w *= 100 / float64(len(s.qs))
			data = append(data, calSample{x, y, w, name, name, kind})
			for oi, other := range sets {
				if oi == si {
					continue
				}
				if x2, _ := feats(other.ix, q.Q); x2 != nil {
					data = append(data, calSample{x2, 0, w * otherWeight, filepath.Base(other.name), name, "other KB's question"})
				}
			}
		}
	}
	return data
}

func envFloat(k string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return v
	}
	return def
}

// fitCalibration fits the logistic weights (bias last) on the rows use
// selects, with a small L2 penalty (L2, default 0) on the weights.
func fitCalibration(data []calSample, use func(calSample) bool) []float64 {
	nf := len(data[0].x)
	wt := make([]float64, nf+1)
	l2 := envFloat("L2", 0)
	for it := 0; it < 20000; it++ {
		grad := make([]float64, nf+1)
		var n float64
		for _, d := range data {
			if !use(d) {
				continue
			}
			p := 1 / (1 + math.Exp(-calZ(wt, d.x)))
			for i, v := range d.x {
				grad[i] += d.w * (p - d.y) * v
			}
			grad[nf] += d.w * (p - d.y)
			n += d.w
		}
		for i := range wt {
			g := grad[i] / n
			if i < nf {
				g += l2 * wt[i]
			}
			wt[i] -= 2 * g
		}
	}
	return wt
}

func calZ(wt, x []float64) float64 {
	v := wt[len(x)]
	for i, xi := range x {
		v += wt[i] * xi
	}
	return v
}

// calRates is, for one KB at a bias shift: false_abstain (over rows ranked
// right... as Evaluate counts it, over covered rows), abstain_uncovered,
// the share of other KBs' questions declined, and confident_wrong.
func calRates(data []calSample, wt []float64, set string, shift float64) (fa, au, od, cw float64) {
	var covered, unc, oth float64
	for _, d := range data {
		if d.set != set {
			continue
		}
		ans := calZ(wt, d.x)+shift >= 0
		switch d.kind {
		case "covered-right":
			covered++
			if !ans {
				fa++
			}
		case "covered-wrong":
			covered++
			if ans {
				cw++
			}
		case "uncovered":
			unc++
			if !ans {
				au++
			}
		default:
			oth++
			if !ans {
				od++
			}
		}
	}
	return fa / max(covered, 1), au / max(unc, 1), od / max(oth, 1), cw / max(covered, 1)
}

// TestTuneLOKO checks that one threshold transfers: for each KB, the
// confidence is fitted on the other two, its bias set on them alone (the
// most declining shift that keeps false_abstain ≤ FA_TARGET, default 4%,
// on each), and
// then it is scored on the KB left out.
func TestTuneLOKO(t *testing.T) {
	tuning(t, "loko")
	data := calibrationData(t)
	target := envFloat("FA_TARGET", 0.04)
	kbs := []string{"stackfaq", "office", "sample"}
	for _, out := range kbs {
		use := func(d calSample) bool { return d.set != out && d.from != out }
		wt := fitCalibration(data, use)
		best := math.NaN()
		for shift := -3.0; shift <= 6; shift += 0.05 {
			ok := true
			for _, k := range kbs {
				if k == out {
					continue
				}
				if fa, _, _, _ := calRates(data, wt, k, shift); fa > target {
					ok = false
				}
			}
			if ok {
				best = shift
				break
			}
		}
		line := fmt.Sprintf("without %-8s shift %+.2f:", out, best)
		for _, k := range kbs {
			fa, au, od, cw := calRates(data, wt, k, best)
			mark := ""
			if k == out {
				mark = "*"
			}
			line += fmt.Sprintf("  %s%s fa %4.1f au %5.1f od %5.1f cw %4.1f", mark, k, 100*fa, 100*au, 100*od, 100*cw)
		}
		t.Log(line)
	}
	wt := fitCalibration(data, func(calSample) bool { return true })
	t.Logf("all three: %.2f", wt)
}

func TestTuneCalibrate(t *testing.T) {
	tuning(t, "calibrate")
	type sample = calSample
	data := calibrationData(t)
	fit := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("FIT"), ",") {
		if n != "" {
			fit[n] = true
		}
	}
	nf := len(data[0].x)
	wt := make([]float64, nf+1)
	z := func(x []float64) float64 {
		v := wt[nf]
		for i, xi := range x {
			v += wt[i] * xi
		}
		return v
	}
	for it := 0; it < 20000; it++ {
		grad := make([]float64, nf+1)
		var n float64
		for _, d := range data {
			if len(fit) > 0 && !fit[d.set] {
				continue
			}
			p := 1 / (1 + math.Exp(-z(d.x)))
			for i, v := range d.x {
				grad[i] += d.w * (p - d.y) * v
			}
			grad[nf] += d.w * (p - d.y)
			n += d.w
		}
		for i := range wt {
			wt[i] -= 2 * grad[i] / n
		}
	}
	// The fit gives a direction; the bias is then set for the operating
	// point the product needs: answer the covered questions it ranks right
	// (false_abstain ≤ 5%) while declining uncovered ones (≥ 80%).
	for shift := envFloat("SHIFT_FROM", -2); shift <= envFloat("SHIFT_TO", 3)+1e-9; shift += envFloat("SHIFT_STEP", 0.5) {
		line := fmt.Sprintf("bias %+5.1f:", shift)
		for _, set := range []string{"stackfaq", "office", "sample"} {
			var covered, fa, unc, ua, oth, oa float64
			for _, d := range data {
				ans := z(d.x)+shift >= 0
				switch {
				case d.set != set:
				case d.kind == "covered-right":
					covered++
					if !ans {
						fa++
					}
				case d.kind == "covered-wrong":
					covered++
				case d.kind == "uncovered":
					unc++
					if !ans {
						ua++
					}
				default:
					oth++
					if !ans {
						oa++
					}
				}
			}
			line += fmt.Sprintf("  %s fa %4.1f%% au %5.1f%% other-declined %5.1f%%", set, 100*fa/covered, 100*ua/max(unc, 1), 100*oa/max(oth, 1))
		}
		t.Log(line)
	}
	t.Logf("coefficients (%s): %.2f", "coverage, head, ask, margin, words, unknown, section, known, expanded, pairs, typed, bias", wt)
	answered, total := map[string]int{}, map[string]int{}
	for _, d := range data {
		k := fmt.Sprintf("%-9s %s", d.set, d.kind)
		if len(fit) > 0 && !fit[d.set] {
			k += " (validation)"
		}
		total[k]++
		if z(d.x) >= 0 {
			answered[k]++
		}
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %-45s answered %3d/%3d = %.2f", k, answered[k], total[k], float64(answered[k])/float64(total[k]))
	}
}

// sampleSet is the sample KB shipped in kb/ with the questions in testdata.
func sampleSet(t *testing.T) devSet {
	ix, _ := LoadDir("../kb")
	f, err := os.Open("testdata/sample-kb-questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ReadQuestions(f, "sample-kb-questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return devSet{"sample", ix, qs}
}

func TestTuneExplain(t *testing.T) {
	tuning(t, "explain")
	qtext := os.Getenv("Q")
	ix, _ := LoadDir(os.Getenv("KB"))
	q := ix.parseQuery(qtext)
	t.Logf("query terms: %s", q)
	for _, g := range q.groups {
		t.Logf("  word %q idf %.2f", g.word, g.idf)
	}
	cands := ix.rank(q, bot.AudienceTech, 6)
	for i, c := range cands {
		a := ix.articles[c.doc]
		t.Logf("#%d %s %q score %.2f (section %.2f) %+v", i+1, a.Path, a.Title, c.score, c.secScore, ix.features(q, cands, i))
		for _, term := range q.terms {
			ps := ix.postings[term.stem]
			j := sort.Search(len(ps), func(k int) bool { return ps[k].doc >= c.doc })
			if j < len(ps) && ps[j].doc == c.doc {
				t.Logf("    %-14s weight %.1f idf %.2f tf per field %v → %.2f", term.stem, term.weight,
					ix.idf(len(ps)), ps[j].tf, term.weight*ix.idf(len(ps))*ix.articleScore(&ps[j]))
			}
		}
	}
}

// TestTuneFeatures prints the confidence features of every question's top
// hit (R right, W wrong, U uncovered); SET=name limits it to one set.
func TestTuneFeatures(t *testing.T) {
	tuning(t, "features")
	sets := append(loadDevSets(t), sampleSet(t))
	for _, s := range sets {
		if os.Getenv("SET") != "" && filepath.Base(s.name) != os.Getenv("SET") {
			continue
		}
		for _, q := range s.qs {
			qq := s.ix.parseQuery(q.Q)
			c := s.ix.rank(qq, "", 4)
			if len(c) == 0 {
				t.Logf("NONE %q", q.Q)
				continue
			}
			f := s.ix.features(qq, c, 0)
			kind := "R"
			if len(q.Expect) == 0 {
				kind = "U"
			} else if !contains(q.Expect, s.ix.articles[c[0].doc].Path) {
				kind = "W"
			}
			t.Logf("%s cov %.2f head %.2f ask %.2f mar %.2f w %.0f unk %.2f sec %.2f kn %.2f | %q -> %s", kind, f.coverage, f.head, f.ask, f.margin, f.words, f.unknown, f.section, f.known, q.Q, s.ix.articles[c[0].doc].Path)
		}
	}
}
