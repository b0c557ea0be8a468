package screen

import (
	"strings"
	"testing"
)

func mustNew(t testing.TB, pats ...string) *Screener {
	t.Helper()
	s, err := New(Options{StudentIDPatterns: pats})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"zero width inside a word", "pass\u200Bword", "password"},
		{"bidi override", "abc\u202Edef\u202C", "abcdef"},
		{"tag characters", "hi\U000E0041\U000E0042", "hi"},
		{"fullwidth digits", "１２３－４５－６７８９", "123-45-6789"},
		{"ligature", "ﬁle", "file"},
		{"spaces collapse", "  a \t  b  ", "a b"},
		{"newlines kept", "step one  \n step two", "step one\nstep two"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"controls dropped", "a\x07b", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
	long := strings.Repeat("x", MaxRunes+50)
	got, cut := Normalize(long)
	if !cut || len([]rune(got)) != MaxRunes {
		t.Errorf("Normalize(long) = %d runes, cut=%v; want %d, true", len([]rune(got)), cut, MaxRunes)
	}
}

func TestScreenSecrets(t *testing.T) {
	s := mustNew(t)
	tests := []struct {
		in       string
		want     string // substring that must be present
		gone     string // substring that must be absent
		isSecret bool
	}{
		{"my password is hunter2 and it won't work", "my password is [password removed] and", "hunter2", true},
		{"pass\u200Bword is hunter2", "[password removed]", "hunter2", true},
		{"my password: Tr0ub4dor&3", "[password removed]", "Tr0ub4dor", true},
		{"I changed my password to Spring2026!", "[password removed]", "Spring2026", true},
		{"new password Winter#2026 doesnt work", "[password removed]", "Winter#2026", true},
		{"pw=abc123xyz", "[password removed]", "abc123xyz", true},
		{"my password is Hunter22! please help", "my password is [password removed]! please help", "Hunter22", true},
		{"my pin is 4821", "[password removed]", "4821", true},
		{"token xoxb-1234-5678-abcdefghijkl leaked", "[secret removed]", "xoxb-", true},
		{"key sk-proj-abcdefghijklmnop1234567890", "[secret removed]", "sk-proj", true},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "[secret removed]", "MIIE", true},
		// Ordinary help requests keep their words.
		{"my password is expired", "my password is expired", "[password", false},
		{"password reset please", "password reset please", "[password", false},
		{"I need to reset my password to get into gmail", "password to get into gmail", "[password", false},
		{"the hall pass is missing", "hall pass is missing", "[password", false},
		{"the pin is bent on the hdmi cable", "the pin is bent", "[password", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := s.Screen(tt.in)
			if !strings.Contains(got.Text, tt.want) || (tt.gone != "" && strings.Contains(got.Text, tt.gone)) {
				t.Errorf("Screen(%q).Text = %q; want it to contain %q and not %q", tt.in, got.Text, tt.want, tt.gone)
			}
			if (len(got.Secrets) > 0) != tt.isSecret {
				t.Errorf("Screen(%q).Secrets = %v; want secret=%v", tt.in, got.Secrets, tt.isSecret)
			}
		})
	}
}

