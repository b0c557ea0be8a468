package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
)

var conversation = []bot.Turn{
	{Who: "requester", Text: "the projector in room 12 says no signal, call me at 555-123-4567"},
	{Who: "bot", Text: `answered from: Projector shows "No signal"`},
	{Who: "requester", Text: "still nothing after changing the input"},
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		reply   string
		want    string
		wantErr bool
	}{
		{"two lines", 200, "Projector in room 12 shows no signal.\nTried the input button from the KB article; still no picture.",
			"Projector in room 12 shows no signal.\nTried the input button from the KB article; still no picture.", false},
		{"list marks stripped", 200, "- Line 1: Projector in room 12 shows no signal.\n- Line 2: Input changed; still broken.",
			"Projector in room 12 shows no signal.\nInput changed; still broken.", false},
		{"three lines", 200, "a\nb\nc", "", true},
		{"mention", 200, "<!here> projector down in room 12\ntried input", "", true},
		{"link", 200, "Projector down, see https://evil.example\nTried input", "", true},
		{"line too long", 200, strings.Repeat("projector ", 30) + "\nTried input", "", true},
		{"server error", 500, `{"error":{"message":"down"}}`, "", true},
		{"empty", 200, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := newFakeAI(t)
			ai.setReply(fixed(tt.status, tt.reply))
			r := newRig(t, ai, nil, nil)
			got, err := r.m.Summarizer().Summarize(context.Background(), conversation)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Summarize = %q, %v; want %q (error: %v)", got, err, tt.want, tt.wantErr)
			}
			sent := ai.lastChat(t)
			if strings.Contains(ai.allBodies(), "555-123-4567") {
				t.Errorf("the phone number reached the provider")
			}
			if !strings.Contains(sent.user(), "Staff: still nothing after changing the input") ||
				!strings.Contains(sent.Messages[0].Content, "exactly two short lines") {
				t.Errorf("summary prompt = %+v", sent)
			}
		})
	}
}

// The desk puts the model's brief on the tech's card, and the code brief
// when the model fails.
func TestDeskUsesModelBrief(t *testing.T) {
	ai := newFakeAI(t)
	ai.setReply(fixed(200, "Projector in room 12 shows no signal.\nInput changed per the KB; still no picture."))
	r := newRig(t, ai, nil, nil)
	var s bot.Summarizer = r.m.Summarizer()
	got, err := s.Summarize(context.Background(), conversation)
	if err != nil || !strings.HasPrefix(got, "Projector in room 12") {
		t.Fatalf("Summarize = %q, %v", got, err)
	}
	ai.setReply(fixed(200, "<!channel>"))
	if _, err := s.Summarize(context.Background(), conversation); err == nil {
		t.Fatal("invalid brief accepted")
	}
	if brief := bot.CodeBrief(conversation); !strings.HasPrefix(brief, "Reported: the projector in room 12") {
		t.Errorf("code brief = %q", brief)
	}
}
