package bot

import (
	"strings"
	"unicode"

	"github.com/helpbot/helpbot/bot/internal/prefilter"
)

// Intent detection is deliberately plain code (word lists and patterns): the
// decision to involve a person is never delegated to a model. The patterns
// are prefiltered: one that needs words the text lacks is not run (most
// messages claim no intent at all).

var (
	wantsPersonRe = prefilter.MustCompile(`(?i)\b(talk|speak|chat)\s+(to|with)\s+(a|an|the|some|real)?\s*(person|human|tech|technician|someone|somebody|agent|it|support|people)\b` +
		`|\b(need|want|get|send|call|contact)\s+(me\s+)?(a|an|the|some)?\s*(real\s+|live\s+)?(person|human|tech|technician|someone|somebody|agent|it person|it guy|help desk|helpdesk)\b` +
		`|\b(open|file|submit|create|put in|make)\s+(a|an|the)?\s*(ticket|case|work order|help ?desk request|request)\b` +
		`|\bcan (someone|somebody|a tech|a person|anyone|it) (come|help|look|stop by|check)\b` +
		`|^\s*(get a tech|human|person|agent|technician|tech please|help desk|escalate)\s*[.!]*\s*$`)

	// Urgent: a class or many people are stopped. Wording only; the school
	// calendar (testing days) adds more later.
	urgentRe = prefilter.MustCompile(`(?i)\b(whole|entire|all of the|every|the full)\s+(building|school|campus|floor|wing|hallway|district|class|classroom|grade|department)\b` +
		`|\b(class|classes|students|kids|lesson|we)\s+(can'?t|cannot|can not|unable to|couldn'?t)\s+(start|begin|log ?in|sign ?in|work|continue|test|get on|connect|see|hear|do)\b` +
		`|\b(nobody|no one|noone|none of (the|my) (students|kids|computers|chromebooks|devices))\s+(can|is able to|are able to)\b` +
		`|\b(testing|state test|state testing|assessment|exam)\b.{0,40}\b(down|broken|not working|won'?t|can'?t|failed|failing|crash\w*|frozen|stuck|error)\b` +
		`|\b(down|broken|not working|won'?t|can'?t|failed|failing|crash\w*|frozen|stuck|error)\b.{0,40}\b(testing|state test|assessment|exam)\b` +
		`|\b(all|every one of)\s+(the\s+|my\s+)?(chromebooks|computers|laptops|devices|students|phones|printers|screens|projectors)\b.{0,30}\b(down|dead|broken|not working|won'?t|can'?t|offline|off)\b` +
		`|\b(emergency|urgent|asap|right now|immediately)\b` +
		`|\b(wifi|wi-fi|internet|network|phones?)\b.{0,25}\b(is |are |went |has gone )?(down|out)\b.{0,25}\b(building|school|everyone|everybody|whole|entire)\b`)

	stillBrokenRe = prefilter.MustCompile(`(?i)\b(still|yet)\s+(not|isn'?t|doesn'?t|won'?t|can'?t|broken|no\b|nothing|the same|having)\b` +
		`|\b(didn'?t|did not|doesn'?t|does not|not)\s+(work|help|fix|solve|do anything|change anything)\b` +
		`|\b(no luck|no change|same problem|same issue|tried (that|it|those|everything|all)|that'?s not it|not it|nope)\b`)

	thanksRe = prefilter.MustCompile(`(?i)^\s*(thanks?( you)?|thank you( so much)?|thx|ty|great|perfect|awesome|all good|got it|ok(ay)? thanks?)\s*[.!]*\s*$`)
	// solvedRe is the whole message saying the problem is gone ("that fixed
	// it", "ok it works now, thanks"), typed instead of pressing the button.
	solvedRe = prefilter.MustCompile(`(?i)^\s*((ok(ay)?|yes|yep|yeah|great|perfect|awesome|oh|thanks?|thank you|thx|ty)[,!. ]+){0,3}` +
		`((that|this|it)\s+(worked|works( now)?|fixed it|did it|did the trick|helped)|(it'?s|it is|its)\s+(working|fixed)( now)?|works now|working now|fixed( it)?|all set|problem solved|solved)` +
		`([,!. ]+(thanks?( you)?( so much)?|thank you( so much)?|thx|ty))?\s*[.!]*\s*$`)
	yesNoRe = prefilter.MustCompile(`(?i)^\s*(yes|yeah|yep|yup|no|nope|nah|not really|not yet|ok|okay|sure|k)\s*[.!]*\s*$`)
	yesRe   = prefilter.MustCompile(`(?i)^\s*(yes|yeah|yep|yup)\s*[.!]*\s*$`)
	noRe    = prefilter.MustCompile(`(?i)^\s*(no|nope|nah|not really|not yet)\s*[.!]*\s*$`)
	// noMoreRe and yesMoreRe are "no" and "yes" with more said after
	// them ("no it still has a crack", "yes, thank you"), but not "no
	// sound from the speakers": only punctuation or a word that carries
	// on the answer may follow.
	noMoreRe  = prefilter.MustCompile(`(?i)^\s*(no|nope|nah|not really|not yet)(\s*[,.!;:-]+\s*\S|\s+(it|it's|its|still|same|the same|not|didn't|doesn't|isn't|wasn't|he|she|they)\b)`)
	yesButRe  = prefilter.MustCompile(`(?i)\b(but|still|not|isn'?t|doesn'?t|didn'?t|won'?t|can'?t|except)\b`)
	yesMoreRe = prefilter.MustCompile(`(?i)^\s*(yes|yeah|yep|yup)(\s*[,.!;:-]+\s*\S|\s+(it|it's|its|thanks?|thank you|all|everything|works?|working|fixed|perfect|great|good)\b)`)
	skipRe    = prefilter.MustCompile(`(?i)^\s*(skip|no|nope|none|n/?a|don'?t know|dont know|not sure|idk|just send it|send it|no idea)\s*[.!]*\s*$`)
	cancelRe  = prefilter.MustCompile(`(?i)^\s*(never ?mind|nevermind|cancel|forget it|no thanks|it'?s fine now|i fixed it|figured it out|i figured it out)` +
		`([,.!; ]+(i fixed it|i figured it out|figured it out|it'?s fine( now)?|it works( now)?|it'?s working( now)?|thanks?( anyway)?|thank you|sorry))*\s*[.!]*\s*$`)
	helpRe   = prefilter.MustCompile(`(?i)^\s*(help|\?|what can you do|hi|hello|hey|good morning|good afternoon|i need (some )?help|help me|help,? please|please help( me)?|can you help( me)?|i have a (question|problem))\s*[.!?]*\s*$`)
	statusRe = prefilter.MustCompile(`(?i)^\s*(status|my (cases|tickets|requests)|any (update|news)( yet)?\??|what'?s the status( of my (case|ticket|request))?\??` +
		`|(is|are) (anyone|anybody|someone|somebody|a tech|the tech|they|you guys) (coming|on (the|their|his|her) way)( yet)?\??` +
		`|when (will|is) (someone|somebody|a tech|the tech|anyone|they) (coming|come|get here|be here|going to come)\??` +
		`|how long (will it|until|till|do i (have to )?wait)[^.!]*\??|eta\??` +
		`|who('?s| is| has) (got |working on |handling |looking at )?(my|the) (ticket|case|request)\??` +
		`|(has|did) (anyone|anybody|someone|somebody|a tech) (picked up|pick up|claimed|claim|taken|take|seen|see) (my|the) (ticket|case|request)( yet)?\??)\s*$`)
	// agreeRe is a reply that agrees or thanks and says nothing else
	// ("yes please", "ok thanks", "sure").
	agreeRe = prefilter.MustCompile(`(?i)^\s*((yes|yeah|yep|yup|sure|ok(ay)?|k|please|great|perfect|sounds good|go ahead|thanks?|thank you|thx|ty)[\s,.!]*)+$`)
	// questionRe is a message that asks the bot something ("how do I…",
	// "what's the…", "can I…"): a new question, not more about a problem.
	questionRe = prefilter.MustCompile(`(?i)^\s*(how|what|what'?s|where|where'?s|when|why|which|who|can i|could i|should i|is there|are there|do i|does|is it possible)\b`)

	roomRe     = prefilter.MustCompile(`(?i)\b(room|rm\.?|classroom|class room|portable|lab|suite|office)\s*#?\s*([a-z]?\d{1,4}[a-z]?)\b`)
	placeRe    = prefilter.MustCompile(`(?i)\b(library|media center|gym|gymnasium|cafeteria|auditorium|front office|main office|district office|nurse'?s office|computer lab|science lab|band room|music room|art room|staff lounge|teachers'? lounge|counseling office|conference room)\b`)
	buildingRe = prefilter.MustCompile(`(?i)\b([a-z][a-z'.-]+(?:\s[a-z][a-z'.-]+)?)\s+(elementary school|elementary|middle school|high school|primary school|intermediate school|academy|es|ms|hs|jhs|k-8)\b`)
	deviceRe   = prefilter.MustCompile(`(?i)\b(?:asset(?:\s*tag)?|device\s*(?:tag|#|id)|tag\s*#|serial(?:\s*(?:number|no\.?|#))?|s/n)\s*[:#]?\s*([a-z0-9][a-z0-9-]{3,20})\b`)
)

