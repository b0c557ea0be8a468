package screen

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// Policy categories: requests the bot answers with a fixed text, without
// searching and without ever calling an LLM.
const (
	PolicyFilterBypass    = "filter_bypass"
	PolicyNetworkAttack   = "network_attack"
	PolicyAccountTakeover = "account_takeover"
)

var policies = []struct {
	name string
	re   *prefilter.Regexp
}{
	{PolicyFilterBypass, prefilter.MustCompile(`(?i)\b(get|go|going|getting|got|sneak|work|way)\s+(around|past|through|by)\s+(the\s+|our\s+|a\s+|this\s+)?(school\s+|district\s+|web\s+|content\s+|internet\s+)?(filter|filters|firewall|block|blocks|goguardian|securly|lightspeed|iboss|content keeper|contentkeeper)\b` +
		`|\b(bypass|disable|turn off|uninstall|remove|kill|deactivate|unblock|evade|avoid|get rid of)\s+(the\s+|our\s+|a\s+)?(school\s+|district\s+|web\s+|content\s+|internet\s+)?(filter|filtering|firewall|goguardian|go guardian|securly|lightspeed|iboss|content keeper|contentkeeper|monitoring|blocker)\b` +
		`|\b(unblock|access|open|get on|use)\s+(blocked|banned|restricted)\s+(sites?|websites?|games?|pages?|apps?)\b` +
		`|\b(proxy|vpn)\s+(to|so)\s+(get|access|use|open|reach|see)\b`)},
	{PolicyNetworkAttack, prefilter.MustCompile(`(?i)\b(ddos|d\.?o\.?s\.? attack|denial[ -]of[ -]service|deauth(?:enticate|entication)?|packet sniff\w*|sniff (?:the )?(?:traffic|network|wifi|passwords?)|arp spoof\w*|mitm|man[ -]in[ -]the[ -]middle)\b` +
		`|\b(flood|crash|take down|knock out|knock down|jam|overload|hack|hack into|break into|attack|shut down)\s+(the\s+|our\s+|a\s+|their\s+)?(school\s+|district\s+|guest\s+|staff\s+|student\s+)?(wifi|wi-fi|network|internet|server|servers|router|firewall|website|grade ?book|grades|powerschool|infinite campus|skyward|system)\b`)},
	// Someone else's credentials or mailbox. Students are deliberately not
	// in the "whose" list: K-2 teachers legitimately look up their
	// students' login cards and test as a student.
	{PolicyAccountTakeover, prefilter.MustCompile(`(?i)\b(find|get|know|see|crack|guess|steal|hack|find out|figure out|learn|look up|view|bypass)\s+(out\s+)?(the\s+|a\s+|another\s+|other\s+|some\s+|my\s+|our\s+)?(other\s+)?(teacher|teachers|principal|admin|administrator|administrators|staff member|coworker|co-worker|colleague|person|people|user|someone|somebody|someone else|somebody else|parent|sub|substitute|boss|secretary|it guy|tech)(?:'s|s'|’s)\s+(password|passwords|passcode|login|log-in|credentials|account|email|e-mail|inbox)\b` +
		`|\b(log ?in(?:to)?|sign ?in(?:to)?|get into|break into|access|read|open|go through|snoop (?:in|on|through))\s+(someone else's|somebody else's|other people's|another person's|another teacher's|another staff member's|the teacher's|a teacher's|my coworker's|a coworker's|my colleague's|a colleague's|the principal's|my principal's|my boss's)\s+(account|email|e-mail|inbox|computer|login|drive|files|google account|gmail|mail)\b` +
		`|\b(log ?in|sign ?in)\s+as\s+(another|a different|my|the)\s+(teacher|user|principal|coworker|colleague|person|staff member|admin|administrator)\b` +
		`|\b(change|edit|alter)\s+(my\s+|the\s+|a\s+|his\s+|her\s+|their\s+)?(own\s+)?(grades?|report cards?)\s+(in|on)\s+(the\s+)?(grade ?book|powerschool|infinite campus|skyward|sis)\b` +
		`|\bkey ?loggers?\b`)},
}

