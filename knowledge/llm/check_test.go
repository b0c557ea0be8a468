package llm

import (
	"testing"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/screen"
)

// The output checks on their own, for cases the end-to-end tables do not
// reach: what counts as a link, a mention or a request for a password.
func TestCheckText(t *testing.T) {
	sc, _ := screen.New(screen.Options{})
	refs := []reference{{
		src:  bot.Source{Title: "Reset your password", URL: "https://kb.district.example/reset"},
		text: "Go to https://passwordreset.district.example. Never share your password with anyone.",
	}}
	links := allowedLinks(refs)
	tests := []struct {
		text string
		ok   bool
	}{
		{"Go to https://passwordreset.district.example and reset it.", true},
		{"See https://kb.district.example/reset/ for details.", true},
		{"Never share your password with anyone, not even IT.", true},
		{"Type your new password twice.", true},
		{"Press Settings > Audio and pick HDMI 1.", true},
		{"Version 1.2 fixed it.", true},
		{"Go to passwordreset.district.example.", true},
		{"Go to login.evil.example to reset it.", false},
		{"Open 10.0.0.1/admin in a browser.", false},
		{"Download it from fix.com.", false},
		{"Go to www.evil.example now.", false},
		{"Email mailto:it@evil.example.", false},
		{"Send your password to IT so they can check it.", false},
		{"Please reply with your MFA code.", false},
		{"Ask <#C0123> for help.", false},
		{"Ping @everyone about it.", false},
		{"<img src=x> press Input.", false},
		{"Press Input.\x07", false},
		{"Press Input\u202e.", false},
	}
	for _, tt := range tests {
		err := checkText(tt.text, 900, links, sc)
		if (err == nil) != tt.ok {
			t.Errorf("checkText(%q) = %v; want ok %v", tt.text, err, tt.ok)
		}
	}
}
