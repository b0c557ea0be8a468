package slack

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

// Block Kit rendering. mrkdwn text is sent raw, so every piece of user, KB
// or LLM text goes through esc; text objects are also "verbatim", so Slack
// does not auto-link channel names or words like @here (PLATFORMS.md §8).

// message is a rendered Slack message.
type message struct {
	blocks   []slack.Block
	fallback string // notification text, escaped
	thread   string
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc makes text inert in mrkdwn: <!channel>, <@U…> and <url|label> become
// visible characters, never mentions or disguised links.
func esc(s string) string { return escaper.Replace(s) }

// Slack's limits on text objects.
const (
	maxSection = 3000
	maxField   = 2000
	maxHeader  = 150
	maxButton  = 75
)

// capEsc escapes s and cuts it (on a rune, never inside an entity) so the
// escaped result fits in limit bytes.
func capEsc(s string, limit int) string {
	out := esc(s)
	if len(out) <= limit {
		return out
	}
	var b strings.Builder
	for _, r := range s {
		piece := esc(string(r))
		if b.Len()+len(piece)+len("…") > limit {
			break
		}
		b.WriteString(piece)
	}
	return b.String() + "…"
}

func capPlain(s string, limit int) string {
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit-1]) + "…"
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, capPlain(s, limit), true, false)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// nonce makes block ids unique per rendering, so a click on a re-rendered
// card is a new click for the dedupe (interact.go), not a replay.
func nonce() string { return fmt.Sprintf("%08x", rand.Uint32()) }

var kindIcon = map[bot.ReplyKind]string{
	bot.KindWarning:     "⚠️ ",
	bot.KindError:       "❗ ",
	bot.KindPolicy:      "🚫 ",
	bot.KindEscalated:   "🎫 ",
	bot.KindAskLocation: "📍 ",
}

// renderReply renders a Desk reply for the conversation it belongs to.
func renderReply(r bot.Reply) message {
	text := kindIcon[r.Kind] + r.Text
	blocks := []slack.Block{section(capEsc(text, maxSection))}
	if len(r.Sources) > 0 {
		blocks = append(blocks, contextLine(capLinks("📄 Source: ", r.Sources, maxSection)))
	}
	if len(r.Related) > 0 {
		var b strings.Builder
		for _, s := range r.Related {
			b.WriteString("• " + link(s) + "\n")
		}
		blocks = append(blocks, section(capText(strings.TrimRight(b.String(), "\n"), maxSection)))
	}
	if len(r.Choices) > 0 {
		blocks = append(blocks, buttons(r.Choices))
	}
	return message{blocks: blocks, fallback: capEsc(text, maxSection)}
}

func buttons(choices []bot.Choice) *slack.ActionBlock {
	var els []slack.BlockElement
	for _, c := range choices {
		b := slack.NewButtonBlockElement(c.Action, c.Value, plain(c.Label, maxButton))
		switch c.Style {
		case "primary":
			b.Style = slack.StylePrimary
		case "danger":
			b.Style = slack.StyleDanger
		}
		els = append(els, b)
	}
	return slack.NewActionBlock("hb."+nonce(), els...)
}

// link cites an article: its title, linked when the article has a safe url.
func link(s bot.Source) string {
	title := s.Title
	if title == "" {
		title = s.Path
	}
	title = strings.NewReplacer("\n", " ", "|", "¦").Replace(capPlain(title, 200))
	if u := safeURL(s.URL); u != "" {
		return "<" + u + "|" + esc(title) + ">"
	}
	return "*" + esc(title) + "*"
}

func capLinks(prefix string, srcs []bot.Source, limit int) string {
	parts := make([]string, 0, len(srcs))
	for _, s := range srcs {
		parts = append(parts, link(s))
	}
	return capText(prefix+strings.Join(parts, " · "), limit)
}

