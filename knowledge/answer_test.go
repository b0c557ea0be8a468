package knowledge

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/helpbot/helpbot/bot"
)

func testAnswerer(t *testing.T) *Answerer {
	return NewAnswerer(NewLibrary(loadTestKB(t)), AnswererOptions{})
}

func TestAnswerConfident(t *testing.T) {
	a := testAnswerer(t)
	ans, err := a.Answer(context.Background(), bot.Question{Text: "the projector says no signal", Audience: bot.AudienceStaff})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Confident || ans.Confidence < DefaultThreshold {
		t.Fatalf("Answer = %+v; want confident", ans)
	}
	if len(ans.Sources) == 0 || ans.Sources[0].Path != "classroom/projector-no-signal.md" ||
		ans.Sources[0].Title != `Projector shows "No signal"` || ans.Sources[0].Version == "" {
		t.Errorf("Sources = %+v", ans.Sources)
	}
	// The lead section is a one-line introduction, so its steps come along.
	for _, want := range []string{"Work down this list", "Check the input", "1. Press Input on the remote."} {
		if !strings.Contains(ans.Text, want) {
			t.Errorf("Text = %q; want it to contain %q", ans.Text, want)
		}
	}
	if len(ans.Related) != 0 {
		t.Errorf("Related = %v; want none with a confident answer", ans.Related)
	}
}

func TestAnswerNotConfident(t *testing.T) {
	a := testAnswerer(t)
	tests := []struct {
		q           string
		wantRelated bool
	}{
		{"how do I order new textbooks for my class", false},
		{"qwxz", false},
		{"projector remote batteries for the gym", true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			ans, err := a.Answer(context.Background(), bot.Question{Text: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			if ans.Confident || ans.Text != "" || len(ans.Sources) != 0 {
				t.Errorf("Answer(%q) = %+v; want not confident, no text, no sources", tt.q, ans)
			}
			if len(ans.Related) > 3 {
				t.Errorf("Related has %d entries; want at most 3", len(ans.Related))
			}
			if tt.wantRelated != (len(ans.Related) > 0) {
				t.Errorf("Related = %v; want some: %v", ans.Related, tt.wantRelated)
			}
		})
	}
}

func TestAnswerNeverShowsTechArticlesToStaff(t *testing.T) {
	a := testAnswerer(t)
	for _, aud := range []bot.Audience{bot.AudienceStaff, ""} {
		ans, _ := a.Answer(context.Background(), bot.Question{Text: "reboot the network switch in the closet", Audience: aud})
		for _, s := range append(ans.Sources, ans.Related...) {
			if s.Path == "tech/switch-reboot.md" {
				t.Errorf("audience %q got the tech article: %+v", aud, ans)
			}
		}
	}
	ans, _ := a.Answer(context.Background(), bot.Question{Text: "reboot the network switch in the closet", Audience: bot.AudienceTech})
	if !ans.Confident || ans.Sources[0].Path != "tech/switch-reboot.md" {
		t.Errorf("tech answer = %+v; want the switch article", ans)
	}
}

func TestAnswerFollowUpUsesHistory(t *testing.T) {
	a := testAnswerer(t)
	q := bot.Question{
		Text: "still nothing",
		History: []bot.Turn{
			{Who: "requester", Text: "the projector says no signal"},
			{Who: "bot", Text: "Press Input on the remote."},
			{Who: "requester", Text: "still nothing"},
		},
	}
	ans, err := a.Answer(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Sources)+len(ans.Related) == 0 {
		t.Fatalf("follow-up found nothing: %+v", ans)
	}
	first := append(ans.Sources, ans.Related...)[0]
	if first.Path != "classroom/projector-no-signal.md" {
		t.Errorf("follow-up answer = %+v; want the projector article", ans)
	}
	// A short question that stands on its own is not mixed with history.
	q = bot.Question{Text: "printer jammed", History: []bot.Turn{{Who: "requester", Text: "the projector says no signal"}}}
	ans, _ = a.Answer(context.Background(), q)
	if !ans.Confident || ans.Sources[0].Path != "printing/paper-jam.md" {
		t.Errorf("Answer(printer jammed) = %+v; want the paper jam article", ans)
	}
}

func TestAnswerCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := testAnswerer(t).Answer(ctx, bot.Question{Text: "printer"}); err == nil {
		t.Error("Answer with a canceled context returned no error")
	}
}

func TestAnswerTextIsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Long steps\n\nHow to fix the long printer problem.\n\n")
	for i := 1; i <= 200; i++ {
		b.WriteString("1. Do the next printer step carefully and check the tray.\n")
	}
	ix, probs := LoadFS(fstest.MapFS{"long.md": {Data: []byte(b.String())}, "other.md": {Data: []byte("# Other\n\nUnrelated wifi.\n")}})
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	a := NewAnswerer(NewLibrary(ix), AnswererOptions{MaxChars: 500, Threshold: 0.01})
	ans, _ := a.Answer(context.Background(), bot.Question{Text: "long printer problem steps"})
	if !ans.Confident {
		t.Fatalf("not confident: %+v", ans)
	}
	if len(ans.Text) > 500+len("\n…") || !strings.HasSuffix(ans.Text, "\n…") {
		t.Errorf("Text (%d bytes) = %q; want ≤ 500 bytes ending in a line and …", len(ans.Text), ans.Text)
	}
	if !utf8.ValidString(ans.Text) {
		t.Error("Text is not valid UTF-8")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"line one\nline two\nline three", 20, "line one\nline two\n…"},
		{"one long line of words", 12, "one long\n…"},
		{"ééééééé", 5, "éé\n…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
