package llm

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpbot/helpbot/bot/screen"
)

// errInvalid marks output that failed a check. It counts as a failure for
// the circuit breaker, like an error or a timeout. The reason is safe to
// log; the output itself never is.
var errInvalid = errors.New("invalid model output")

func invalid(reason string) error { return &invalidError{reason} }

type invalidError struct{ reason string }

func (e *invalidError) Error() string { return "invalid model output: " + e.reason }
func (e *invalidError) Unwrap() error { return errInvalid }

var (
	// Slack's special mentions and user/group/channel references, plain
	// @-mentions, and Teams' <at> tag.
	mentionRe = regexp.MustCompile(`(?i)<\s*[!@#]|<\s*/?\s*at\b|(^|[^\w.])@(here|channel|everyone|all)\b`)
	imageRe   = regexp.MustCompile(`(?i)!\[[^\]]*\]\s*\(|<\s*img\b|<\s*svg\b`)
	htmlRe    = regexp.MustCompile(`(?i)<\s*/?\s*(script|iframe|a|style|object|embed|form|link|meta)\b`)
	// URLs: any scheme (even glued to a word: "0http://x"), www., mailto:, IPv4 addresses, and bare domains:
	// three or more labels ("login.evil.example"), or two on a common TLD
	// ("fixmyprojector.com"). A file name caught by mistake ("setup.zip")
	// only costs the AI wording: the KB answers instead.
	urlRe = regexp.MustCompile(`(?i)[a-z][a-z0-9+.\-]{1,20}://[^\s<>()\[\]"'|]+` +
		`|\bwww\.[^\s<>()\[\]"'|]+|\bmailto:[^\s<>()\[\]"'|]+` +
		`|\b\d{1,3}(?:\.\d{1,3}){3}\b(?:[:/][^\s<>()\[\]"'|]*)?` +
		`|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){2,}[a-z]{2,24}\b(?:/[^\s<>()\[\]"'|]*)?` +
		`|\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.(?:com|net|org|edu|gov|mil|int|us|uk|ca|au|de|fr|eu|in|io|co|ai|me|ly|gl|to|tv|cc|ws|pw|tk|ml|ga|cf|gq|ru|cn|info|biz|xyz|top|site|online|link|click|live|app|dev|page|shop|store|tech|club|zip|mov|example)\b(?:/[^\s<>()\[\]"'|]*)?`)
	citeRe = regexp.MustCompile(`\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]`)
	// placeholderRe finds what the redactor leaves: an answer quoting one
	// would show the user "[phone]" where the KB has the real number.
	placeholderRe = regexp.MustCompile(`\[(password removed|secret removed|email|phone|ssn|card number|date of birth|student id)\]`)
	// askCredentialRe: an answer asking the user to hand over a secret.
	askCredentialRe = regexp.MustCompile(`(?i)\b(send|tell|give|share|reply with|dm|post|paste|read out)\s+(?:it\s+|me\s+|us\s+|the bot\s+|helpbot\s+|this chat\s+|here\s+)?(?:your|the|their|a|my)\s+(?:\w+\s+)?(password|passcode|passphrase|credentials|mfa code|verification code|one-time code|login code|pin)\b`)
	negationRe      = regexp.MustCompile(`(?i)\b(never|don't|do not|not|no one|nobody|won't|will never)\b[^.\n]{0,25}$`)
)

// allowedLinks is what an answer may link to: the cited articles' URLs and
// any URL written in the references themselves.
func allowedLinks(refs []reference) map[string]bool {
	ok := map[string]bool{}
	for _, r := range refs {
		if r.src.URL != "" {
			ok[linkKey(r.src.URL)] = true
		}
		for _, u := range urlRe.FindAllString(r.text, -1) {
			ok[linkKey(u)] = true
		}
	}
	return ok
}

// linkKey compares links on host (any case) and path, ignoring the
// scheme, trailing punctuation and a trailing slash: "See
// passwordreset.district.example." names the KB's own link.
func linkKey(u string) string {
	u = strings.TrimRight(u, ".,;:!?)*_`'\"")
	if !strings.Contains(u, "://") && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
		u = "https://" + u
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return strings.ToLower(u)
	}
	return strings.ToLower(p.Host) + strings.TrimSuffix(p.EscapedPath(), "/") + "?" + p.RawQuery
}

