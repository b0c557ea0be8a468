// Command gen writes the British → American spelling table the analyzer
// uses (../variants.txt) from SCOWL, the Spell Checker Oriented Word Lists:
//
//	apt-get install scowl
//	go run ./knowledge/internal/spelling/gen [-dir /usr/share/dict/scowl] [-size 70] [-out knowledge/internal/spelling/variants.txt]
//
// SCOWL lists the words spelled one way only in British, Canadian or
// Australian English ("colour", "organise", "centre", "travelled") apart
// from the American-only ones ("color", "organize", "center", "traveled").
// A variant is paired with an American word when at most two of the usual
// spelling rewrites (our→or, is→iz, ys→yz, re→er at the end, ogue→og,
// ll→l and l→ll, ence→ense, ae/oe→e, mme→m, eing→ing, oul→ol, yre→ire,
// ough→ow, que→ck, ey→ay, ium→um, ise→ice) turn one into the other. No
// word is chosen by hand.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// rewrites turn a British spelling toward the American one. Each applies
// at one place in the word at a time.
var rewrites = []struct{ from, to string }{
	{"our", "or"},
	{"is", "iz"},
	{"ys", "yz"},
	{"tre", "ter"},
	{"bre", "ber"},
	{"ogue", "og"},
	{"ll", "l"},
	{"ence", "ense"},
	{"ae", "e"},
	{"oe", "e"},
	{"mme", "m"},
	{"eing", "ing"},
	{"ement", "ment"},
	{"l", "ll"},
	{"oul", "ol"},
	{"yre", "ire"},
	{"ough", "ow"},
	{"que", "ck"},
	{"ey", "ay"},
	{"ium", "um"},
	{"ise", "ice"},
}

func main() {
	dir := flag.String("dir", "/usr/share/dict/scowl", "SCOWL final/ word lists")
	size := flag.Int("size", 70, "largest SCOWL size to read (10–95)")
	out := flag.String("out", "knowledge/internal/spelling/variants.txt", "output file")
	flag.Parse()

	american := map[string]bool{}
	variant := map[string]bool{}
	names, err := filepath.Glob(filepath.Join(*dir, "*-words.*"))
	if err != nil || len(names) == 0 {
		log.Fatalf("no SCOWL word lists in %s", *dir)
	}
	for _, name := range names {
		base := filepath.Base(name)
		cat, sz, _ := strings.Cut(base, "-words.")
		n, err := strconv.Atoi(sz)
		if err != nil || n > *size {
			continue
		}
		var into map[string]bool
		switch cat {
		case "american", "english":
			into = american
		case "british", "british_z", "canadian", "australian":
			into = variant
		default:
			continue // variant_N lists hold rare alternatives of either side
		}
		readWords(name, into)
	}

	pairs := map[string]string{}
	for w := range variant {
		if american[w] {
			continue
		}
		if a := find(w, american); a != "" {
			pairs[w] = a
		}
	}
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# British, Canadian and Australian spellings and their American forms,\n# generated from SCOWL (size %d) by gen/; see LICENSE.\n", *size)
	for _, k := range keys {
		fmt.Fprintf(w, "%s %s\n", k, pairs[k])
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d pairs from %d variant and %d American words", len(pairs), len(variant), len(american))
}

// readWords adds the plain lowercase words of a list (no possessives, no
// capitals: those are names) to into.
func readWords(name string, into map[string]bool) {
	f, err := os.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w == "" || strings.ContainsAny(w, "'-. ") || strings.ToLower(w) != w || !ascii(w) {
			continue
		}
		into[w] = true
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
}

func ascii(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// find returns the American word at most two rewrites away from w, or "".
// When several are, the one fewest rewrites away wins, then the one whose
// least reliable rewrite comes earliest in rewrites ("cicatrises" is
// "cicatrizes", not "cicatrices"), then the first in alphabetical order,
// so the output does not depend on map order.
func find(w string, american map[string]bool) string {
	type form struct {
		s    string
		rank int // the latest rewrite used, by its index in rewrites
	}
	level := []form{{w, -1}}
	for step := 0; step < 2; step++ {
		var next, hits []form
		for _, f := range level {
			s := f.s
			for ri, r := range rewrites {
				for i := 0; ; {
					j := strings.Index(s[i:], r.from)
					if j < 0 {
						break
					}
					j += i
					i = j + 1
					// "re" → "er" only at the end of a word or before a
					// suffix that keeps it ("centres", "centred").
					if r.from == "tre" || r.from == "bre" {
						if rest := s[j+len(r.from):]; rest != "" && rest != "s" && rest != "d" {
							continue
						}
					}
					c := form{s[:j] + r.to + s[j+len(r.from):], max(f.rank, ri)}
					if american[c.s] {
						hits = append(hits, c)
					}
					next = append(next, c)
				}
			}
		}
		if len(hits) > 0 {
			sort.Slice(hits, func(a, b int) bool {
				if hits[a].rank != hits[b].rank {
					return hits[a].rank < hits[b].rank
				}
				return hits[a].s < hits[b].s
			})
			return hits[0].s
		}
		level = next
	}
	return ""
}
