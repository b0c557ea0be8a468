package knowledge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/helpbot/helpbot/bot"
)

// maxArticleBytes caps one file: a KB article is a page, and a huge file is
// almost certainly a mistake (or an attempt to slow every search down).
const maxArticleBytes = 1 << 20

// LoadDir loads the KB under dir; see LoadFS.
func LoadDir(dir string) (*Index, []Problem) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		msg := "not a directory"
		if err != nil {
			msg = err.Error()
		}
		return NewIndex(nil), []Problem{{Path: dir, Message: fmt.Sprintf("load kb: %s", msg)}}
	}
	return LoadFS(os.DirFS(dir))
}

// LoadFS loads every .md article under the root of fsys (recursively) and
// indexes it. Files that cannot be loaded are reported as Problems and left
// out; they never stop the rest of the KB from loading.
//
// An optional synonyms.yaml at the root adds the KB's own vocabulary:
// "groups:" and under it a list of groups, each a list (or comma-separated
// line) of words or phrases that mean the same thing, e.g.
// "- [smartboard, interactive panel, promethean]".
func LoadFS(fsys fs.FS) (*Index, []Problem) {
	arts, probs := ReadArticles(fsys)
	syn, prob := ReadSynonyms(fsys)
	if prob != nil {
		probs = append(probs, *prob)
	}
	return BuildIndex(arts, IndexOptions{Synonyms: syn}), probs
}

// SynonymsFile is the optional synonyms list at the root of a KB.
const SynonymsFile = "synonyms.yaml"

// ReadSynonyms reads SynonymsFile if fsys has one; a broken file is a
// Problem and no synonyms.
func ReadSynonyms(fsys fs.FS) ([][]string, *Problem) {
	src, err := fs.ReadFile(fsys, SynonymsFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &Problem{Path: SynonymsFile, Message: fmt.Sprintf("unreadable: %v", unwrapPathError(err))}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		return nil, &Problem{Path: SynonymsFile, Line: line, Message: msg}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	// "groups: [...]" is the documented layout; a bare list of groups and a
	// word → synonyms map are accepted too.
	if root.Kind == yaml.MappingNode && len(root.Content) == 2 && root.Content[0].Value == "groups" {
		root = root.Content[1]
	}
	var groups [][]string
	add := func(key string, v *yaml.Node) *Problem {
		g, err := decodeList(v)
		if err != nil {
			return &Problem{Path: SynonymsFile, Line: v.Line, Message: "want a list of words or phrases"}
		}
		if key != "" {
			g = append([]string{key}, g...)
		}
		if g = cleanList(g); len(g) > 1 {
			groups = append(groups, g)
		}
		return nil
	}
	switch root.Kind {
	case yaml.SequenceNode:
		for _, v := range root.Content {
			if p := add("", v); p != nil {
				return nil, p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(root.Content); i += 2 {
			if p := add(root.Content[i].Value, root.Content[i+1]); p != nil {
				return nil, p
			}
		}
	default:
		return nil, &Problem{Path: SynonymsFile, Line: root.Line, Message: "want a list of synonym groups"}
	}
	return groups, nil
}

// ReadArticles reads and parses every article under fsys, sorted by path.
func ReadArticles(fsys fs.FS) ([]*Article, []Problem) {
	docs, _, probs := readKB(fsys)
	arts := make([]*Article, 0, len(docs))
	for _, d := range docs {
		arts = append(arts, d.article)
	}
	return arts, probs
}

// parsed is one article plus what only `kb check` cares about.
type parsed struct {
	article   *Article
	titleLine int
	warnings  []Problem // loadable, but worth fixing
	links     []link    // relative links to other .md files, checked once all are known
}

type link struct {
	line   int
	target string // slash path relative to the KB root
}

// readKB walks fsys and parses every article; the order is by path so
// loading the same files twice gives the same index. files lists every
// markdown file seen, loadable or not, for checking links.
func readKB(fsys fs.FS) (docs []parsed, files map[string]bool, probs []Problem) {
	files = map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			probs = append(probs, Problem{Path: p, Message: fmt.Sprintf("unreadable: %v", unwrapPathError(err))})
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			// .git, .github and the like are never articles.
			if p != "." && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if strings.EqualFold(path.Ext(name), ".md") {
			files[p] = true
		}
		if !isArticleName(name) {
			return nil
		}
		src, err := readFile(fsys, p)
		if err != nil {
			probs = append(probs, Problem{Path: p, Message: err.Error()})
			return nil
		}
		doc, prob := parseArticle(p, src)
		if prob != nil {
			probs = append(probs, *prob)
			return nil
		}
		docs = append(docs, doc)
		return nil
	})
	if err != nil {
		probs = append(probs, Problem{Path: ".", Message: fmt.Sprintf("load kb: %v", err)})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].article.Path < docs[j].article.Path })
	return docs, files, probs
}

