package stats

import (
	"regexp"
	"strings"
	"unicode"
)

// MaxQuestionRunes caps a stored unanswered question: enough to see what
// article is missing, too little to carry a pasted document.
const MaxQuestionRunes = 160

// NamePlaceholder replaces what looks like a student's name.
const NamePlaceholder = "[name]"

// Anonymize prepares a question the KB could not answer for the "write
// these next" list, which is kept for 400 days and shown to the whole IT
// team: secrets and personal data are removed by redact (the screen's
// Redact), then names after "my student", "student named"… are replaced,
// spaces collapsed and the length capped. It returns the text to show and
// the case-insensitive key that identical questions share ("" when nothing
// worth keeping is left).
func Anonymize(question string, redact func(string) string) (text, key string) {
	t := redact(question)
	t = strings.Join(strings.Fields(t), " ")
	t = stripStudentNames(t)
	// Redact again: removing a name can join what the redactor saw apart,
	// and the redactor is idempotent, so this costs nothing when clean.
	t = redact(t)
	t = capRunes(t, MaxQuestionRunes)
	return t, normalizeKey(t)
}

// normalizeKey is what makes "How do I X?" and "how do i x" one question.
func normalizeKey(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsPunct(r) && r != ']' || unicode.IsSpace(r) })
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsPunct(r) && r != '[' || unicode.IsSpace(r) })
	if !strings.ContainsFunc(placeholderRe.ReplaceAllString(s, ""), unicode.IsLetter) {
		return ""
	}
	return s
}

func capRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

var (
	// placeholderRe matches what the redactor and this file leave behind
	// ("[email]", "[password removed]", "[name]").
	placeholderRe = regexp.MustCompile(`\[[a-z ]+\]`)
	// studentWord is a word for a child, with the determiner that makes
	// the next word likely a name ("my student Jake", "her son Ben").
	studentWord = regexp.MustCompile(`(?i)\b(?:(my|our|a|an|the|his|her|their|this|that|one of my|one of our)\s+)?(?:(?:\d+(?:st|nd|rd|th)[ -]grade(?:rs?)?|new|former|sped|ell)\s+)?(?:students?|kids?|child|children|pupils?|learners?|sons?|daughters?|kiddos?)\b`)
	// namedWord: whatever follows "named" or "called" is a name.
	namedWord = regexp.MustCompile(`(?i)\b(?:named|called)\b`)
	// capsRun is one or more capitalised words (with initials and lists:
	// "Jake Miller", "Ana and Ben", "J. Smith, Lee Ortiz").
	capsRun = regexp.MustCompile(`^(\s+)(` + capWord + `(?:\s+` + capWord + `)*(?:(?:\s*,\s*|\s+(?:and|&)\s+)` + capWord + `(?:\s+` + capWord + `)*)*)`)
	// anyWord is the single next word, any case.
	anyWord = regexp.MustCompile(`^(\s+)(\p{L}` + wordTail + `)`)
)

// A word's tail keeps O'Brien and can't whole but stops before a
// possessive, so "Jake's laptop" becomes "[name]'s laptop".
const (
	wordTail = `(?:[\p{L}-]|['’](?:t\b|\p{L}{2,}))*`
	capWord  = `\p{Lu}` + wordTail + `\.?`
)

// stripStudentNames replaces what looks like a name after a word for a
// student. Capitalised words are names unless they are common words
// ("my student Can't log in"); after "my student" even a lower-case word is
// taken for a name unless it is one the bot often sees there ("my student
// can't", "my student chromebook"). Erring towards removing a word is the
// point: the list is kept for a year.
func stripStudentNames(s string) string {
	var b strings.Builder
	last := 0
	type span struct{ start, end int }
	var spans []span
	for _, m := range studentWord.FindAllStringSubmatchIndex(s, -1) {
		det := m[2] >= 0
		if e := nameAfter(s, m[1], det); e > m[1] {
			spans = append(spans, span{m[1], e})
		}
	}
	for _, m := range namedWord.FindAllStringIndex(s, -1) {
		if loc := anyWord.FindStringSubmatchIndex(s[m[1]:]); loc != nil && !isFiller(s[m[1]+loc[4]:m[1]+loc[5]]) {
			e := m[1] + loc[5]
			if c := capsRun.FindStringSubmatchIndex(s[m[1]:]); c != nil {
				e = max(e, m[1]+c[5])
			}
			spans = append(spans, span{m[1], e})
		}
	}
	if len(spans) == 0 {
		return s
	}
	// Apply left to right; overlapping spans ("my student named Jake")
	// merge.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	for _, sp := range spans {
		if sp.start < last {
			if sp.end <= last {
				continue
			}
			sp.start = last
		}
		seg := s[sp.start:sp.end]
		lead := len(seg) - len(strings.TrimLeft(seg, " \t"))
		b.WriteString(s[last : sp.start+lead])
		b.WriteString(NamePlaceholder)
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// nameAfter returns where a name following position i ends (i when none).
func nameAfter(s string, i int, determiner bool) int {
	rest := s[i:]
	if c := capsRun.FindStringSubmatchIndex(rest); c != nil {
		first := strings.Fields(rest[c[4]:c[5]])[0]
		if !isFiller(first) {
			return i + c[5]
		}
	}
	if !determiner {
		return i
	}
	if w := anyWord.FindStringSubmatchIndex(rest); w != nil && !isFiller(rest[w[4]:w[5]]) {
		return i + w[5]
	}
	return i
}

// isFiller reports words that commonly follow "my student" and are not
// names: verbs, function words and the things the bot is asked about.
func isFiller(word string) bool {
	w := strings.ToLower(strings.TrimRight(word, ".'’"))
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	w = strings.ReplaceAll(w, "’", "'")
	return fillers[w]
}

var fillers = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		i a an the and or but so if then than that this these those who whom whose which what when where why how
		is isn't are aren't was wasn't were weren't be been being am
		has hasn't have haven't had hadn't does doesn't do don't did didn't done
		can can't cant cannot could couldn't will won't would wouldn't should shouldn't may might must shall
		keeps keep kept needs need needed got gets get getting forgot forgets forgotten lost loses broke breaks broken
		dropped says said say tried tries try want wants wanted still just also only never always again now
		today yesterday tomorrow here there not no yes all some any every each both many most more
		accidentally somehow apparently really suddenly sometimes keeps logged logging log login logins logs
		in on at for from to of with without by about into onto over under after before during up down out off
		account accounts chromebook chromebooks laptop laptops ipad ipads tablet tablets computer computers pc pcs
		mac macbook device devices headphones headset mouse keyboard charger screen screens camera microphone mic
		password passwords passcode pin email emails gmail outlook id ids username usernames user users profile profiles
		portal wifi wi-fi internet network printer printers projector projectors drive folder folders file files
		app apps google canvas clever schoology seesaw zoom teams classroom grades grade gradebook records schedule
		attendance work assignment assignments test tests testing quiz quizzes data info information home desk desktop
		seat computer's sees saw see seeing shows showing says typed types enters entered clicked clicks opened opens
		used uses using went goes gone came comes come named called
		with my your his her their our its it he she they we you him them us me
		one two three few several other others else
		group groups class classes period periods room team teacher teachers staff
		student students kid kids child children
		[name]`) {
		m[w] = true
	}
	return m
}()
