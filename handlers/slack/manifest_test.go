package slack_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"gopkg.in/yaml.v3"

	hbslack "github.com/helpbot/helpbot/handlers/slack"
)

// The committed manifests grant exactly the scopes and events the code
// uses (least privilege), and each mode is set up for how it connects.
func TestManifests(t *testing.T) {
	tests := []struct {
		file   string
		socket bool
	}{
		{"../../deploy/slack/manifest.yaml", true},
		{"../../deploy/slack/manifest-http.yaml", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var m slack.Manifest
			if err := yaml.Unmarshal(raw, &m); err != nil {
				t.Fatalf("parse: %v", err)
			}
			var want []string
			for s := range hbslack.Scopes {
				want = append(want, s)
			}
			slices.Sort(want)
			got := slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))
			if !slices.Equal(got, want) {
				t.Errorf("bot scopes = %v; the code uses %v", got, want)
			}
			if len(m.OAuthConfig.Scopes.User) > 0 {
				t.Errorf("user scopes %v: the bot needs none", m.OAuthConfig.Scopes.User)
			}
			if m.Settings.EventSubscriptions == nil {
				t.Fatal("no event subscriptions")
			}
			if got := slices.Sorted(slices.Values(m.Settings.EventSubscriptions.BotEvents)); !slices.Equal(got, hbslack.Events) {
				t.Errorf("bot events = %v; the code handles %v", got, hbslack.Events)
			}
			if m.Settings.Interactivity == nil || !m.Settings.Interactivity.IsEnabled {
				t.Error("interactivity is off: the buttons would do nothing")
			}
			if m.Settings.SocketModeEnabled != tt.socket {
				t.Errorf("socket_mode_enabled = %v; want %v", m.Settings.SocketModeEnabled, tt.socket)
			}
			if !m.Features.AppHome.MessagesTabEnabled || m.Features.AppHome.MessagesTabReadOnlyEnabled {
				t.Error("the Messages tab must be on and writable, or staff cannot DM the bot")
			}
			if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != hbslack.Command {
				t.Errorf("slash commands = %+v; want %s", m.Features.SlashCommands, hbslack.Command)
			}
			urls := []string{m.Settings.EventSubscriptions.RequestUrl, m.Settings.Interactivity.RequestUrl, m.Features.SlashCommands[0].Url}
			for i, path := range []string{"/slack/events", "/slack/interactivity", "/slack/commands"} {
				switch {
				case tt.socket && urls[i] != "":
					t.Errorf("Socket Mode manifest sets a request URL %q", urls[i])
				case !tt.socket && (!strings.HasPrefix(urls[i], "https://") || !strings.HasSuffix(urls[i], path)):
					t.Errorf("HTTP manifest URL %q; want https://…%s", urls[i], path)
				}
			}
		})
	}
}