// linkRe is a pasted web address.
var linkRe = prefilter.MustCompile(`(?i)\bhttps?://\S+`)

// possessiveRe spots "someone's email", which asks about a person, not for one.
var possessiveRe = prefilter.MustCompile(`(?i)\b(someone|somebody|person|tech|human)('s|’s)\b`)

func wantsPerson(s string) bool {
	return wantsPersonRe.MatchString(possessiveRe.ReplaceAllString(s, "their"))
}
func isUrgent(s string) bool    { return urgentRe.MatchString(s) }
func stillBroken(s string) bool { return stillBrokenRe.MatchString(s) }
func isThanks(s string) bool    { return thanksRe.MatchString(s) || isSolved(s) || isThumbsUp(s) }

func isSolved(s string) bool    { return solvedRe.MatchString(s) }
func isSkip(s string) bool      { return skipRe.MatchString(s) }
func isYesNo(s string) bool     { return yesNoRe.MatchString(s) }
func isNo(s string) bool        { return noRe.MatchString(s) }
func isYes(s string) bool       { return yesRe.MatchString(s) }
func saysNoMore(s string) bool  { return noMoreRe.MatchString(s) }
func saysYesMore(s string) bool { return yesMoreRe.MatchString(s) && !yesButRe.MatchString(s) }
func isCancel(s string) bool    { return cancelRe.MatchString(s) }
func isGreeting(s string) bool  { return helpRe.MatchString(s) }
func isStatus(s string) bool    { return statusRe.MatchString(s) }
func isQuestion(s string) bool  { return questionRe.MatchString(s) }
func isAgreement(s string) bool { return agreeRe.MatchString(s) }