// sensitiveTopic marks questions about health, special education plans and
// discipline: they may be answered from the KB but never leave for an LLM.
var sensitiveTopic = prefilter.MustCompile(`(?i)\b(iep|ieps|504 plans?|section 504|504s|individuali[sz]ed education|special ed(?:ucation)?|health|medical|medication|medicine|diagnos\w*|disabilit\w*|allerg\w*|seizure\w*|diabet\w*|asthma|counsel(?:ing|or|ling)|therap\w*|mental|self[- ]harm|suicid\w*|discipline|disciplinary|suspension|suspended|expel\w*|detention|behaviou?r plan|incident report|abuse|custody|pregnan\w*)\b`)

// Options configure a Screener.
type Options struct {
	// StudentIDPatterns are extra regular expressions for the district's
	// student id format (e.g. `\bS\d{7}\b`); matches are redacted before
	// text leaves for an LLM.
	StudentIDPatterns []string
}

// Screener is the bot.Screener: normalise, redact secrets, screen policy.
type Screener struct {
	studentIDs  []*prefilter.Regexp
	redactRules []rule // secrets, then personal data, then student ids
}

var _ bot.Screener = (*Screener)(nil)

// New compiles the options; a bad pattern is an error naming it.
func New(opts Options) (*Screener, error) {
	s := &Screener{}
	for _, p := range opts.StudentIDPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("student id pattern %q: %w", p, err)
		}
		s.studentIDs = append(s.studentIDs, prefilter.New(re))
	}
	s.redactRules = s.buildRedactRules()
	return s, nil
}

func (s *Screener) buildRedactRules() []rule {
	rules := append(append([]rule{}, secretRules...), piiRules...)
	rules = append(rules, rule{kind: FindStudentID, re: defaultStudentID, repl: keepPrefix(tagStudentID)})
	for _, re := range s.studentIDs {
		rules = append(rules, rule{kind: FindStudentID, re: re, tag: tagStudentID})
	}
	return rules
}

// Screen implements bot.Screener.
func (s *Screener) Screen(text string) bot.Screened {
	t, cut := Normalize(text)
	found := map[Finding]bool{}
	t = apply(t, secretRules, found)
	out := bot.Screened{Text: t, Truncated: cut, Secrets: kinds(found)}
	folded := prefilter.Fold(t)
	for _, p := range policies {
		if p.re.MatchFolded(t, folded) {
			out.Policy = p.name
			break
		}
	}
	out.Sensitive = sensitiveTopic.MatchFolded(t, folded)
	return out
}

// RedactSecrets removes passwords, tokens and keys; text is normalised first.
func (s *Screener) RedactSecrets(text string) (string, []Finding) {
	t, _ := Normalize(text)
	found := map[Finding]bool{}
	t = apply(t, secretRules, found)
	return t, findings(found)
}

// Redact removes secrets and personal data (emails, phone numbers, SSNs,
// payment cards, dates of birth, student ids). Everything sent to an LLM
// passes through it. It is idempotent: Redact(Redact(x)) == Redact(x).
func (s *Screener) Redact(text string) (string, []Finding) {
	t, _ := Normalize(text)
	found := map[Finding]bool{}
	rules := s.redactRules
	if rules == nil { // a Screener{} not made by New
		rules = s.buildRedactRules()
	}
	t = apply(t, rules, found)
	return t, findings(found)
}

// IsSensitive reports a health/IEP/504/discipline topic.
func (s *Screener) IsSensitive(text string) bool {
	t, _ := Normalize(text)
	return sensitiveTopic.MatchString(t)
}

func findings(found map[Finding]bool) []Finding {
	out := make([]Finding, 0, len(found))
	for k := range found {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func kinds(found map[Finding]bool) []string {
	var out []string
	for _, f := range findings(found) {
		out = append(out, string(f))
	}
	return out
}
