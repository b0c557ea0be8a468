package knowledge

import (
	"strings"
	"sync"
	"testing"

	"github.com/helpbot/helpbot/bot"
)

func TestSearchFindsParaphrases(t *testing.T) {
	ix := loadTestKB(t)
	tests := []struct {
		q    string
		want string
	}{
		{"projector says no signal", "classroom/projector-no-signal.md"},
		{"my laptop screen won't show on the projector", "classroom/projector-no-signal.md"},
		{"the wifi keeps cutting out", "network/wifi-drops.md"},
		{"wireless network disconnects all the time", "network/wifi-drops.md"},
		{"I forgot my password", "accounts/password-reset.md"},
		{"printer jammed", "printing/paper-jam.md"},
		{"paper stuck in the printer tray", "printing/paper-jam.md"},
		{"prints come out faint", "printing/toner.md"},
		{"how do I strike through text in gmail", "faq/strikethrough.md"},
		{"the doc cam picture is blurry", "classroom/document-camera.md"},
		{"battery runs out fast on my laptop", "guides/laptops/windows/battery.md"},
		{"PASSWORD!!", "accounts/password-reset.md"},
		{"my pasword is forgoten", "accounts/password-reset.md"}, // typos
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			hits := ix.Search(tt.q, SearchOptions{})
			if len(hits) == 0 || hits[0].Article.Path != tt.want {
				t.Errorf("Search(%q) = %v; want %s first", tt.q, paths(hits), tt.want)
			}
		})
	}
}

func TestSearchReturnsBestSection(t *testing.T) {
	ix := loadTestKB(t)
	hits := ix.Search("windows key P duplicate", SearchOptions{})
	if len(hits) == 0 || hits[0].Section.Heading != "Check the laptop" {
		t.Fatalf("best section = %+v; want Check the laptop", hits)
	}
	if got := hits[0].Source(); got.Section != "Check the laptop" || got.Path != "classroom/projector-no-signal.md" ||
		got.URL != "https://help.example.org/projector" || got.Version == "" {
		t.Errorf("Source() = %+v", got)
	}
}

func TestSearchHidesTechArticlesFromStaff(t *testing.T) {
	ix := loadTestKB(t)
	const q = "reboot the network switch in the closet"
	for _, aud := range []bot.Audience{bot.AudienceStaff, "", "student"} {
		for _, h := range ix.Search(q, SearchOptions{K: 10, Audience: aud}) {
			if h.Article.Audience == bot.AudienceTech {
				t.Errorf("audience %q was shown tech article %s", aud, h.Article.Path)
			}
		}
	}
	hits := ix.Search(q, SearchOptions{Audience: bot.AudienceTech})
	if len(hits) == 0 || hits[0].Article.Path != "tech/switch-reboot.md" {
		t.Errorf("tech search = %v; want tech/switch-reboot.md first", paths(hits))
	}
}

func TestConfidence(t *testing.T) {
	ix := loadTestKB(t)
	top := func(q string) float64 {
		hits := ix.Search(q, SearchOptions{})
		if len(hits) == 0 {
			return 0
		}
		return hits[0].Confidence
	}
	clear := []string{"projector shows no signal", "how do I reset my password", "clear a paper jam"}
	unrelated := []string{"how do I order new textbooks", "parking pass for the staff lot", "the heat in room 5 is broken", "zzzz qqqq"}
	for _, q := range clear {
		if c := top(q); c < DefaultThreshold {
			t.Errorf("confidence(%q) = %.2f; want ≥ %.2f", q, c, DefaultThreshold)
		}
	}
	for _, q := range unrelated {
		if c := top(q); c >= DefaultThreshold {
			t.Errorf("confidence(%q) = %.2f; want < %.2f", q, c, DefaultThreshold)
		}
	}
	if c1, c2 := top("projector no signal"), top("projector remote batteries for the gym"); c1 <= c2 {
		t.Errorf("clear match %.2f not above partial match %.2f", c1, c2)
	}
	for _, h := range ix.Search("projector input", SearchOptions{K: 10}) {
		if h.Confidence < 0 || h.Confidence > 1 {
			t.Errorf("confidence %v out of 0..1", h.Confidence)
		}
	}
}