// isThumbsUp is a message of nothing but 👍, 👌, ✅ or 🙏 (any skin tone).
func isThumbsUp(s string) bool {
	seen := false
	for _, r := range s {
		switch {
		case r == '👍' || r == '👌' || r == '✅' || r == '🙏':
			seen = true
		case unicode.IsSpace(r), r >= 0x1F3FB && r <= 0x1F3FF, r == 0xFE0F, r == '!':
		default:
			return false
		}
	}
	return seen
}

// saysNothing is a message with no letter or digit in it ("????", "👀").
func saysNothing(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
}

// buildingStop are words the building pattern must not take as a name ("the
// high school" is not a building called "The").
var buildingStop = map[string]bool{"the": true, "our": true, "my": true, "at": true, "in": true, "a": true, "this": true, "that": true, "of": true, "to": true, "for": true, "from": true}

// Location extracts a building and room from free text, e.g. "Lincoln MS,
// Room 204". Known building names (Policy.Buildings) win over the pattern.
func Location(text string, buildings []string) string {
	var parts []string
	lower := strings.ToLower(text)
	found := false
	for _, b := range buildings {
		if b != "" && containsWord(lower, strings.ToLower(b)) {
			parts = append(parts, b)
			found = true
			break
		}
	}
	if !found {
		if m := buildingRe.FindStringSubmatch(text); m != nil {
			words := strings.Fields(m[1])
			for len(words) > 0 && buildingStop[strings.ToLower(words[0])] {
				words = words[1:]
			}
			if len(words) > 0 {
				parts = append(parts, titleWords(strings.Join(words, " "))+" "+suffixCase(m[2]))
			}
		}
	}
	if m := roomRe.FindStringSubmatch(text); m != nil {
		kind := strings.ToLower(strings.TrimSuffix(m[1], "."))
		if kind == "rm" || kind == "classroom" || kind == "class room" {
			kind = "room"
		}
		parts = append(parts, titleWords(kind)+" "+strings.ToUpper(m[2]))
	} else if m := placeRe.FindString(text); m != "" {
		parts = append(parts, titleWords(strings.ToLower(m)))
	}
	return strings.Join(parts, ", ")
}

