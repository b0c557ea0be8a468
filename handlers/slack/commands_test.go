package slack_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/handlers/slack/slacktest"
)

// /helpdesk help, status (the caller's open cases) and queue (techs only,
// oldest first, with age), answered to the caller only.
func TestHelpdeskCommand(t *testing.T) {
	h := newHarness(t)
	r := h.replicas[0]
	run := func(user, text string) string {
		t.Helper()
		code, body := deliver(t, r, "/slack/commands", slacktest.CommandForm(user, general, text), "application/x-www-form-urlencoded")
		var reply struct {
			ResponseType string          `json:"response_type"`
			Text         string          `json:"text"`
			Blocks       json.RawMessage `json:"blocks"`
		}
		if code != http.StatusOK || json.Unmarshal([]byte(body), &reply) != nil {
			t.Fatalf("/helpdesk %s = %d %q", text, code, body)
		}
		if reply.ResponseType != "ephemeral" {
			t.Errorf("/helpdesk %s is %q; want ephemeral", text, reply.ResponseType)
		}
		c := slacktest.Call{Form: map[string]string{"text": reply.Text, "blocks": string(reply.Blocks)}}
		return c.Text()
	}

	if got := run(teacher, "status"); !strings.Contains(got, "no open requests") {
		t.Errorf("status with no cases = %q", got)
	}
	h.dm(teacher, "DPAT", "I need a person, the smartboard in room 5 is dead")
	h.posts(1, techChan, "Claim")
	h.dm(student, "DKID", "I need a person, my &lt;chromebook&gt; won't charge")
	h.posts(1, "DKID", "Which building")
	h.dm(student, "DKID", "skip")
	h.posts(2, techChan, "Claim")

	tests := []struct {
		name, user, text string
		want, notWant    []string
	}{
		{"help", teacher, "", []string{"/helpdesk status", "/helpdesk queue"}, nil},
		{"explicit help", teacher, "help", []string{"/helpdesk status"}, nil},
		{"status lists only my cases", teacher, "status", []string{"IT-1001", "smartboard", "waiting for a tech"}, []string{"chromebook"}},
		{"queue for a tech, oldest first", techAlex, "queue", []string{"Open cases (2)", "IT-1001", "IT-1002", "&lt;chromebook&gt;", "waiting for a tech", "opened just now"}, nil},
		{"queue for a user group tech", techSam, "queue", []string{"Open cases (2)"}, nil},
		{"queue refused to staff", teacher, "queue", []string{"Only the IT team"}, []string{"IT-1001"}},
		{"unknown verb", teacher, "frobnicate", []string{"I don't know that one", "/helpdesk status"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(tt.user, tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("/helpdesk %s lacks %q:\n%s", tt.text, w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("/helpdesk %s shows %q:\n%s", tt.text, w, got)
				}
			}
			if strings.Contains(got, "<chromebook>") {
				t.Errorf("user text unescaped in a command reply: %s", got)
			}
		})
	}
	if got := run(techAlex, "queue"); strings.Index(got, "IT-1001") > strings.Index(got, "IT-1002") {
		t.Errorf("queue not oldest first:\n%s", got)
	}
}
