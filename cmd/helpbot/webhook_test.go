package main

import (
	"strings"
	"testing"
)

// A half-configured or unsafe ticket webhook refuses to start, naming the
// variable to fix.
func TestWebhookConfigFailsClosed(t *testing.T) {
	good := "0123456789abcdef0123"
	tests := []struct {
		name string
		vars map[string]string
		want string // "" = starts
	}{
		{"off", map[string]string{}, ""},
		{"https", map[string]string{"TICKET_WEBHOOK_URL": "https://tickets.example.org/hook", "TICKET_WEBHOOK_SECRET": good}, ""},
		{"loopback relay over http", map[string]string{"TICKET_WEBHOOK_URL": "http://127.0.0.1:9000/hook", "TICKET_WEBHOOK_SECRET": good}, ""},
		{"plain http to another host", map[string]string{"TICKET_WEBHOOK_URL": "http://tickets.example.org/hook", "TICKET_WEBHOOK_SECRET": good}, "TICKET_WEBHOOK_URL"},
		{"not a URL", map[string]string{"TICKET_WEBHOOK_URL": "tickets.example.org", "TICKET_WEBHOOK_SECRET": good}, "TICKET_WEBHOOK_URL"},
		{"no secret", map[string]string{"TICKET_WEBHOOK_URL": "https://tickets.example.org/hook"}, "TICKET_WEBHOOK_SECRET"},
		{"short secret", map[string]string{"TICKET_WEBHOOK_URL": "https://tickets.example.org/hook", "TICKET_WEBHOOK_SECRET": "hunter2"}, "TICKET_WEBHOOK_SECRET"},
		{"secret without URL", map[string]string{"TICKET_WEBHOOK_SECRET": good}, "TICKET_WEBHOOK_URL"},
		{"max age too long", map[string]string{"TICKET_WEBHOOK_URL": "https://tickets.example.org/hook", "TICKET_WEBHOOK_SECRET": good, "TICKET_WEBHOOK_MAX_AGE": "720h"}, "TICKET_WEBHOOK_MAX_AGE"},
		{"timeout not a duration", map[string]string{"TICKET_WEBHOOK_URL": "https://tickets.example.org/hook", "TICKET_WEBHOOK_SECRET": good, "TICKET_WEBHOOK_TIMEOUT": "soon"}, "TICKET_WEBHOOK_TIMEOUT"},
		{"transcript not a boolean", map[string]string{"TICKET_WEBHOOK_URL": "https://tickets.example.org/hook", "TICKET_WEBHOOK_SECRET": good, "TICKET_WEBHOOK_TRANSCRIPT": "maybe"}, "TICKET_WEBHOOK_TRANSCRIPT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(env(t, tt.vars))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("loadConfig = %v; want it to start", err)
				}
				return
			}
			if err == nil || exitCodeOf(err) != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadConfig = %v (exit %d); want exit 2 naming %s", err, exitCodeOf(err), tt.want)
			}
			if strings.Contains(err.Error(), "0123456789abcdef0123") {
				t.Fatal("the error message repeats the secret")
			}
		})
	}
}