// searchText is the question as the KB is searched for it: without the
// building, room and device tag it names ("the projector in room 12 at
// Lincoln MS is broken" → "the projector in is broken") or the links pasted
// into it. Where a problem is says nothing about which article fixes it,
// and a rare building name or a URL's "https" and "com" drown the words
// that do. A short building suffix counts only when written as a name
// ("Lincoln MS", not "open ms word").
func searchText(text string, buildings []string) string {
	out := withoutPlace(linkRe.ReplaceAllString(text, " "), buildings)
	if !strings.ContainsFunc(out, unicode.IsLetter) {
		return text
	}
	return out
}

// withoutPlace is text without the building, room and device tag it
// names, spaces folded; it may be empty.
func withoutPlace(text string, buildings []string) string {
	out := text
	for _, b := range buildings {
		if b == "" {
			continue
		}
		for {
			i := wordIndex(strings.ToLower(out), strings.ToLower(b))
			if i < 0 {
				break
			}
			out = out[:i] + " " + out[i+len(b):]
		}
	}
	out = roomRe.ReplaceAllString(out, " ")
	// "asset tag CB-2291" names the device, not the problem; "where is the
	// asset tag" (no number) is a question about tags and stays.
	out = deviceRe.ReplaceAllStringFunc(out, func(m string) string {
		if strings.ContainsAny(deviceRe.FindStringSubmatch(m)[1], "0123456789") {
			return " "
		}
		return m
	})
	out = buildingRe.ReplaceAllStringFunc(out, func(m string) string {
		sub := buildingRe.FindStringSubmatch(m)
		suffix := sub[2]
		if len(suffix) > 4 || (strings.ToUpper(suffix) == suffix && startsUpper(lastWord(sub[1]))) {
			return " "
		}
		return m
	})
	return strings.Join(strings.Fields(out), " ")
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}

// wordIndex is the byte index of w in s as a whole word, or -1.
func wordIndex(s, w string) int {
	for i := 0; i+len(w) <= len(s); {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return -1
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isWordByte(s[j-1])) && (end >= len(s) || !isWordByte(s[end])) {
			return j
		}
		i = j + 1
	}
	return -1
}

// Device extracts an asset tag or serial number, if the text names one.
func Device(text string) string {
	if m := deviceRe.FindStringSubmatch(text); m != nil {
		return strings.ToUpper(m[1])
	}
	return ""
}

func containsWord(s, w string) bool {
	i := strings.Index(s, w)
	for i >= 0 {
		before := i == 0 || !isWordByte(s[i-1])
		end := i + len(w)
		after := end >= len(s) || !isWordByte(s[end])
		if before && after {
			return true
		}
		j := strings.Index(s[i+1:], w)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func titleWords(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

func suffixCase(s string) string {
	switch l := strings.ToLower(s); l {
	case "es", "ms", "hs", "jhs":
		return strings.ToUpper(l)
	case "k-8":
		return "K-8"
	default:
		return titleWords(l)
	}
}
