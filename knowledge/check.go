package knowledge

import (
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strings"
)

// Check lints the KB under fsys for `helpbot kb check`: everything that
// stops an article loading, plus what loads but needs fixing (missing or
// duplicate titles, broken links between articles, raw HTML and comments,
// hidden characters, unknown front-matter keys), and advice that does not
// fail the check: near-duplicate articles, and titles that are statements no
// question would match in an article without questions. It returns the number of
// articles that load and the problems sorted by file and line.
func Check(fsys fs.FS) (int, []Problem) {
	docs, files, probs := readKB(fsys)
	if _, p := ReadSynonyms(fsys); p != nil {
		probs = append(probs, *p)
	}

	byTitle := map[string]parsed{}
	for _, d := range docs {
		probs = append(probs, d.warnings...)
		for _, l := range d.links {
			if !files[l.target] {
				probs = append(probs, Problem{Path: d.article.Path, Line: l.line,
					Message: fmt.Sprintf("broken link: %s does not exist", l.target)})
			}
		}
		key := strings.ToLower(d.article.Title)
		if first, dup := byTitle[key]; dup {
			probs = append(probs, Problem{Path: d.article.Path, Line: d.titleLine,
				Message: fmt.Sprintf("duplicate title %q (also %s): people cannot tell the articles apart", d.article.Title, first.article.Path)})
			continue
		}
		byTitle[key] = d
	}
	probs = append(probs, advise(docs)...)
	sort.SliceStable(probs, func(i, j int) bool {
		if probs[i].Path != probs[j].Path {
			return probs[i].Path < probs[j].Path
		}
		return probs[i].Line < probs[j].Line
	})
	return len(docs), probs
}

// nearDuplicate is the cosine similarity (TF-IDF over title and body
// stems) from which two articles are reported as saying the same thing.
const nearDuplicate = 0.8

// advise finds what a KB editor should look at: articles so alike that
// search cannot tell them apart, and titles that only a search for the
// exact words would find.
func advise(docs []parsed) []Problem {
	var out []Problem
	arts := make([]*Article, len(docs))
	for i, d := range docs {
		arts[i] = d.article
		if len(d.article.Questions) == 0 && !questionLike(d.article.Title) {
			out = append(out, Problem{Path: d.article.Path, Line: d.titleLine, Advice: true,
				Message: fmt.Sprintf("title %q is a statement and there are no questions: add a questions: list of how staff ask for this", d.article.Title)})
		}
	}
	ix := NewIndex(arts)
	vecs := make([]map[string]float64, len(arts))
	norms := make([]float64, len(arts))
	for st, ps := range ix.postings {
		idf := ix.idf(len(ps))
		for _, p := range ps {
			n := float64(p.tf[fTitle]) + float64(p.tf[fBody]) + float64(p.tf[fHeadings])
			if n == 0 {
				continue
			}
			if vecs[p.doc] == nil {
				vecs[p.doc] = map[string]float64{}
			}
			w := (1 + math.Log(n)) * idf
			vecs[p.doc][st] = w
			norms[p.doc] += w * w
		}
	}
	for i := range vecs {
		for j := i + 1; j < len(vecs); j++ {
			if norms[i] == 0 || norms[j] == 0 {
				continue
			}
			a, b := vecs[i], vecs[j]
			if len(a) > len(b) {
				a, b = b, a
			}
			var dot float64
			for st, w := range a {
				dot += w * b[st]
			}
			if sim := dot / math.Sqrt(norms[i]*norms[j]); sim >= nearDuplicate {
				out = append(out, Problem{Path: ix.articles[j].Path, Line: 1, Advice: true,
					Message: fmt.Sprintf("near-duplicate of %s (similarity %.2f): merge them, or make titles and questions say how they differ", ix.articles[i].Path, sim)})
			}
		}
	}
	return out
}

// questionLike reports whether a title reads as something people ask or
// the problem they describe ("How do I…", "Printer won't print", "Wi-Fi is
// slow"), rather than a bare topic ("Printing policy").
func questionLike(title string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	if strings.HasSuffix(t, "?") {
		return true
	}
	words := strings.Fields(t)
	if len(words) == 0 {
		return false
	}
	switch words[0] {
	case "how", "what", "why", "where", "when", "who", "which", "can", "is", "are", "do", "does", "i", "my":
		return true
	}
	for _, w := range words {
		switch strings.Trim(w, ".,:;!\"'()") {
		case "won't", "wont", "can't", "cant", "not", "no", "isn't", "doesn't", "keeps", "is", "are", "shows", "stuck", "broken", "slow", "fails", "missing", "locked":
			return true
		}
	}
	// An imperative ("Clear a paper jam", "Reset a forgotten password") is
	// the task people ask for; a title of two words or fewer is a topic.
	return len(words) > 2
}
