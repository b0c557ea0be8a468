package teams

import (
	"strings"
	"testing"
)

func TestDecodeActivity(t *testing.T) {
	const head = `"type":"message","id":"1","channelId":"msteams","serviceUrl":"https://smba.trafficmanager.net/amer/","recipient":{"id":"28:bot","name":"helpbot"},"from":{"id":"29:u","name":"Pat","aadObjectId":"AAAA-1"}`
	tests := []struct {
		name, body string
		wantErr    bool
		question   string
		kind       string
		mentioned  bool
	}{
		{name: "personal", body: `{` + head + `,"conversation":{"id":"a:1","conversationType":"personal"},"text":"printer jam"}`,
			question: "printer jam", kind: "personal"},
		{name: "channel mention", body: `{` + head + `,"conversation":{"id":"19:c;messageid=5","conversationType":"channel","isGroup":true},"text":"<at>helpbot</at> printer jam",
			"entities":[{"type":"mention","text":"<at>helpbot</at>","mentioned":{"id":"28:bot","name":"helpbot"}}]}`,
			question: "printer jam", kind: "channel", mentioned: true},
		{name: "other people's mentions keep their names", body: `{` + head + `,"conversation":{"id":"19:c","conversationType":"channel"},"text":"<at>helpbot</at> ask <at>Alex Chen</at> about&nbsp;it",
			"entities":[{"type":"mention","text":"<at>helpbot</at>","mentioned":{"id":"28:bot"}},{"type":"mention","text":"<at>Alex Chen</at>","mentioned":{"id":"29:alex"}}]}`,
			question: "ask Alex Chen about it", kind: "channel", mentioned: true},
		{name: "formatted message", body: `{` + head + `,"conversation":{"id":"a:1","conversationType":"personal"},"text":"<p>the <b>printer</b> says &lt;error 5&gt;</p><p>help</p>"}`,
			question: "the printer says <error 5> help", kind: "personal"},
		{name: "typed <at> without an entity is text", body: `{` + head + `,"conversation":{"id":"a:1"},"text":"what does <at>helpbot</at> do"}`,
			question: "what does <at>helpbot</at> do", kind: "personal"},
		{name: "mention of someone else is not the bot", body: `{` + head + `,"conversation":{"id":"19:c","conversationType":"groupChat","isGroup":true},"text":"<at>Alex</at> hi",
			"entities":[{"type":"mention","text":"<at>Alex</at>","mentioned":{"id":"29:alex"}}]}`,
			question: "Alex hi", kind: "groupChat"},
		{name: "odd fields do not spoil the rest", body: `{` + head + `,"conversation":{"id":"a:1"},"timestamp":"","value":"a string","entities":[42,{"type":"clientInfo"}],"text":"hi"}`,
			question: "hi", kind: "personal"},
		{name: "no serviceUrl", body: `{"type":"message","conversation":{"id":"a:1"}}`, wantErr: true},
		{name: "no conversation", body: `{"type":"message","serviceUrl":"https://x/"}`, wantErr: true},
		{name: "no type", body: `{"serviceUrl":"https://x/","conversation":{"id":"a"}}`, wantErr: true},
		{name: "not json", body: `<xml/>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeActivity([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeActivity err = %v; want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := a.question(); got != tt.question {
				t.Errorf("question() = %q; want %q", got, tt.question)
			}
			if got := a.kind(); got != tt.kind {
				t.Errorf("kind() = %q; want %q", got, tt.kind)
			}
			if got := a.mentionsBot(); got != tt.mentioned {
				t.Errorf("mentionsBot() = %v; want %v", got, tt.mentioned)
			}
			if a.userID() != "aaaa-1" {
				t.Errorf("userID() = %q; want the lower-cased object id", a.userID())
			}
		})
	}
}

func TestCardActionsDecode(t *testing.T) {
	const head = `"id":"1","channelId":"msteams","serviceUrl":"https://smba.trafficmanager.net/amer/","conversation":{"id":"a:1"},"from":{"id":"29:u"}`
	tests := []struct {
		name, body string
		want       cardData
		ok         bool
	}{
		{"submit", `{"type":"message",` + head + `,"replyToId":"9","value":{"action":"helpbot.solved"}}`, cardData{Action: "helpbot.solved"}, true},
		{"submit with case", `{"type":"message",` + head + `,"value":{"action":"helpbot.fixed","id":"IT-1001"}}`, cardData{"helpbot.fixed", "IT-1001"}, true},
		{"someone else's card", `{"type":"message",` + head + `,"value":{"action":"vote"}}`, cardData{}, false},
		{"execute", `{"type":"invoke","name":"adaptiveCard/action",` + head + `,"value":{"action":{"type":"Action.Execute","verb":"helpbot.claim","data":{"action":"helpbot.claim","id":"IT-7"}}}}`, cardData{"helpbot.claim", "IT-7"}, true},
		{"execute verb only", `{"type":"invoke","name":"adaptiveCard/action",` + head + `,"value":{"action":{"type":"Action.Execute","verb":"helpbot.release"}}}`, cardData{Action: "helpbot.release"}, true},
		{"other invoke", `{"type":"invoke","name":"composeExtension/query",` + head + `,"value":{"action":{"verb":"helpbot.claim"}}}`, cardData{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeActivity([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := a.submitted()
			if a.Type == typeInvoke {
				got, ok = a.executed()
			}
			if ok != tt.ok || got != tt.want {
				t.Fatalf("card action = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzDecodeActivity(f *testing.F) {
	f.Add([]byte(`{"type":"message","id":"1","serviceUrl":"https://smba.trafficmanager.net/amer/","conversation":{"id":"19:c;messageid=1","conversationType":"channel"},"recipient":{"id":"28:bot"},"text":"<at>helpbot</at> printer jam","entities":[{"type":"mention","text":"<at>helpbot</at>","mentioned":{"id":"28:bot"}}]}`))
	f.Add([]byte(`{"type":"invoke","name":"adaptiveCard/action","serviceUrl":"https://x/","conversation":{"id":"a"},"value":{"action":{"verb":"helpbot.claim","data":{"id":"IT-1"}}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := decodeActivity(raw)
		if err != nil {
			return
		}
		q := a.question()
		if q != strings.TrimSpace(q) {
			t.Errorf("question %q has surrounding space", q)
		}
		a.mentionsBot()
		a.submitted()
		a.executed()
		a.kind()
		if a.userID() == "" {
			t.Error("empty user id")
		}
		a.ref()
	})
}
