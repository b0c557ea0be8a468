// Command gen writes the WordNet synonym table the ranking uses
// (../wordnet.txt.gz) from a Princeton WordNet 3.0 installation:
//
//	apt-get install wordnet-base
//	go run ./knowledge/internal/wordnet/gen [-dict /usr/share/wordnet] [-senses 2] [-out knowledge/internal/wordnet/wordnet.txt.gz]
//
// For each single-word lemma it keeps the first sense of each part of
// speech, and further senses up to -senses while the tagged corpus saw them
// (WordNet orders senses by frequency; untagged senses are rare ones), and
// lists the other single words of those synsets; for verbs, after a "|",
// the single words of the direct hypernyms. Lines starting with "~" are the
// irregular forms of lemmas in the table ("ran run").
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

type synset struct {
	words  []string
	hypers []uint32 // direct hypernym offsets, same part of speech
}

func main() {
	dict := flag.String("dict", "/usr/share/wordnet", "WordNet dict directory")
	senses := flag.Int("senses", 2, "senses per lemma and part of speech at most")
	out := flag.String("out", "knowledge/internal/wordnet/wordnet.txt.gz", "output file")
	flag.Parse()

	syn := map[string][]string{}   // lemma → synonyms, in sense order
	hyper := map[string][]string{} // lemma → verb hypernyms
	add := func(m map[string][]string, k string, ws []string) {
		for _, w := range ws {
			if w == k || slices.Contains(m[k], w) {
				continue
			}
			m[k] = append(m[k], w)
		}
	}
	for _, pos := range []string{"noun", "verb", "adj", "adv"} {
		data := readData(filepath.Join(*dict, "data."+pos))
		f, err := os.Open(filepath.Join(*dict, "index."+pos))
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, " ") {
				continue // licence header
			}
			fs := strings.Fields(line)
			lemma := fs[0]
			if !single(lemma) {
				continue
			}
			nsyn, _ := strconv.Atoi(fs[2])
			np, _ := strconv.Atoi(fs[3])
			tagged, _ := strconv.Atoi(fs[5+np])
			offs := fs[6+np:]
			if len(offs) != nsyn {
				log.Fatalf("bad index line %q", line)
			}
			n := min(max(tagged, 1), *senses, len(offs))
			for _, o := range offs[:n] {
				off, _ := strconv.ParseUint(o, 10, 32)
				ss := data[uint32(off)]
				add(syn, lemma, ss.words)
				if pos == "verb" {
					for _, h := range ss.hypers {
						add(hyper, lemma, data[h].words)
					}
				}
			}
		}
		f.Close()
	}

	var keys []string
	for k := range syn {
		if len(syn[k]) > 0 || len(hyper[k]) > 0 {
			keys = append(keys, k)
		}
	}
	for k := range hyper {
		if len(syn[k]) == 0 && len(hyper[k]) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)

	fo, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(fo, gzip.BestCompression)
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "# Generated from Princeton WordNet 3.0 by knowledge/internal/wordnet/gen -senses %d; see LICENSE.\n", *senses)
	for _, k := range keys {
		fmt.Fprintf(w, "%s %s", k, strings.Join(syn[k], " "))
		if len(hyper[k]) > 0 {
			fmt.Fprintf(w, " | %s", strings.Join(hyper[k], " "))
		}
		w.WriteByte('\n')
	}
	// Irregular forms whose base form is in the table.
	inTable := map[string]bool{}
	for _, k := range keys {
		inTable[k] = true
	}
	exc := map[string]string{}
	for _, pos := range []string{"noun", "verb", "adj", "adv"} {
		f, err := os.Open(filepath.Join(*dict, pos+".exc"))
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 2 || !single(fs[0]) || exc[fs[0]] != "" || inTable[fs[0]] {
				continue
			}
			if inTable[fs[1]] {
				exc[fs[0]] = fs[1]
			}
		}
		f.Close()
	}
	var forms []string
	for k := range exc {
		forms = append(forms, k)
	}
	sort.Strings(forms)
	for _, k := range forms {
		fmt.Fprintf(w, "~%s %s\n", k, exc[k])
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := fo.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d lemmas, %d irregular forms", len(keys), len(forms))
}

// single reports whether a lemma is one plain lowercase word.
func single(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, r := range w {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

// readData reads a data.<pos> file: each synset's single-word members
// (lowercased; proper nouns dropped) and its direct hypernyms.
func readData(path string) map[uint32]synset {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m := map[uint32]synset{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") {
			continue
		}
		if i := strings.Index(line, " | "); i >= 0 {
			line = line[:i] // gloss
		}
		fs := strings.Fields(line)
		off, _ := strconv.ParseUint(fs[0], 10, 32)
		nw, _ := strconv.ParseUint(fs[3], 16, 8)
		var ss synset
		for i := 0; i < int(nw); i++ {
			w := fs[4+2*i]
			if j := strings.IndexByte(w, '('); j > 0 {
				w = w[:j] // adjective marker: "(a)", "(p)", "(ip)"
			}
			if single(w) {
				ss.words = append(ss.words, w)
			}
		}
		p := 4 + 2*int(nw)
		np, _ := strconv.Atoi(fs[p])
		for i := 0; i < np; i++ {
			sym, o := fs[p+1+4*i], fs[p+2+4*i]
			if sym == "@" {
				h, _ := strconv.ParseUint(o, 10, 32)
				ss.hypers = append(ss.hypers, uint32(h))
			}
		}
		m[uint32(off)] = ss
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return m
}