func TestSearchOptionsAndEdgeCases(t *testing.T) {
	ix := loadTestKB(t)
	if got := len(ix.Search("printer", SearchOptions{})); got > 3 || got == 0 {
		t.Errorf("default K: got %d hits; want 1..3", got)
	}
	if got := len(ix.Search("printer paper toner", SearchOptions{K: 1})); got != 1 {
		t.Errorf("K=1: got %d hits", got)
	}
	for _, q := range []string{"", "   ", "the and of", "!!!", "\u200b"} {
		if hits := ix.Search(q, SearchOptions{}); len(hits) != 0 {
			t.Errorf("Search(%q) = %v; want nothing", q, paths(hits))
		}
	}
	empty := NewIndex(nil)
	if hits := empty.Search("printer", SearchOptions{}); len(hits) != 0 {
		t.Errorf("empty index returned %v", hits)
	}
}

func TestLibraryConcurrentSearchAndSwap(t *testing.T) {
	lib := NewLibrary(loadTestKB(t))
	other := NewIndex(nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if i == 0 && j%10 == 0 {
					lib.Swap(other)
					lib.Swap(loadTestKB(t))
				}
				lib.Search("projector no signal", SearchOptions{})
			}
		}(i)
	}
	wg.Wait()
	if hits := lib.Search("projector no signal", SearchOptions{}); len(hits) == 0 {
		t.Error("library lost its index")
	}
	if NewLibrary(nil).Index() == nil {
		t.Error("NewLibrary(nil).Index() = nil; want an empty index")
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Wi-Fi isn't working", []string{"wi", "fi", "wifi", "isnt", "working"}},
		{"Café NAÏVE", []string{"café", "naïve"}},
		{"e-mail: x@y.org", []string{"e", "mail", "email", "x", "y", "org"}},
		{"teacher’s laptop", []string{"teachers", "laptop"}},
		{"Привет мир", []string{"привет", "мир"}},
		// "IT" the department, unless the whole message is in capitals.
		{"call IT about it", []string{"call", "itdept", "about", "it"}},
		{"IT WONT TURN ON", []string{"it", "wont", "turn", "on"}},
	}
	for _, tt := range tests {
		var got []string
		tokenize(tt.in, func(w string) { got = append(got, w) })
		if len(got) != len(tt.want) {
			t.Errorf("tokenize(%q) = %q; want %q", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("tokenize(%q) = %q; want %q", tt.in, got, tt.want)
				break
			}
		}
	}
	if got := analyze("How do I print the documents?"); len(got) != 2 || got[0] != "print" || got[1] != "document" {
		t.Errorf("analyze = %q; want [print document]", got)
	}
}

func TestSearchLongQueryIsBounded(t *testing.T) {
	ix := loadTestKB(t)
	long := strings.Repeat("projector qwzrtx ", 5000)
	if q := ix.parseQuery(long); len(q.groups) > maxQueryWords {
		t.Errorf("%d query words kept; want at most %d", len(q.groups), maxQueryWords)
	}
	if hits := ix.Search(long, SearchOptions{}); len(hits) == 0 || hits[0].Article.Path != "classroom/projector-no-signal.md" {
		t.Errorf("long query hits = %v", paths(hits))
	}
}

// A question asked with "where" (or "who", "when", …) prefers the article
// whose title asks it the same way, when the content words tie.
func TestQuestionWordMatch(t *testing.T) {
	ix, probs := LoadFS(mapFS(map[string]string{
		"see.md":     "# Show archived email\n\nOpen All Mail.\n",
		"where.md":   "# Where is archived email stored?\n\nIn All Mail.\n",
		"printer.md": "# Printer is offline\n\nTurn the printer off and on.\n",
		"wifi.md":    "# Wifi keeps dropping\n\nForget the network and join it again.\n",
	}))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	for q, want := range map[string]string{
		"where is my archived email": "where.md",
		"show me my archived email":  "see.md",
	} {
		if hits := ix.Search(q, SearchOptions{}); len(hits) == 0 || hits[0].Article.Path != want {
			t.Errorf("Search(%q) = %v; want %s first", q, paths(hits), want)
		}
	}
	if whMask("Where do my emails go?") != whWords["where"] || whMask("how do I print") != 0 {
		t.Errorf("whMask: %d, %d", whMask("Where do my emails go?"), whMask("how do I print"))
	}
}