// isArticleName reports whether a file is a KB article: markdown, not hidden,
// and not the repository furniture (README, LICENSE…) that KB folders carry.
func isArticleName(name string) bool {
	if strings.HasPrefix(name, ".") || !strings.EqualFold(path.Ext(name), ".md") {
		return false
	}
	switch strings.ToUpper(strings.TrimSuffix(name, path.Ext(name))) {
	case "README", "LICENSE", "LICENCE", "CONTRIBUTING", "CHANGELOG", "CODE_OF_CONDUCT":
		return false
	}
	return true
}

func readFile(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("unreadable: %v", unwrapPathError(err))
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxArticleBytes+1)); err != nil {
		return nil, fmt.Errorf("unreadable: %v", unwrapPathError(err))
	}
	if buf.Len() > maxArticleBytes {
		return nil, fmt.Errorf("file is larger than %d KiB; split it into several articles", maxArticleBytes>>10)
	}
	return buf.Bytes(), nil
}

// unwrapPathError drops the path from an fs error: Problems already name it.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// frontMatter is the optional YAML header of an article.
type frontMatter struct {
	Title     string
	Keywords  []string
	Questions []string
	Summary   string
	Audience  string
	URL       string
	Owner     string
	Updated   string
}

var knownKeys = map[string]bool{
	"title": true, "keywords": true, "questions": true, "summary": true,
	"audience": true, "url": true, "owner": true, "updated": true,
}

