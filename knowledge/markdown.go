package knowledge

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Tables are the only extension: strikethrough would eat the "~~" that an
// article about strikethrough needs to show, and bare URLs read fine as text.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table))

// renderer turns one article's markdown into plain-text sections. Plain text
// is what every edge can show safely: no markup survives, raw HTML and
// images are dropped, and what was dropped is noted for `kb check`.
type renderer struct {
	path      string
	src       []byte
	lineStart []int // byte offset of each line, for offset → line number

	warnings []Problem
	links    []link
	skipTo   string // inside an inline <script>/<style>: skip up to this closing tag
	seenHTML map[string]bool
}

func newRenderer(p string, src []byte) *renderer {
	r := &renderer{path: p, src: src, lineStart: []int{0}}
	for i, b := range src {
		if b == '\n' {
			r.lineStart = append(r.lineStart, i+1)
		}
	}
	return r
}

func (r *renderer) line(offset int) int {
	return sort.SearchInts(r.lineStart, offset+1)
}

func (r *renderer) warn(line int, format string, args ...any) {
	r.warnings = append(r.warnings, Problem{Path: r.path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// nodeLine is the first source line of a node, 0 if it has none.
func (r *renderer) nodeLine(n ast.Node) int {
	for ; n != nil; n = n.FirstChild() {
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return r.line(n.Lines().At(0).Start)
		}
		if t, ok := n.(*ast.Text); ok {
			return r.line(t.Segment.Start)
		}
	}
	return 0
}

// sections splits the document at its top-level headings. It also returns
// the text and line of the first level-1 heading, the fallback title.
func (r *renderer) sections() ([]Section, string, int) {
	doc := markdown.Parser().Parse(text.NewReader(r.src))
	var (
		secs  []Section
		cur   = Section{Line: 1}
		parts []string
		h1    string
		h1At  int
	)
	flush := func() {
		cur.Text = tidy(strings.Join(parts, "\n\n"))
		if cur.Heading != "" || cur.Text != "" {
			secs = append(secs, cur)
		}
		parts = nil
	}
	first := true
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok {
			flush()
			cur = Section{Heading: cleanText(r.inline(h)), Level: h.Level, Line: r.nodeLine(h)}
			if h.Level == 1 && h1 == "" {
				h1, h1At = cur.Heading, cur.Line
			}
			first = false
			continue
		}
		if first {
			if l := r.nodeLine(n); l > 0 {
				cur.Line = l
			}
			first = false
		}
		if s := r.block(n); s != "" {
			parts = append(parts, s)
		}
	}
	flush()
	return secs, h1, h1At
}

// block renders one block node as plain text.
func (r *renderer) block(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
		return strings.TrimSpace(r.inline(n))
	case *ast.List:
		return r.list(n)
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(r.src))
		}
		return strings.TrimRight(b.String(), "\n ")
	case *ast.HTMLBlock:
		r.noteHTML(r.nodeLine(n), htmlBlockText(n, r.src))
		return ""
	case *ast.ThematicBreak:
		return ""
	case *east.Table:
		return r.table(n)
	}
	// Blockquotes, list items and anything unknown: their blocks in order.
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if s := r.block(c); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

// list keeps the numbering of ordered lists ("1. ", "2. ") because steps are
// referred to by number, and marks bullets with "• ".
func (r *renderer) list(l *ast.List) string {
	var items []string
	num := l.Start
	if num == 0 {
		num = 1
	}
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		marker := "• "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		var parts []string
		for c := it.FirstChild(); c != nil; c = c.NextSibling() {
			if s := r.block(c); s != "" {
				parts = append(parts, s)
			}
		}
		body := strings.Join(parts, "\n")
		// Continuation lines line up under the item's text.
		body = strings.ReplaceAll(body, "\n", "\n"+strings.Repeat(" ", len([]rune(marker))))
		items = append(items, marker+body)
	}
	return strings.Join(items, "\n")
}

func (r *renderer) table(t *east.Table) string {
	var rows []string
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for c := row.FirstChild(); c != nil; c = c.NextSibling() {
			cells = append(cells, strings.TrimSpace(r.inline(c)))
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	return strings.Join(rows, "\n")
}

// inline renders a node's inline children as plain text.
func (r *renderer) inline(n ast.Node) string {
	var b strings.Builder
	r.skipTo = ""
	r.inlines(&b, n)
	r.skipTo = ""
	return b.String()
}

func (r *renderer) inlines(b *strings.Builder, parent ast.Node) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		if raw, ok := n.(*ast.RawHTML); ok {
			r.rawHTML(raw)
			continue
		}
		if r.skipTo != "" {
			continue
		}
		switch n := n.(type) {
		case *ast.Text:
			v := n.Segment.Value(r.src)
			if !n.IsRaw() {
				v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
			}
			b.Write(v)
			switch {
			case n.HardLineBreak():
				b.WriteByte('\n')
			case n.SoftLineBreak():
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.CodeSpan:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				switch c := c.(type) {
				case *ast.Text:
					b.Write(c.Segment.Value(r.src))
				case *ast.String:
					b.Write(c.Value)
				}
			}
		case *ast.Link:
			var lb strings.Builder
			r.inlines(&lb, n)
			label := strings.TrimSpace(lb.String())
			dest := string(n.Destination)
			r.noteLink(r.nodeLine(n), dest)
			switch {
			case !isWebURL(dest):
				b.WriteString(label)
			case label == "" || label == dest:
				b.WriteString(dest)
			default:
				b.WriteString(label + " (" + dest + ")")
			}
		case *ast.AutoLink:
			if u := string(n.URL(r.src)); n.AutoLinkType == ast.AutoLinkURL && isWebURL(u) {
				b.WriteString(u)
			} else {
				b.Write(n.Label(r.src))
			}
		case *ast.Image:
			// Pictures cannot be shown in chat text, and alt text read
			// out of context is more confusing than helpful.
		default:
			r.inlines(b, n)
		}
	}
}

