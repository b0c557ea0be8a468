package teams

import "strings"

// markdownEscaper neutralises the markdown Adaptive Card TextBlocks render
// (bold, italic, links, code) so user, KB and LLM text shows as typed:
// "[district.org](https://evil)" stays visible brackets, not a disguised
// link. "<at>" is escaped too: mentions are only ever made from mention
// entities, never from text.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`,
	`*`, `\*`,
	`_`, `\_`,
	`[`, `\[`,
	`]`, `\]`,
	"`", "\\`",
	`~`, `\~`,
	`<`, `\<`,
	`>`, `\>`,
)

// esc escapes one line of text for a TextBlock or FactSet value.
func esc(s string) string { return markdownEscaper.Replace(s) }

// capText keeps card text within what Teams shows without a "see more".
func capText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