// parseArticle turns one file into an Article. A non-nil Problem means the
// file is broken and must not be served.
func parseArticle(p string, src []byte) (parsed, *Problem) {
	fail := func(line int, format string, args ...any) (parsed, *Problem) {
		return parsed{}, &Problem{Path: p, Line: line, Message: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(src) {
		line := 1 + bytes.Count(src[:firstInvalidUTF8(src)], []byte("\n"))
		return fail(line, "invalid UTF-8 (save the file as UTF-8)")
	}
	sum := sha256.Sum256(src)
	text := strings.TrimPrefix(string(src), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")

	var (
		fm        frontMatter
		warnings  []Problem
		titleLine int
	)
	for i, l := range lines {
		if j := strings.IndexFunc(l, isHidden); j >= 0 && !(i == 0 && j == 0 && strings.HasPrefix(l, "\uFEFF")) {
			r, _ := utf8.DecodeRuneInString(l[j:])
			warnings = append(warnings, Problem{Path: p, Line: i + 1, Message: fmt.Sprintf("hidden character U+%04X: invisible to reviewers, removed from answers", r)})
		}
	}
	if len(lines) > 0 && strings.TrimRight(lines[0], " \t") == "---" {
		end := -1
		for i := 1; i < len(lines); i++ {
			if l := strings.TrimRight(lines[i], " \t"); l == "---" || l == "..." {
				end = i
				break
			}
		}
		if end < 0 {
			return fail(1, "front matter is not closed: add a line with --- after it")
		}
		var err error
		var fmWarnings []Problem
		fm, fmWarnings, titleLine, err = parseFrontMatter(p, strings.Join(lines[1:end], "\n"), 1)
		if err != nil {
			return parsed{}, err.(*Problem)
		}
		warnings = append(warnings, fmWarnings...)
		// Blank the header rather than cut it, so goldmark's offsets still
		// give the file's own line numbers.
		for i := 0; i <= end; i++ {
			lines[i] = ""
		}
	}
	summary := stripSourceLines(lines)

	r := newRenderer(p, []byte(strings.Join(lines, "\n")))
	secs, h1, h1Line := r.sections()
	warnings = append(warnings, r.warnings...)

	a := &Article{
		Path:      p,
		Title:     cleanText(fm.Title),
		Keywords:  cleanList(fm.Keywords),
		Questions: cleanList(fm.Questions),
		Summary:   cleanText(fm.Summary),
		Audience:  bot.AudienceStaff,
		URL:       strings.TrimSpace(fm.URL),
		Owner:     cleanText(fm.Owner),
		Updated:   strings.TrimSpace(fm.Updated),
		Version:   hex.EncodeToString(sum[:6]),
		Sections:  secs,
	}
	if a.Summary == "" {
		a.Summary = summary
	}
	if fm.Audience != "" {
		a.Audience = bot.Audience(fm.Audience)
	}
	if a.Title == "" {
		a.Title, titleLine = h1, h1Line
	}
	if a.Title == "" {
		a.Title = humanise(path.Base(p))
		warnings = append(warnings, Problem{Path: p, Line: 1, Message: "no title: add a '# Title' line or a title in front matter"})
	}
	hasText := false
	for _, s := range secs {
		if s.Text != "" {
			hasText = true
			break
		}
	}
	if !hasText {
		return fail(1, "empty article: nothing to show under the title")
	}
	return parsed{article: a, titleLine: max(titleLine, 1), warnings: warnings, links: r.links}, nil
}

// parseFrontMatter decodes the YAML header. first is the line number of the
// opening --- so errors point at the right line of the file.
func parseFrontMatter(p, src string, first int) (fm frontMatter, warnings []Problem, titleLine int, err error) {
	bad := func(line int, format string, args ...any) (frontMatter, []Problem, int, error) {
		return fm, nil, 0, &Problem{Path: p, Line: line, Message: "front matter: " + fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(src) == "" {
		return fm, nil, 0, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		line, msg := yamlErrorLine(err)
		// Errors found at the end of the text point past it; the last
		// line of the front matter is where the reader should look.
		line = min(max(line, 1), strings.Count(src, "\n")+1)
		return bad(first+line, "%s", msg)
	}
	if len(doc.Content) == 0 {
		return fm, nil, 0, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return bad(first+root.Line, "want key: value lines (title:, keywords:, questions:…)")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		line := first + k.Line
		if seen[strings.ToLower(k.Value)] {
			return bad(line, "%q appears twice", k.Value)
		}
		seen[strings.ToLower(k.Value)] = true
		var err error
		switch key := strings.ToLower(k.Value); key {
		case "title":
			err = decodeScalar(v, &fm.Title)
			titleLine = line
		case "summary":
			err = decodeScalar(v, &fm.Summary)
		case "audience":
			err = decodeScalar(v, &fm.Audience)
			fm.Audience = strings.ToLower(strings.TrimSpace(fm.Audience))
			// A typo must not quietly show a tech article to staff.
			if err == nil && fm.Audience != string(bot.AudienceStaff) && fm.Audience != string(bot.AudienceTech) {
				return bad(first+v.Line, "audience %q: want staff or tech", fm.Audience)
			}
		case "url":
			err = decodeScalar(v, &fm.URL)
		case "owner":
			err = decodeScalar(v, &fm.Owner)
		case "updated":
			err = decodeScalar(v, &fm.Updated)
		case "keywords":
			fm.Keywords, err = decodeList(v)
		case "questions":
			fm.Questions, err = decodeList(v)
		default:
			warnings = append(warnings, Problem{Path: p, Line: line, Message: fmt.Sprintf("front matter: unknown key %q (ignored)", k.Value)})
			continue
		}
		if err != nil {
			return bad(first+v.Line, "%s: %v", k.Value, err)
		}
	}
	return fm, warnings, titleLine, nil
}

var errNotScalar = fmt.Errorf("want a single value")

func decodeScalar(v *yaml.Node, out *string) error {
	if v.Kind != yaml.ScalarNode {
		return errNotScalar
	}
	if v.Tag == "!!null" {
		return nil
	}
	*out = v.Value
	return nil
}

// decodeList accepts a YAML list or, forgivingly, one comma-separated line.
func decodeList(v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return strings.Split(v.Value, ","), nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, c := range v.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: want a list of words or phrases", c.Line)
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list")
}

var (
	yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)
	// yaml.v3 reports parser errors with a 0-based line and scanner errors
	// with a 1-based one; these are the parser's messages.
	yamlParserErrRE = regexp.MustCompile(`^did not find expected (<document start>|node content|key|'-' indicator|',' or '[\]}]')`)
)

// yamlErrorLine pulls the 1-based line number (within the YAML text) out of
// a yaml.v3 syntax error.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		if yamlParserErrRE.MatchString(msg) {
			n++
		}
		return n, msg
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

var metaLineRE = regexp.MustCompile(`(?i)^(source|license|licence|summary):\s*(.*)$`)

// stripSourceLines blanks the provenance lines that imported KBs carry:
// "source:"/"license:"/"summary:" lines just under the title, and a trailing
// "---" rule followed by "source:" lines. The summary is returned so it can
// be searched; provenance is not something a teacher needs to read.
func stripSourceLines(lines []string) (summary string) {
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i < len(lines) && strings.HasPrefix(lines[i], "# ") {
		i++
	}
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		m := metaLineRE.FindStringSubmatch(l)
		if m == nil {
			break
		}
		if strings.EqualFold(m[1], "summary") {
			summary = cleanText(m[2])
		}
		lines[i] = ""
	}

	// Trailing block: a rule, then only source:/license: lines.
	end := len(lines) - 1
	for end >= 0 && strings.TrimSpace(lines[end]) == "" {
		end--
	}
	j := end
	for j >= 0 {
		m := metaLineRE.FindStringSubmatch(strings.TrimSpace(lines[j]))
		if m == nil || strings.EqualFold(m[1], "summary") {
			break
		}
		j--
	}
	if j < end && j >= 0 && isRule(lines[j]) {
		for k := j; k <= end; k++ {
			lines[k] = ""
		}
	}
	return summary
}

func isRule(l string) bool {
	l = strings.ReplaceAll(strings.TrimSpace(l), " ", "")
	if len(l) < 3 {
		return false
	}
	return strings.Trim(l, "-") == "" || strings.Trim(l, "*") == "" || strings.Trim(l, "_") == ""
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// humanise turns "display-dual-monitors.md" into "Display dual monitors".
func humanise(name string) string {
	name = strings.TrimSuffix(name, path.Ext(name))
	name = strings.NewReplacer("__", " ", "_", " ", "-", " ").Replace(name)
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return "Untitled"
	}
	r, size := utf8.DecodeRuneInString(name)
	return strings.ToUpper(string(r)) + name[size:]
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = cleanText(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