var (
	scriptOpenRE = regexp.MustCompile(`(?i)^<(script|style|iframe|object|embed|template|textarea)\b`)
	tagNameRE    = regexp.MustCompile(`(?i)^</?([a-z][a-z0-9-]*)`)
)

// rawHTML drops inline HTML. Text between <script> (or <style>…) tags is
// dropped too, since it was never meant to be read.
func (r *renderer) rawHTML(n *ast.RawHTML) {
	var b strings.Builder
	for i := 0; i < n.Segments.Len(); i++ {
		s := n.Segments.At(i)
		b.Write(s.Value(r.src))
	}
	v := b.String()
	line := 0
	if n.Segments.Len() > 0 {
		line = r.line(n.Segments.At(0).Start)
	}
	if r.skipTo != "" {
		if strings.HasPrefix(strings.ToLower(v), r.skipTo) {
			r.skipTo = ""
		}
		return
	}
	r.noteHTML(line, v)
	if m := scriptOpenRE.FindStringSubmatch(v); m != nil && !strings.HasSuffix(v, "/>") {
		r.skipTo = "</" + strings.ToLower(m[1])
	}
}

func htmlBlockText(n *ast.HTMLBlock, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		s := lines.At(i)
		b.Write(s.Value(src))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(src))
	}
	return b.String()
}

// noteHTML records raw HTML for `kb check`: it never reaches readers, so
// whatever it says is either lost or hidden, and both deserve a look.
func (r *renderer) noteHTML(line int, v string) {
	s := strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(s, "<!--"):
		r.warn(line, "HTML comment: readers never see it; remove it or make it text")
	case scriptOpenRE.MatchString(s):
		r.warn(line, "%s in article: removed from answers; remove it from the file", strings.ToLower(tagNameRE.FindString(s))+">")
	default:
		tag := "<" + firstLine(s)
		if m := tagNameRE.FindStringSubmatch(s); m != nil {
			tag = "<" + strings.ToLower(m[1]) + ">"
		}
		// One note per tag and line: <sup>1</sup> is one problem, not two.
		key := fmt.Sprintf("%d%s", line, tag)
		if r.seenHTML[key] {
			return
		}
		if r.seenHTML == nil {
			r.seenHTML = map[string]bool{}
		}
		r.seenHTML[key] = true
		r.warn(line, "raw HTML %s: dropped from answers; use markdown instead", tag)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// noteLink keeps relative links to other articles so `kb check` can make
// sure they exist.
func (r *renderer) noteLink(line int, dest string) {
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
		return
	}
	if !strings.EqualFold(path.Ext(u.Path), ".md") {
		return
	}
	target := u.Path
	if !strings.HasPrefix(target, "/") {
		target = path.Join(path.Dir(r.path), target)
	}
	r.links = append(r.links, link{line: line, target: strings.TrimPrefix(path.Clean(target), "/")})
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

var blankRunRE = regexp.MustCompile(`\n{3,}`)

// tidy strips hidden characters, trailing spaces and runs of blank lines.
func tidy(s string) string {
	s = stripHidden(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	return strings.TrimSpace(blankRunRE.ReplaceAllString(s, "\n\n"))
}

// cleanText is tidy for one-line strings (titles, headings, keywords).
func cleanText(s string) string {
	return strings.Join(strings.Fields(stripHidden(s)), " ")
}

// isHidden reports characters that render as nothing (or reorder what is
// around them) and so can hide text from a reviewer of the KB.
func isHidden(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, // zero-width space/joiners, LRM/RLM
		r >= 0x202A && r <= 0x202E, // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x2064, // word joiner, invisible operators
		r >= 0x2066 && r <= 0x2069, // bidi isolates
		r == 0xFEFF, r == 0x061C, r == 0x00AD, r == 0x180E,
		r >= 0xE0000 && r <= 0xE007F: // tag characters
		return true
	}
	return false
}

func stripHidden(s string) string {
	if strings.IndexFunc(s, isHidden) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isHidden(r) {
			return -1
		}
		return r
	}, s)
}