// The KB teaches its own associations: a word found in the articles about
// X stands a little for X, as extra evidence that never counts as a word
// of the question.
func TestAssociationsFromKB(t *testing.T) {
	files := map[string]string{
		"export.md": "# Export your tweets\n\nOn Twitter, open Settings and ask for your archive.\n",
		"delete.md": "# Delete old tweets\n\nTwitter keeps every post until you delete it.\n",
		"follow.md": "# Follow an account\n\nOpen the Twitter profile and press Follow.\n",
	}
	for _, w := range strings.Fields("printer projector wifi password laptop speaker camera scanner badge phone") {
		files[w+".md"] = "# " + w + " problems\n\nRestart the " + w + ".\n"
	}
	ix, probs := LoadFS(mapFS(files))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	q := ix.parseQuery("keep a copy of my twitter posts")
	i, ok := q.byStem["tweet"]
	if !ok || q.terms[i].group != -1 || q.terms[i].weight >= 1 {
		t.Fatalf("query terms %s; want tweet as an association (no group, weight < 1)", q)
	}
	if hits := ix.Search("keep a copy of my twitter posts", SearchOptions{}); len(hits) == 0 || hits[0].Article.Path == "follow.md" {
		t.Errorf("hits = %v; want a tweets article first", paths(hits))
	}
}

// General English synonyms from WordNet bridge a question to an article
// written in other words ("cease" → "stop"), as extra evidence that never
// counts as a word of the question.
func TestWordNetSynonyms(t *testing.T) {
	ix, probs := LoadFS(mapFS(map[string]string{
		"stop.md":    "# Stop your subscription\n\nOpen Billing and choose Stop.\n",
		"pause.md":   "# Pause your subscription\n\nOpen Billing and choose Pause for up to a month.\n",
		"invoice.md": "# Download an invoice\n\nOpen Billing and choose Invoices.\n",
		"printer.md": "# Printer is offline\n\nTurn the printer off and on.\n",
	}))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	const q = "how do I cease my subscription"
	pq := ix.parseQuery(q)
	i, ok := pq.byStem[stem("stop")]
	if !ok || pq.terms[i].group != -1 || pq.terms[i].weight >= 1 {
		t.Fatalf("query terms %s; want stop as a WordNet synonym (no group, weight < 1)", pq)
	}
	if hits := ix.Search(q, SearchOptions{}); len(hits) == 0 || hits[0].Article.Path != "stop.md" {
		t.Errorf("Search(%q) = %v; want stop.md first", q, paths(hits))
	}
	ix.params.wordnetWeight = 0
	if pq := ix.parseQuery(q); hasStem(pq, "stop") {
		t.Errorf("wordnetWeight 0: query terms %s; want no WordNet synonyms", pq)
	}
}

func hasStem(q *query, w string) bool {
	_, ok := q.byStem[stem(w)]
	return ok
}

// kbOf indexes files (name → markdown); any loading problem fails the test.
func kbOf(t *testing.T, files map[string]string) *Index {
	t.Helper()
	ix, probs := LoadFS(mapFS(files))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	return ix
}

// wantFirst checks that each question ranks its article first and, when
// answered is set, that the bot is sure enough to give it as the answer.
func wantFirst(t *testing.T, ix *Index, cases map[string]string, answered bool) {
	t.Helper()
	for q, want := range cases {
		hits := ix.Search(q, SearchOptions{})
		if len(hits) == 0 || hits[0].Article.Path != want {
			t.Errorf("Search(%q) = %v; want %s first", q, paths(hits), want)
			continue
		}
		if answered && hits[0].Confidence < DefaultThreshold {
			t.Errorf("Search(%q): confidence %.2f; want an answer (≥ %.2f)", q, hits[0].Confidence, DefaultThreshold)
		}
	}
}

// The plural of an abbreviation has no vowel for Snowball to stem against:
// "PCs", "DVDs" and "PM's" must still find the article about a PC, a DVD,
// a PM, and the rule must not break words it should leave alone. (The
// articles tie on every other word, and the wrong ones sort first.)
func TestAbbreviationPlurals(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"a-mac.md":        "# Reimage a Mac\n\nHold Command-R while it starts.\n",
		"b-chromebook.md": "# Reimage a Chromebook\n\nPower wash it first.\n",
		"c-pc.md":         "# Reimage a PC\n\nBoot it from the network.\n",
		"d-dvd.md":        "# Reimage from a DVD\n\nBoot it from the drive.\n",
		"e-pm.md":         "# Reimage request by PM\n\nSend the tech a message.\n",
	})
	wantFirst(t, ix, map[string]string{
		"reimage the PCs":        "c-pc.md",
		"reimage with our DVDs":  "d-dvd.md",
		"I sent my reimage PM's": "e-pm.md",
	}, false)
	for w, want := range map[string]string{"pcs": "pc", "dvds": "dvd", "pms": "pm", "css": "css", "gps": "gp", "laptops": "laptop", "s": "s", "xs": "xs"} {
		if got := stem(w); got != want {
			t.Errorf("stem(%q) = %q; want %q", w, got, want)
		}
	}
}

