package knowledge

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// generatedKB builds n articles from a fixed vocabulary with a skewed word
// distribution, shaped like a real KB: a title, front-matter questions and
// a few sections of steps.
func generatedKB(n int) []*Article {
	r := rand.New(rand.NewSource(1))
	vocab := strings.Fields(`printer projector wifi password laptop chromebook screen sound
		microphone camera email calendar account login network cable hdmi adapter battery charger
		keyboard mouse trackpad update install restart settings display monitor speaker volume
		bluetooth browser google classroom drive document folder share permission teacher student
		room building badge phone voicemail copier scanner toner paper tray jam ink streak blurry
		frozen slow offline connect disconnect reset locked expired license software app portal
		grade attendance roster substitute testing canvas zoom meet teams slack backup restore`)
	// A real KB of 1,000 articles uses some 20,000 distinct words, most of
	// them rare: made-up words fill the long tail, Zipf-distributed.
	for len(vocab) < 20000 {
		n := 4 + r.Intn(7)
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.Intn(26))
		}
		vocab = append(vocab, string(b))
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	word := func() string { return vocab[zipf.Uint64()] }
	sentence := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = word()
		}
		return strings.Join(w, " ")
	}
	arts := make([]*Article, n)
	for i := range arts {
		a := &Article{
			Path:      fmt.Sprintf("topic%02d/article-%04d.md", i%40, i),
			Title:     sentence(5),
			Questions: []string{sentence(7), sentence(6)},
			Keywords:  strings.Fields(sentence(4)),
			Audience:  "staff",
		}
		for s := 0; s < 4; s++ {
			var steps []string
			for k := 1; k <= 5; k++ {
				steps = append(steps, fmt.Sprintf("%d. %s.", k, sentence(12)))
			}
			a.Sections = append(a.Sections, Section{Heading: sentence(3), Level: 2, Text: strings.Join(steps, "\n")})
		}
		arts[i] = a
	}
	return arts
}

func BenchmarkBuild(b *testing.B) {
	arts := generatedKB(1000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(arts)
	}
	// Memory the index keeps (the articles themselves excluded).
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := NewIndex(arts)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "index-MB")
	runtime.KeepAlive(ix)
}

func BenchmarkSearch(b *testing.B) {
	ix := NewIndex(generatedKB(1000))
	queries := []string{
		"the projector wont show my laptop screen over hdmi",
		"printer jammed again in room 12",
		"how do I reset my password, my account is locked",
		"wifi keeps disconnecting on the chromebook",
		"microphone not working in zoom",
		"can I get a parking pass for the staff lot",
		"pritner tonre streaks", // typos
		"sound",
	}
	b.ReportAllocs()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		ix.Search(queries[i%len(queries)], SearchOptions{})
		lat = append(lat, time.Since(t0))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
