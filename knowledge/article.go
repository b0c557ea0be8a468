package knowledge

import (
	"fmt"

	"github.com/helpbot/helpbot/bot"
)

// Article is one markdown file of the KB.
type Article struct {
	// Path is the slash-separated path relative to the KB root, e.g.
	// "classroom/projector-no-signal.md". It is the article's stable ID.
	Path      string
	Title     string
	Keywords  []string
	Questions []string // phrasings the article answers (front matter)
	Summary   string   // a "summary:" line or front matter; searched, never shown alone
	Audience  bot.Audience
	URL       string
	Owner     string
	Updated   string
	Version   string // short content hash, changes whenever the file does
	Sections  []Section
}

// Section is the text under one heading (or before the first heading).
type Section struct {
	Heading string // "" for text before the first heading
	Level   int    // 1..6; 0 when Heading is ""
	Text    string // plain text ready to show: lists keep "1. " and "• "
	Line    int    // 1-based line of the heading (or first text) in the file
}

// Source returns how the article is cited, naming sec when it is not just
// the article's lead section.
func (a *Article) Source(sec *Section) bot.Source {
	s := bot.Source{Title: a.Title, Path: a.Path, URL: a.URL, Version: a.Version}
	if sec != nil && sec.Heading != "" && sec.Heading != a.Title {
		s.Section = sec.Heading
	}
	return s
}

// Problem is something wrong with one KB file. Loading reports it and goes
// on with the other files; `helpbot kb check` prints it.
type Problem struct {
	Path    string
	Line    int // 1-based; 0 when the problem is not tied to a line
	Message string
	// Advice marks a suggestion (a near-duplicate, a title no question
	// would match) rather than something broken: `kb check` prints it but
	// passes unless --strict.
	Advice bool
}

func (p Problem) Error() string {
	msg := p.Message
	if p.Advice {
		msg = "warning: " + msg
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, msg)
	}
	return fmt.Sprintf("%s: %s", p.Path, msg)
}
