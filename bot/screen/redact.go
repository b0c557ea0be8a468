package screen

import (
	"strings"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// Placeholders. They contain no characters the patterns below match as a
// value, so redacting twice changes nothing (the redactor is idempotent).
const (
	tagPassword  = "[password removed]"
	tagSecret    = "[secret removed]"
	tagEmail     = "[email]"
	tagPhone     = "[phone]"
	tagSSN       = "[ssn]"
	tagCard      = "[card number]"
	tagDOB       = "[date of birth]"
	tagStudentID = "[student id]"
)

// Finding names a kind of datum that was removed.
type Finding string

const (
	FindPassword  Finding = "password"
	FindSecret    Finding = "secret"
	FindEmail     Finding = "email"
	FindPhone     Finding = "phone"
	FindSSN       Finding = "ssn"
	FindCard      Finding = "card"
	FindDOB       Finding = "date_of_birth"
	FindStudentID Finding = "student_id"
)

type rule struct {
	kind Finding
	re   *prefilter.Regexp
	// repl builds the replacement from the submatch indexes; nil means the
	// whole match becomes the tag.
	repl func(src string, m []int) string
	tag  string
}

// Secret rules run on everything before it is stored: people paste
// passwords and tokens into chat, and the bot must not keep them.
var secretRules = []rule{
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)},
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{8,}`)},
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`\b(?:sk|rk)-(?:proj-|live_|test_)?[A-Za-z0-9_-]{16,}`)},
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}`)},
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{kind: FindSecret, tag: tagSecret, re: prefilter.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	{kind: FindSecret, re: prefilter.MustCompile(`(?i)\b(bearer|token|api[ _-]?key|secret|client[ _-]?secret)(\s*(?:is|=|:)\s*|\s+)([A-Za-z0-9_\-.+/=]{16,})`),
		repl: keepPrefix(tagSecret)},
	// "password is hunter2", "pw: x", "my new passcode = y", "changed my
	// password to z". The value is anything up to whitespace that does not
	// start with '[' (so placeholders are never re-matched).
	{kind: FindPassword, re: prefilter.MustCompile(`(?i)\b(pass ?words?|passwd|passcodes?|passphrases?|pwd|pw)(\s*(?:is|was|=|:|is now|to|it's|its)\s*[:=]?\s*["'“‘]?)([^\s"'”’\[][^\s"'”’]*)`),
		repl: keepPrefixUnlessWord(tagPassword)},
	// Bare "pass" and "pin" are ordinary words ("hall pass", "the pin is
	// bent"), so only the unambiguous forms count.
	{kind: FindPassword, re: prefilter.MustCompile(`(?i)\b(pass)(\s*[:=]\s*)([^\s\[]\S*)`), repl: keepPrefix(tagPassword)},
	{kind: FindPassword, re: prefilter.MustCompile(`(?i)\b(pin(?: number| code)?)(\s*(?:is|was|=|:)\s*)(\d{3,8})\b`), repl: keepPrefix(tagPassword)},
	// "password Spring2024!" with no connector: only when the next word
	// looks like a password (letters and digits/symbols), so "password
	// reset" is left alone.
	{kind: FindPassword, re: prefilter.MustCompile(`(?i)\b(pass ?words?|passwd|passcode|pwd|pw)(\s+)([^\s\[\]]*[0-9!@#$%^&*][^\s]*)`),
		repl: keepPrefixIfSecretLooking(tagPassword)},
}