// checkText holds the checks every model output passes, answers and
// briefs alike: well-formed text of bounded length, no mentions, images,
// HTML, foreign links, redaction placeholders, secrets or fence markers.
func checkText(s string, maxRunes int, links map[string]bool, sc *screen.Screener) error {
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError):
		return invalid("not valid UTF-8")
	case strings.TrimSpace(s) == "":
		return invalid("empty")
	case utf8.RuneCountInString(s) > maxRunes:
		return invalid("too long")
	case strings.IndexFunc(s, badControl) >= 0:
		return invalid("control characters")
	case mentionRe.MatchString(s):
		return invalid("mention")
	case imageRe.MatchString(s):
		return invalid("image")
	case htmlRe.MatchString(s):
		return invalid("html")
	case strings.Contains(s, "<<<") || strings.Contains(s, ">>>") || strings.Contains(s, notCovered):
		return invalid("prompt markers")
	case placeholderRe.MatchString(s):
		return invalid("redaction placeholder")
	}
	for _, u := range urlRe.FindAllString(s, -1) {
		if !links[linkKey(u)] {
			return invalid("link not in the KB")
		}
	}
	if _, found := sc.RedactSecrets(s); len(found) > 0 {
		return invalid("secret")
	}
	for _, m := range askCredentialRe.FindAllStringIndex(s, -1) {
		if !negationRe.MatchString(s[:m[0]]) {
			return invalid("asks for a credential")
		}
	}
	return nil
}

func badControl(r rune) bool {
	return r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
}

// citedAnswer is a checked answer: text whose citations are renumbered to
// match cited, the indexes (into refs) of the articles it cites, in order.
type citedAnswer struct {
	text  string
	cited []int
}

// checkAnswer validates a model answer against the references it was
// given. NOT_COVERED on its own is reported as (zero, true, nil).
func checkAnswer(raw string, refs []reference, maxRunes int, sc *screen.Screener) (citedAnswer, bool, error) {
	s := strings.TrimSpace(strings.ReplaceAll(raw, "\r\n", "\n"))
	if strings.ToUpper(strings.TrimRight(strings.TrimSpace(strings.Trim(s, "`*_\"' ")), ".")) == notCovered {
		return citedAnswer{}, true, nil
	}
	if err := checkText(s, maxRunes, allowedLinks(refs), sc); err != nil {
		return citedAnswer{}, false, err
	}
	// Citations: at least one, and only of articles that were retrieved.
	order := map[int]int{} // ref number (1-based) → new number
	var cited []int
	for _, m := range citeRe.FindAllStringSubmatch(s, -1) {
		for _, f := range strings.Split(m[1], ",") {
			n, _ := strconv.Atoi(strings.TrimSpace(f))
			if n < 1 || n > len(refs) {
				return citedAnswer{}, false, invalid("cites an article that was not retrieved")
			}
			if _, seen := order[n]; !seen {
				order[n] = len(cited) + 1
				cited = append(cited, n-1)
			}
		}
	}
	if len(cited) == 0 {
		return citedAnswer{}, false, invalid("no citation")
	}
	if ok, opaque := grounded(s, refs); opaque {
		return citedAnswer{}, false, invalid("long token not in the articles")
	} else if !ok {
		return citedAnswer{}, false, invalid("not grounded in the articles")
	}
	text := citeRe.ReplaceAllStringFunc(s, func(c string) string {
		var nums []string
		for _, f := range strings.Split(citeRe.FindStringSubmatch(c)[1], ",") {
			n, _ := strconv.Atoi(strings.TrimSpace(f))
			nums = append(nums, strconv.Itoa(order[n]))
		}
		return "[" + strings.Join(nums, "][") + "]"
	})
	return citedAnswer{text: text, cited: cited}, false, nil
}

// grounded is a cheap check that the answer talks about what the articles
// say: most of its longer words must occur in them. It catches output that
// role-plays or wanders off with a token citation attached. opaque reports
// a long unbroken token the articles do not contain (encoded data: a
// base64 prompt, a key).
func grounded(s string, refs []reference) (ok, opaque bool) {
	var src strings.Builder
	for _, r := range refs {
		src.WriteString(strings.ToLower(r.src.Title + " " + r.src.Section + " " + r.text + " "))
	}
	vocab := map[string]bool{}
	for _, w := range words(src.String()) {
		vocab[stem(w)] = true
	}
	total, found := 0, 0
	for _, w := range words(strings.ToLower(citeRe.ReplaceAllString(s, " "))) {
		if len(w) < 4 || commonWords[w] {
			continue
		}
		total++
		if vocab[stem(w)] {
			found++
		} else if len(w) >= 20 {
			return false, true
		}
	}
	return total == 0 || float64(found) >= 0.5*float64(total), false
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// stem is deliberately crude: it only needs "restart"/"restarting" and
// "cable"/"cables" to meet.
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s", "ly"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

// commonWords are words any answer may use without the articles saying them.
var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`this that these those then than there their them they your you're yours with
		from into onto about after before again also just only then when where which while what will would
		should could have has had does doesn't don't didn't make sure check try tries please first next
		still still. steps step once until each other some more most very here help helps article articles
		following follow see says said using used like it's its can't cannot isn't aren't need needs want
		wants able back over under around through without within being been were work works working`) {
		m[w] = true
	}
	return m
}()
