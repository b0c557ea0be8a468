package bot

import "testing"

func TestLocation(t *testing.T) {
	buildings := []string{"Washington Elementary", "WES", "District Office"}
	tests := []struct{ in, want string }{
		{"Lincoln MS room 204", "Lincoln MS, Room 204"},
		{"i'm in rm 12 at jefferson high school", "Jefferson High School, Room 12"},
		{"the smartboard in room 5 at Lincoln Elementary is dead", "Lincoln Elementary, Room 5"},
		{"WES, portable 3", "WES, Portable 3"},
		{"washington elementary library", "Washington Elementary, Library"},
		{"at the high school, room 101b", "Room 101B"},
		{"upstairs near the stairs", ""},
		{"my password is expired", ""},
	}
	for _, tt := range tests {
		if got := Location(tt.in, buildings); got != tt.want {
			t.Errorf("Location(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestDevice(t *testing.T) {
	tests := []struct{ in, want string }{
		{"asset tag 104233", "104233"},
		{"the chromebook asset# CB-2291 won't charge", "CB-2291"},
		{"serial number: 5CD1234XYZ", "5CD1234XYZ"},
		{"room 12", ""},
	}
	for _, tt := range tests {
		if got := Device(tt.in); got != tt.want {
			t.Errorf("Device(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// Typed instead of the button: the whole message says it is fixed. A
// sentence that only contains the words is a new question.
func TestSolved(t *testing.T) {
	for _, in := range []string{"that fixed it", "That worked!", "ok it works now, thanks", "yep that did the trick",
		"it's working now", "its fixed", "fixed", "all set, thank you", "problem solved", "ok thanks that worked", "thank you, it works now"} {
		if !isSolved(in) || !isThanks(in) {
			t.Errorf("isSolved(%q) = false; want true", in)
		}
	}
	for in, want := range map[string]bool{"👍": true, "👍🏽 !": true, "🙏": true, "👍 but it's still slow": false, "👀": false, "": false} {
		if got := isThumbsUp(in); got != want {
			t.Errorf("isThumbsUp(%q) = %v; want %v", in, got, want)
		}
	}
	for _, in := range []string{"thanks", "it works on my laptop but not the projector", "that fixed it for a day but now it's back",
		"how do I know it's working", "Lincoln MS room 204", ""} {
		if isSolved(in) {
			t.Errorf("isSolved(%q) = true; want false", in)
		}
	}
}

func TestIntents(t *testing.T) {
	tests := []struct {
		in                          string
		person, urgent, stillBroken bool
	}{
		{in: "I need a person", person: true},
		{in: "can I talk to a human", person: true},
		{in: "get a tech", person: true},
		{in: "please open a ticket", person: true},
		{in: "can someone come look at it", person: true},
		{in: "I need someone's email address"},
		{in: "how do I share a doc with a person"},
		{in: "the whole building has no wifi", urgent: true},
		{in: "my class can't log in", urgent: true},
		{in: "testing app is frozen on three chromebooks", urgent: true},
		{in: "none of my students can get on the wifi", urgent: true},
		{in: "how do I prepare chromebooks for testing day"},
		{in: "printer jammed"},
		{in: "still not working", stillBroken: true},
		{in: "that didn't help", stillBroken: true},
		{in: "tried that, no luck", stillBroken: true},
		{in: "it works now"},
	}
	for _, tt := range tests {
		if got := wantsPerson(tt.in); got != tt.person {
			t.Errorf("wantsPerson(%q) = %v; want %v", tt.in, got, tt.person)
		}
		if got := isUrgent(tt.in); got != tt.urgent {
			t.Errorf("isUrgent(%q) = %v; want %v", tt.in, got, tt.urgent)
		}
		if got := stillBroken(tt.in); got != tt.stillBroken {
			t.Errorf("stillBroken(%q) = %v; want %v", tt.in, got, tt.stillBroken)
		}
	}
}

// The case's Problem line is what the person said the problem is: not the
// small talk around it, and not a problem they already solved.
func TestSummarize(t *testing.T) {
	turns := func(texts ...string) *Session {
		s := &Session{}
		for _, x := range texts {
			s.Turns = append(s.Turns, Turn{Who: "requester", Text: x})
		}
		return s
	}
	tests := []struct {
		sess *Session
		text string
		want string
	}{
		{turns("hi", "my projector", "it says no signal", "no"), "", "my projector · it says no signal"},
		{turns("I need help", "my chromebook wont charge", "thanks", "how do I share a folder with my team", "get a tech, I am in room 210"), "", "how do I share a folder with my team"},
		{turns("printer jammed", turnFixed, "get a tech"), "get a tech", "printer jammed"},
		{turns("I need a person, the smartboard in room 5 is dead"), "I need a person, the smartboard in room 5 is dead", "I need a person, the smartboard in room 5 is dead"},
		{turns("get a tech"), "get a tech", "Asked for a tech"},
		{turns("hi, my students can't get on the wifi"), "", "my students can't get on the wifi"},
		{turns("Good morning! the copier says E-201"), "", "the copier says E-201"},
		{turns("URGENT: none of my students can log in"), "", "none of my students can log in"},
		{turns("help! hi, the smartboard is dead"), "", "the smartboard is dead"},
		{turns("the wifi in the library is down and nobody can connect to anything at all today"), "", "the wifi in the library is down and nobody can connect to anything at all today"},
	}
	if got := problemWords("help desk phone number doesn't work"); got != "help desk phone number doesn't work" {
		t.Errorf("problemWords dropped words that are not a cry for help: %q", got)
	}
	for _, tt := range tests {
		if got := summarize(tt.sess, tt.text); got != tt.want {
			t.Errorf("summarize(%v) = %q; want %q", tt.sess.Turns, got, tt.want)
		}
	}
}

func TestSearchText(t *testing.T) {
	buildings := []string{"Washington Elementary", "WES"}
	tests := []struct{ in, want string }{
		{"the projector in room 12 at Lincoln MS is broken", "the projector in is broken"},
		{"WES portable 3 has no wifi", "has no wifi"},
		{"washington elementary library printer jammed", "library printer jammed"},
		{"how do I open ms word", "how do I open ms word"},
		{"the gym at Jefferson High School", "the gym"},
		{"room 204", "room 204"}, // nothing left: the text as it was
		{"my chromebook won't charge", "my chromebook won't charge"},
		{"my chromebook asset tag CB-2291 wont charge", "my chromebook wont charge"},
		{"where is the asset tag sticker", "where is the asset tag sticker"},
		{"this link won't open https://docs.example.org/a?b=1 in chrome", "this link won't open in chrome"},
	}
	for _, tt := range tests {
		if got := searchText(tt.in, buildings); got != tt.want {
			t.Errorf("searchText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// While a case is open, "is anyone coming?" asks for its status and "how
// do I…" is a new question; neither is more about the problem.
func TestStatusAndQuestions(t *testing.T) {
	for _, in := range []string{"is anyone coming?", "Is someone on the way", "when will a tech be here?", "how long until someone comes?",
		"any news?", "any update yet?", "status", "eta?", "who has my ticket?", "who's working on my request", "has anyone picked up my ticket yet?"} {
		if !isStatus(in) {
			t.Errorf("isStatus(%q) = false; want true", in)
		}
	}
	for _, in := range []string{"the projector is beeping, is anyone able to fix that", "how do I check the status of a print job"} {
		if isStatus(in) {
			t.Errorf("isStatus(%q) = true; want false", in)
		}
	}
	for in, want := range map[string]bool{
		"how do I reset his password":              true,
		"what's the wifi password for guests":      true,
		"can I use the cart laptops meanwhile?":    true,
		"is there a loaner I can borrow":           true,
		"the projector is beeping, is that bad?":   false,
		"it's beeping now":                         false,
		"my student can't log into his chromebook": false,
	} {
		if got := isQuestion(in); got != want {
			t.Errorf("isQuestion(%q) = %v; want %v", in, got, want)
		}
	}
}

// "Is it fixed?" answered in words with more after the yes or no.
func TestYesNoWithMore(t *testing.T) {
	for in, want := range map[string]bool{"no it still has a crack": true, "nope, same problem": true, "no. the light is still red": true,
		"no sound from the speakers": false, "no internet in room 4": false, "no": false} {
		if got := saysNoMore(in); got != want {
			t.Errorf("saysNoMore(%q) = %v; want %v", in, got, want)
		}
	}
	for in, want := range map[string]bool{"yes thank you": true, "yes, all good": true, "yeah it works": true,
		"yes the projector is still off": false, "yes, but it's still slow": false, "yes it works but not the sound": false, "yes": false} {
		if got := saysYesMore(in); got != want {
			t.Errorf("saysYesMore(%q) = %v; want %v", in, got, want)
		}
	}
}

func TestBareRoom(t *testing.T) {
	for in, want := range map[string]string{"Lincoln MS 118": "118", "Roosevelt HS, 12b": "12B", "Lincoln MS #204.": "204",
		"Lincoln MS room 118": "", "Lincoln MS": "", "asset tag CB-4471": "", "Lincoln MS, asset 4471": ""} {
		if got := bareRoom(in); got != want {
			t.Errorf("bareRoom(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCancelPhrases(t *testing.T) {
	for in, want := range map[string]bool{"never mind, I figured it out": true, "nevermind thanks": true, "forget it, it's working now": true,
		"cancel": true, "never mind the projector, the printer is jammed": false, "cancel my zoom meeting": false} {
		if got := isCancel(in); got != want {
			t.Errorf("isCancel(%q) = %v; want %v", in, got, want)
		}
	}
	for in, want := range map[string]bool{"yes please": true, "ok thanks!": true, "sure": true, "yes, room 12": false, "ok the printer": false} {
		if got := isAgreement(in); got != want {
			t.Errorf("isAgreement(%q) = %v; want %v", in, got, want)
		}
	}
}

// A message that only says where, sent after filing, moves the case; a
// room alone stays in the case's building, a building alone takes its room.
func TestPlaceOnlyAndMerge(t *testing.T) {
	b := []string{"Lincoln MS", "Roosevelt HS"}
	for in, want := range map[string]string{"Lincoln MS room 12": "Lincoln MS, Room 12", "I'm in Lincoln MS room 12": "Lincoln MS, Room 12",
		"oh, Roosevelt HS": "Roosevelt HS", "actually I'm in the library": "Library", "the printer in room 5 is jammed": "", "it's beeping": ""} {
		if got := placeOnly(in, b); got != want {
			t.Errorf("placeOnly(%q) = %q; want %q", in, got, want)
		}
	}
	for _, tt := range []struct{ old, loc, want string }{
		{"", "Room 12", "Room 12"},
		{"Lincoln MS, Room 12", "Room 14", "Lincoln MS, Room 14"},
		{"Room 12", "Lincoln MS", "Lincoln MS, Room 12"},
		{"Lincoln MS, Room 12", "Roosevelt HS, Room 3", "Roosevelt HS, Room 3"},
		{"Lincoln MS", "Library", "Lincoln MS, Library"},
	} {
		if got := mergePlace(Place{Location: tt.old}, tt.loc, b).Location; got != tt.want {
			t.Errorf("mergePlace(%q, %q) = %q; want %q", tt.old, tt.loc, got, tt.want)
		}
	}
}