// PII rules run before text leaves for an LLM (and on exports): the model
// provider never needs to know who a student is.
var piiRules = []rule{
	{kind: FindEmail, tag: tagEmail, re: prefilter.MustCompile(`(?i)\b[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}\b`)},
	{kind: FindSSN, tag: tagSSN, re: prefilter.MustCompile(`\b\d{3}[- ]\d{2}[- ]\d{4}\b`)},
	{kind: FindSSN, re: prefilter.MustCompile(`(?i)\b(ssn|social security(?: number| no\.?| #)?)(\s*(?:is|:|#)?\s*)(\d{9})\b`), repl: keepPrefix(tagSSN)},
	{kind: FindCard, re: prefilter.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`), repl: luhnOnly(tagCard)},
	{kind: FindDOB, re: prefilter.MustCompile(`(?i)\b(dob|d\.o\.b\.?|date of birth|born(?: on)?|birth ?day|birth ?date)(\s*(?:is|was|:)?\s*)(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4})\b`),
		repl: keepPrefix(tagDOB)},
	{kind: FindPhone, tag: tagPhone, re: prefilter.MustCompile(`(?:\+?1[ .-]?)?\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b`)},
}

// defaultStudentID matches "student id 123456", "student #: 1234567".
var defaultStudentID = prefilter.MustCompile(`(?i)\b(student\s*(?:id|#|number|no\.?)|lunch\s*(?:number|#|pin)|sis\s*id)(\s*(?:is|:|#)?\s*)([A-Za-z]{0,3}\d{4,12})\b`)

func keepPrefix(tag string) func(string, []int) string {
	return func(src string, m []int) string {
		return src[m[2]:m[3]] + src[m[4]:m[5]] + tag
	}
}

// commonAfterPassword are words that follow "password is/to" in ordinary
// help requests ("password is expired", "password to my email"), which must
// not be mistaken for the password itself.
var commonAfterPassword = map[string]bool{
	"expired": true, "wrong": true, "incorrect": true, "not": true, "locked": true,
	"reset": true, "the": true, "my": true, "a": true, "an": true, "for": true,
	"change": true, "changed": true, "working": true, "invalid": true, "still": true,
	"too": true, "no": true, "being": true, "rejected": true, "required": true,
	"be": true, "get": true, "log": true, "login": true, "sign": true, "access": true,
	"it": true, "is": true, "was": true, "case": true, "correct": true, "right": true,
	"same": true, "different": true, "new": true, "old": true, "your": true, "their": true,
	"his": true, "her": true, "our": true, "this": true, "that": true, "what": true,
	"and": true, "or": true, "in": true, "on": true, "at": true, "of": true, "with": true,
	"email": true, "gmail": true, "google": true, "account": true, "computer": true,
	"chromebook": true, "laptop": true, "wifi": true, "system": true, "portal": true,
	"about": true, "going": true, "supposed": true, "set": true, "someone": true,
	"something": true, "asking": true, "saying": true, "showing": true, "does": true,
	"doesn't": true, "isn't": true, "wasn't": true, "so": true, "very": true,
	"every": true, "each": true, "all": true, "any": true, "work": true, "works": true,
	"manager": true, "policy": true, "rules": true, "requirements": true, "requirement": true,
	"expire": true, "expires": true, "expiring": true, "strong": true, "weak": true,
}

func keepPrefixUnlessWord(tag string) func(string, []int) string {
	return func(src string, m []int) string {
		val := strings.ToLower(strings.TrimRight(src[m[6]:m[7]], ".,!?;:)"))
		if commonAfterPassword[val] {
			return src[m[0]:m[1]]
		}
		// Keep trailing sentence punctuation outside the redaction.
		trail := ""
		v := src[m[6]:m[7]]
		if t := strings.TrimRight(v, ".,!?;)"); len(t) > 0 && len(t) < len(v) && !strings.ContainsAny(t, "!?.,;") {
			trail = v[len(t):]
		}
		return src[m[2]:m[3]] + src[m[4]:m[5]] + tag + trail
	}
}

func keepPrefixIfSecretLooking(tag string) func(string, []int) string {
	return func(src string, m []int) string {
		v := src[m[6]:m[7]]
		letters, digits, symbols := 0, 0, 0
		for _, r := range v {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
				letters++
			default:
				symbols++
			}
		}
		if len(v) >= 6 && letters > 0 && (digits > 0 || symbols > 0) {
			return src[m[2]:m[3]] + src[m[4]:m[5]] + tag
		}
		return src[m[0]:m[1]]
	}
}

func luhnOnly(tag string) func(string, []int) string {
	return func(src string, m []int) string {
		s := src[m[0]:m[1]]
		if luhn(s) {
			return tag
		}
		return s
	}
}

// luhn reports whether the digits in s pass the Luhn check that every
// payment card number satisfies (so order numbers and asset tags survive).
func luhn(s string) bool {
	var digits []int
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits = append(digits, int(r-'0'))
		}
	}
	if len(digits) < 13 || len(digits) > 19 {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := digits[i]
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// apply runs the rules until nothing changes: a placeholder can create a
// word boundary that lets an earlier rule match, and redaction must be
// idempotent (what is stored, redacted again, must not change). A rule
// whose literals the text lacks is skipped: it could not match.
func apply(s string, rules []rule, found map[Finding]bool) string {
	for range 4 {
		before := s
		folded := prefilter.Fold(s)
		for _, r := range rules {
			if !r.re.MayMatch(folded) {
				continue
			}
			if next := applyRule(s, r, found); next != s {
				s, folded = next, prefilter.Fold(next)
			}
		}
		if s == before {
			break
		}
	}
	return s
}

func applyRule(s string, r rule, found map[Finding]bool) string {
	idx := r.re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		var rep string
		if r.repl != nil {
			rep = r.repl(s, m)
		} else {
			rep = r.tag
		}
		if rep != s[m[0]:m[1]] {
			found[r.kind] = true
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(rep)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