// capText cuts already-rendered mrkdwn at a line or item boundary.
func capText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := strings.LastIndexAny(s[:limit-len("…")], "\n·")
	if cut <= 0 {
		return "…"
	}
	return strings.TrimSpace(s[:cut]) + " …"
}

// safeURL returns u fit for a Slack link, or "" when it is not a plain
// http(s) address (javascript:, slack://, odd characters…).
func safeURL(u string) string {
	if u == "" || len(u) > 500 || strings.ContainsAny(u, "<>| \t\r\n\"") {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
		return ""
	}
	return strings.ReplaceAll(u, "&", "&amp;")
}

// withStatus replaces the buttons of a pressed message by what happened, so
// no stale buttons remain.
func withStatus(blocks slack.Blocks, status string) []slack.Block {
	var out []slack.Block
	for _, b := range blocks.BlockSet {
		if b.BlockType() == slack.MBTAction {
			continue
		}
		out = append(out, b)
	}
	return append(out, contextLine(capEsc(status, maxSection)))
}

// idRe matches Slack ids (users, channels, groups); only these are ever
// placed inside <@…> or <#…>.
var idRe = regexp.MustCompile(`^[A-Z0-9]{2,24}$`)

func mention(id string) string {
	if idRe.MatchString(id) {
		return "<@" + id + ">"
	}
	return esc(id)
}

// slackDate renders a time in each reader's own time zone.
func slackDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

func statusLine(e bot.Escalation) string {
	switch e.Status {
	case bot.StatusClaimed:
		return "🙋 Claimed by " + esc(e.Claimer.Display())
	case bot.StatusResolved:
		return "✅ Resolved by " + esc(e.Claimer.Display())
	case bot.StatusCancelled:
		return "🚫 Cancelled by the requester"
	}
	return "⏳ Waiting for a tech"
}

func priorityWord(p bot.Priority) string {
	if p == bot.PriorityUrgent {
		return "🔴 Urgent"
	}
	return "Normal"
}

// renderCard is the case card in the techs' channel: everything a tech
// needs without asking the requester again, and the buttons that fit the
// case's state.
func renderCard(e bot.Escalation) message {
	head := fmt.Sprintf("🎫 %s · %s", e.ID, strings.TrimPrefix(priorityWord(e.Priority), "🔴 "))
	if e.Priority == bot.PriorityUrgent {
		head = "🔴 " + head
	}
	loc := e.Location
	if loc == "" {
		loc = "not given"
	}
	fields := []*slack.TextBlockObject{
		mrkdwn("*Requester*\n" + capEsc(e.Requester.Display(), 200)),
		mrkdwn("*Location*\n" + capEsc(loc, 300)),
		mrkdwn("*Priority*\n" + priorityWord(e.Priority)),
		mrkdwn("*Status*\n" + statusLine(e)),
		mrkdwn("*Opened*\n" + slackDate(e.CreatedAt)),
	}
	if e.Device != "" {
		fields = append(fields, mrkdwn("*Device*\n"+capEsc(e.Device, 200)))
	}
	if e.Reports > 1 {
		fields = append(fields, mrkdwn(fmt.Sprintf("*Reports*\n%d people", e.Reports)))
	}
	if e.Incident != "" {
		fields = append(fields, mrkdwn("*Grouped under*\n"+esc(e.Incident)))
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(head, maxHeader)),
		slack.NewSectionBlock(nil, fields, nil),
		section("*Summary*\n" + capEsc(e.Title(), maxSection-20)),
	}
	if e.Brief != "" {
		blocks = append(blocks, section("*For the tech*\n"+capEsc(e.Brief, maxSection-20)))
	}
	if t := transcript(e.Transcript); t != "" {
		blocks = append(blocks, section(t))
	}
	if len(e.Articles) > 0 {
		blocks = append(blocks, contextLine(capLinks("*Articles tried:* ", e.Articles, maxSection)))
	}
	var choices []bot.Choice
	switch e.Status {
	case bot.StatusOpen:
		choices = []bot.Choice{{Action: bot.ActionClaim, Label: "Claim", Value: e.ID, Style: "primary"}}
	case bot.StatusClaimed:
		choices = []bot.Choice{
			{Action: bot.ActionResolve, Label: "Resolve", Value: e.ID, Style: "primary"},
			{Action: bot.ActionRelease, Label: "Release", Value: e.ID},
		}
	}
	if len(choices) > 0 {
		blocks = append(blocks, buttons(choices))
	} else {
		line := statusLine(e)
		if e.Satisfaction != "" {
			line += " · requester says: " + esc(strings.ReplaceAll(e.Satisfaction, "_", " "))
		}
		blocks = append(blocks, contextLine(line))
	}
	fb := fmt.Sprintf("Case %s (%s): %s", e.ID, strings.ToLower(strings.TrimPrefix(priorityWord(e.Priority), "🔴 ")), e.Title())
	return message{blocks: blocks, fallback: capEsc(fb, 300)}
}