// A district that writes "centre" and a teacher who types "center" (or the
// other way round) must meet: spellings are made American on both sides.
// The speller and WordNet found some variants before, at a lower weight,
// and counted them as words the KB does not know, so the bot was unsure
// and offered a tech: a variant must now be as good as the word.
func TestBritishAndAmericanSpellingsMeet(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"a-lab.md":       "# Media lab hours\n\nThe media lab opens at 8.\n",
		"b-center.md":    "# Media center hours\n\nThe media center opens at 7.\n",
		"c-hours.md":     "# Library hours\n\nThe library opens at 7.\n",
		"d-catalogue.md": "# Library catalogue\n\nSearch the catalogue from any Chromebook.\n",
	})
	wantFirst(t, ix, map[string]string{
		"when does the media centre open": "b-center.md",
		"media centre hours":              "b-center.md",
		"search the library catalog":      "d-catalogue.md",
		"library catalog":                 "d-catalogue.md",
	}, true)
	if stem("colour") != stem("color") || stem("organising") != stem("organizing") {
		t.Errorf("stems differ: %q %q, %q %q", stem("colour"), stem("color"), stem("organising"), stem("organizing"))
	}
}

// Staff words for things documentation names otherwise are built in: a
// "usb stick" is an external drive, "out loud" is aloud, letters typed
// "twice" are repeated keys. (Decoys sort first and share the other words.)
func TestStaffWordsMeetDocWords(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"a-files.md":   "# Copy files to the computer\n\nDrag them to your Documents folder.\n",
		"b-drive.md":   "# Safely remove an external drive\n\nEject it before you unplug it, so no files are lost.\n",
		"c-big.md":     "# Make text on the screen bigger\n\nOpen Accessibility and turn on Large Text.\n",
		"d-reader.md":  "# Read the screen aloud\n\nTurn on the screen reader in Accessibility.\n",
		"e-layout.md":  "# Use another keyboard layout\n\nAdd the layout under Keyboard settings.\n",
		"f-repeat.md":  "# Manage repeated key presses\n\nTurn off Repeat Keys under Keyboard settings.\n",
		"g-new.md":     "# New staff checklist\n\nYour accounts and laptop on your first day.\n",
		"h-leaving.md": "# Leaving the district: offboarding\n\nWhat happens to your accounts and laptop.\n",
		"k-volume.md":  "# Volume keys\n\nUse the keys with a speaker on them.\n",
		"l-alert.md":   "# Choose the alert sound\n\nPick another alert sound in Sound settings.\n",
	})
	wantFirst(t, ix, map[string]string{
		"how do I take out my usb stick without losing files":  "b-drive.md",
		"can the computer read the text out loud":              "d-reader.md",
		"my keyboard types letters twice":                      "f-repeat.md",
		"what happens to my accounts and laptop when I retire": "h-leaving.md",
		"turn off the ding":                                    "l-alert.md",
	}, false)
}

// Snowball keeps comparatives: "brighter" must still be the KB's
// "brightness", not a word the KB has never seen (which makes the bot
// unsure and offer a tech).
func TestComparativesMeetTheirAdjective(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"a-blank.md":  "# Set how long before the screen goes blank\n\nOpen Power settings and pick a time for the screen.\n",
		"b-bright.md": "# Set screen brightness\n\nOpen Displays and move the Brightness slider.\n",
		"c-res.md":    "# Change the screen resolution\n\nOpen Displays and pick a resolution.\n",
	})
	const q = "how do I set the screen brighter"
	wantFirst(t, ix, map[string]string{q: "b-bright.md"}, false)
	// Confidence counts the share of the question the KB has never heard
	// of; "brighter" is not part of it.
	if u := ix.parseQuery(q).unknown; u != 0 {
		t.Errorf("parseQuery(%q).unknown = %.2f; want 0", q, u)
	}
	for w, want := range map[string]string{"brighter": "bright", "brightest": "bright", "bigger": "", "resolutions": ""} {
		if got := ix.comparativeBase(w); got != want {
			t.Errorf("comparativeBase(%q) = %q; want %q", w, got, want)
		}
	}
}