func TestRedactPII(t *testing.T) {
	s := mustNew(t, `\bS\d{7}\b`)
	tests := []struct {
		in, gone, kind string
	}{
		{"email jane.doe@district.k12.us please", "jane.doe", "[email]"},
		{"call me at (555) 123-4567", "123-4567", "[phone]"},
		{"call 555.123.4567", "123.4567", "[phone]"},
		{"ssn 123-45-6789", "6789", "[ssn]"},
		{"ssn １２３－４５－６７８９", "6789", "[ssn]"},
		{"SSN: 123456789", "123456789", "[ssn]"},
		{"card 4111 1111 1111 1111 charged", "4111", "[card number]"},
		{"dob 03/14/2012", "2012", "[date of birth]"},
		{"born on March 14, 2012", "2012", "[date of birth]"},
		{"student id 4451234 can't log in", "4451234", "[student id]"},
		{"S1234567 forgot her password", "S1234567", "[student id]"},
		{"my password is hunter2", "hunter2", "[password removed]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, found := s.Redact(tt.in)
			if strings.Contains(got, tt.gone) || !strings.Contains(got, tt.kind) || len(found) == 0 {
				t.Errorf("Redact(%q) = %q, %v; want %q replaced by %q", tt.in, got, found, tt.gone, tt.kind)
			}
		})
	}
	// Numbers that are not card numbers (asset tags, order numbers) stay.
	keep := []string{"asset tag 1234567890123", "room 504", "order 1234 5678 9012 3456"}
	for _, k := range keep {
		if got, _ := s.Redact(k); got != k {
			t.Errorf("Redact(%q) = %q; want unchanged", k, got)
		}
	}
}

func TestPolicy(t *testing.T) {
	s := mustNew(t)
	tests := []struct{ in, want string }{
		{"how do I get past the filter", PolicyFilterBypass},
		{"how can students get around goguardian", PolicyFilterBypass},
		{"turn off securly on my chromebook", PolicyFilterBypass},
		{"how to unblock blocked games", PolicyFilterBypass},
		{"how do I DDoS the wifi", PolicyNetworkAttack},
		{"can you crash the school network", PolicyNetworkAttack},
		{"how do i hack into powerschool", PolicyNetworkAttack},
		{"how do I find the teacher's password", PolicyAccountTakeover},
		{"how can I read another teacher's email", PolicyAccountTakeover},
		{"log in as another teacher", PolicyAccountTakeover},
		{"f\u200Bind the teacher's password", PolicyAccountTakeover},
		// Legitimate requests are not refused.
		{"a site I need is blocked by the filter, can it be reviewed", ""},
		{"how do I reset my password", ""},
		{"my student forgot his password", ""},
		{"sign in to a different google account", ""},
		{"wifi is down in the whole building", ""},
		{"how do I use a different account in chrome", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := s.Screen(tt.in).Policy; got != tt.want {
				t.Errorf("Screen(%q).Policy = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSensitive(t *testing.T) {
	s := mustNew(t)
	for in, want := range map[string]bool{
		"where do I upload the IEP for a student":    true,
		"504 plan accommodations in the testing app": true,
		"discipline referral form won't submit":      true,
		"projector in room 504 is dark":              false,
		"printer jammed":                             false,
	} {
		if got := s.Screen(in).Sensitive; got != want {
			t.Errorf("Screen(%q).Sensitive = %v; want %v", in, got, want)
		}
	}
}

func TestBadStudentPattern(t *testing.T) {
	if _, err := New(Options{StudentIDPatterns: []string{"("}}); err == nil || !strings.Contains(err.Error(), `"("`) {
		t.Errorf("New(bad pattern) error = %v; want one naming the pattern", err)
	}
}

func FuzzRedact(f *testing.F) {
	for _, seed := range []string{
		"my password is hunter2", "pass\u200Bword: x", "4111 1111 1111 1111",
		"dob 1/2/2010 ssn 123-45-6789 call (555) 123-4567 a@b.co",
		"-----BEGIN PRIVATE KEY-----", "student id S1234567", "",
	} {
		f.Add(seed)
	}
	s := mustNew(f, `\bS\d{7}\b`)
	f.Fuzz(func(t *testing.T, in string) {
		once, _ := s.Redact(in)
		twice, _ := s.Redact(once)
		if once != twice {
			t.Errorf("Redact not idempotent:\n in    %q\n once  %q\n twice %q", in, once, twice)
		}
		sc := s.Screen(in)
		if again := s.Screen(sc.Text); again.Text != sc.Text {
			t.Errorf("Screen not idempotent: %q -> %q -> %q", in, sc.Text, again.Text)
		}
	})
}