// transcript renders the excerpt of the conversation, newest last.
func transcript(turns []bot.Turn) string {
	if len(turns) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("*Conversation*")
	for _, t := range turns {
		who := "Requester"
		switch t.Who {
		case "bot":
			who = "Bot"
		case "tech":
			who = "Tech"
		}
		if r := t.Reporter(); r != "" {
			who = esc(r) // another reporter of the outage
		}
		line := "\n> *" + who + ":* " + capEsc(strings.ReplaceAll(t.Text, "\n", " "), 400)
		if b.Len()+len(line) > maxSection-10 {
			b.WriteString("\n> …")
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// renderReminder is the nudge in a card's thread for a case nobody took.
func renderReminder(e bot.Escalation, now time.Time, urgent bool, thread string) message {
	text := fmt.Sprintf("⏰ *%s* has waited %s without a tech.", esc(e.ID), bot.FormatAge(e.Age(now)))
	if urgent {
		text = "<!here> 🔴 " + text + " It is urgent."
	}
	return message{blocks: []slack.Block{section(text)}, fallback: capEsc(e.ID+" is waiting for a tech", 300), thread: thread}
}

// historyLine is what the card's thread records for a change.
func historyLine(e bot.Escalation) string {
	switch e.Status {
	case bot.StatusClaimed:
		return "🙋 Claimed by " + esc(e.Claimer.Display())
	case bot.StatusResolved:
		return "✅ Resolved by " + esc(e.Claimer.Display()) + "; the requester was asked to confirm."
	case bot.StatusCancelled:
		return "🚫 The requester cancelled this request."
	}
	return "↩️ Back in the queue."
}

// renderHandOff opens the group DM with requester and tech.
func renderHandOff(e bot.Escalation) message {
	var b strings.Builder
	fmt.Fprintf(&b, "👋 %s from IT has taken *%s* for %s. You can talk here directly.\n", mention(e.Claimer.ID), esc(e.ID), mention(e.Requester.ID))
	b.WriteString("*Summary:* " + capEsc(e.Summary, 1000))
	if e.Location != "" {
		b.WriteString("\n*Location:* " + capEsc(e.Location, 300))
	}
	if e.Device != "" {
		b.WriteString("\n*Device:* " + capEsc(e.Device, 200))
	}
	blocks := []slack.Block{section(b.String())}
	if len(e.Articles) > 0 {
		blocks = append(blocks, contextLine(capLinks("Already tried: ", e.Articles, maxSection)))
	}
	return message{blocks: blocks, fallback: capEsc(fmt.Sprintf("%s: %s", e.ID, e.Summary), 300)}
}

// renderList renders /helpdesk status and queue.
func renderList(title string, lines []string) message {
	var b strings.Builder
	b.WriteString("*" + esc(title) + "*")
	for _, l := range lines {
		b.WriteString("\n" + l)
	}
	return message{blocks: []slack.Block{section(capText(b.String(), maxSection))}, fallback: esc(title)}
}