// A synonym of a phrase stands for the phrase's words it does not repeat:
// "jam" for "paper stuck" covers "stuck", so the jam article covers the
// whole question, not only "paper" as the paper-size article does.
func TestPhraseSynonymCoversItsWords(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"a-size.md": "# Change the paper size when printing\n\nPick Letter or A4 in the print dialog.\n",
		"b-jam.md":  "# Clearing a paper jam\n\nOpen the printer's front door and pull the sheet out slowly.\n",
	})
	wantFirst(t, ix, map[string]string{"paper stuck in printer": "b-jam.md"}, false)
	q := ix.parseQuery("paper stuck in printer")
	if j, ok := q.byStem["jam"]; !ok || q.groups[q.terms[j].group].word != "stuck" {
		t.Errorf("parseQuery: %s; want jam~ standing for \"stuck\"", q)
	}
}

// The introduction's heading is the title: it must not win the section
// pick for a question that names one of the problems the title lists.
func TestSectionForOneOfTheTitlesProblems(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"camera.md": "# Document camera shows no image, is blurry or freezes\n\n" +
			"Document cameras connect by USB to your laptop or by HDMI to the panel. Check which cable your document camera uses.\n\n" +
			"## No image\n\n1. Check the camera's power light.\n2. Pick the camera in the camera app.\n\n" +
			"## Blurry picture\n\n1. Press the AF button on the camera.\n2. Wipe the lens.\n\n" +
			"## Picture freezes\n\n1. Unplug the camera and plug it back in.\n",
		"other.md": "# Projector shows no signal\n\nCheck the cable.\n",
		"mirror.md": "# Show your laptop on the projector\n\nWindows can show the same picture on both screens.\n\n" +
			"## Duplicate\n\n1. Press Windows+P and pick Duplicate.\n\n" +
			"## Slideshow shows on the wrong screen\n\n1. In PowerPoint, pick the monitor.\n",
	})
	for q, want := range map[string]string{
		"can you look at my document camera, it's blurry": "Blurry picture",
		"document camera freezes":                         "Picture freezes",
		// The introduction says "show" too: the question is about the
		// whole article, not the slideshow section.
		"the projector isn't showing my laptop": "Show your laptop on the projector",
	} {
		hits := ix.Search(q, SearchOptions{})
		if len(hits) == 0 || hits[0].Section == nil || hits[0].Section.Heading != want {
			got := "none"
			if len(hits) > 0 && hits[0].Section != nil {
				got = hits[0].Section.Heading
			}
			t.Errorf("Search(%q) shows section %q; want %q", q, got, want)
		}
	}
}

// "If it still doesn't work" is where to go after the steps before it, not
// where to start, unless the question says the person tried them.
func TestFallbackSectionOnlyWhenStill(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"sound.md": "# No sound through the classroom speakers\n\n" +
			"## Quick checks\n\n1. Turn the volume up on the speakers.\n2. Unmute the panel, so its sound goes to the speakers.\n\n" +
			"## If there's still no sound from the speakers\n\n1. Restart the laptop with the cable connected.\n2. Press Get a tech.\n",
		"other.md": "# Projector shows no signal\n\nCheck the cable.\n",
	})
	for q, want := range map[string]string{
		"no sound from the speakers":                     "Turn the volume up",
		"still no sound from the speakers, I tried that": "Restart the laptop",
	} {
		hits := ix.Search(q, SearchOptions{})
		if len(hits) == 0 {
			t.Fatalf("Search(%q): no hits", q)
		}
		// The first step shown is where the person starts.
		text, first := hits[0].Text(1000), ""
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "1. ") {
				first = line
				break
			}
		}
		if !strings.HasPrefix(first, "1. "+want) {
			t.Errorf("Search(%q) shows:\n%s\nwant its first step to be %q", q, text, want)
		}
	}
}

// The longest thesaurus match wins: inside "big screen" (a display), the
// synonyms of "big" alone ("large", "size") and its English synonyms do
// not apply.
func TestLongestSynonymMatchWins(t *testing.T) {
	ix := kbOf(t, map[string]string{
		"a.md": "# Make text larger\n\nChange the size of text.\n",
		"b.md": "# Show your laptop on the display\n\nPress Windows+P.\n",
	})
	q := ix.parseQuery("put my laptop on the big screen")
	for _, st := range []string{"larg", "size"} {
		if _, ok := q.byStem[st]; ok {
			t.Errorf("parseQuery: %s; want no %s~ inside \"big screen\"", q, st)
		}
	}
	if _, ok := q.byStem["display"]; !ok {
		t.Errorf("parseQuery: %s; want display~ for \"big screen\"", q)
	}
	if _, ok := ix.parseQuery("make the text big").byStem["larg"]; !ok {
		t.Error(`"big" on its own lost its synonym "large"`)
	}
}
