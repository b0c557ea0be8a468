package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/helpbot/helpbot/bot"
)

func TestStatusCodes(t *testing.T) {
	h := newHarness(t)
	first := h.say("pat.rivera", "the projector says no signal")
	answer := first[len(first)-1].ID

	big := `{"as":"pat.rivera","text":"` + strings.Repeat("a", maxBody) + `"}`
	long := `{"as":"pat.rivera","text":"` + strings.Repeat("word ", maxText/5+1) + `"}`
	const jsonCT = "application/json"
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		hdr         map[string]string
		want        int
		wantInBody  string
	}{
		{"page", "GET", "/", "", "", nil, 200, "helpbot playground"},
		{"script", "GET", "/static/app.js", "", "", nil, 200, "textContent"},
		{"unknown page", "GET", "/admin", "", "", nil, 404, ""},
		{"no static listing", "GET", "/static/", "", "", nil, 404, ""},
		{"unknown api", "GET", "/api/nothing", "", "", nil, 404, "no such API endpoint"},
		{"page is read-only", "POST", "/", jsonCT, "{}", nil, 405, ""},
		{"messages are posted", "GET", "/api/messages", "", "", nil, 405, "method not allowed"},
		{"actions are posted", "DELETE", "/api/actions", "", "", nil, 405, ""},
		{"kb search is a GET", "POST", "/api/kb/search", jsonCT, "{}", nil, 405, ""},
		{"form post refused", "POST", "/api/messages", "application/x-www-form-urlencoded", "as=pat.rivera&text=hi", nil, 415, ""},
		{"body too large", "POST", "/api/messages", jsonCT, big, nil, 413, "too large"},
		{"message too long", "POST", "/api/messages", jsonCT, long, nil, 413, "too long"},
		{"not JSON", "POST", "/api/messages", jsonCT, "hello", nil, 400, "JSON"},
		{"two objects", "POST", "/api/messages", jsonCT, `{"as":"pat.rivera","text":"a"}{}`, nil, 400, ""},
		{"unknown field", "POST", "/api/messages", jsonCT, `{"as":"pat.rivera","text":"a","admin":true}`, nil, 400, ""},
		{"unknown person", "POST", "/api/messages", jsonCT, `{"as":"mallory","text":"hi"}`, nil, 400, "staff member"},
		{"techs use the channel", "POST", "/api/messages", jsonCT, `{"as":"alex.chen","text":"hi"}`, nil, 400, "staff member"},
		{"empty text", "POST", "/api/messages", jsonCT, `{"as":"pat.rivera","text":"  "}`, nil, 400, "text is required"},
		{"unknown action", "POST", "/api/actions", jsonCT, `{"as":"alex.chen","action":"helpbot.delete","case":"IT-1001"}`, nil, 400, "unknown action"},
		{"case id with markup", "POST", "/api/actions", jsonCT, `{"as":"alex.chen","action":"helpbot.claim","case":"<b>IT-1</b>"}`, nil, 400, "case id"},
		{"someone else's message", "POST", "/api/actions", jsonCT, `{"as":"sam.lee","action":"helpbot.solved","entry":` + jsonInt(answer) + `}`, nil, 404, "no such message"},
		{"no such message", "POST", "/api/actions", jsonCT, `{"as":"pat.rivera","action":"helpbot.solved","entry":99999}`, nil, 404, ""},
		{"kb search needs q", "GET", "/api/kb/search", "", "", nil, 400, "q is required"},
		{"kb bad k", "GET", "/api/kb/search?q=printer&k=0", "", "", nil, 400, "k must be"},
		{"kb bad audience", "GET", "/api/kb/search?q=printer&audience=admin", "", "", nil, 400, "audience"},
		{"kb query too long", "GET", "/api/kb/search?q=" + strings.Repeat("x", maxQuery+1), "", "", nil, 400, ""},
		{"events need a staff id", "GET", "/api/events", "", "", nil, 400, "staff"},
		{"events for a tech", "GET", "/api/events?staff=alex.chen", "", "", nil, 400, "staff"},
		{"events are not for HEAD", "HEAD", "/api/events?staff=pat.rivera", "", "", nil, 405, ""},
		{"rebinding host refused", "GET", "/", "", "", map[string]string{"Host": "evil.example:8090"}, 403, "localhost"},
		{"cross-site post refused", "POST", "/api/messages", jsonCT, `{"as":"pat.rivera","text":"hi"}`, map[string]string{"Origin": "https://evil.example"}, 403, "cross-site"},
		{"cross-site fetch refused", "POST", "/api/actions", jsonCT, `{"as":"alex.chen","action":"helpbot.claim","case":"IT-1001"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := h.call(tt.method, tt.path, tt.contentType, []byte(tt.body), tt.hdr)
			if code != tt.want {
				t.Fatalf("%s %s = %d %s; want %d", tt.method, tt.path, code, body, tt.want)
			}
			if !strings.Contains(string(body), tt.wantInBody) {
				t.Errorf("%s %s body = %s; want it to mention %q", tt.method, tt.path, body, tt.wantInBody)
			}
			if code == 405 && hdr.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
			if strings.HasPrefix(tt.path, "/api/") && code >= 400 && !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("API error Content-Type = %q; want JSON", hdr.Get("Content-Type"))
			}
			for _, leak := range []string{"goroutine", ".go:", "json: ", "redis"} {
				if code >= 400 && strings.Contains(string(body), leak) {
					t.Errorf("error body leaks internals (%q): %s", leak, body)
				}
			}
			if hdr.Get("Content-Security-Policy") == "" || hdr.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("missing security headers: %v", hdr)
			}
		})
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// The JSON API plays the whole flow: answer with a citation, escalate, the
// building question, a card for the techs, one claim winner, resolve, and
// the requester's "Is it fixed?".
func TestFlowOverAPI(t *testing.T) {
	h := newHarness(t)
	got := h.say("pat.rivera", "the projector says no signal")
	if len(got) != 2 || got[0].From != "staff" || got[1].Kind != string(bot.KindAnswer) {
		t.Fatalf("ask = %+v; want my message and an answer", got)
	}
	ans := got[1]
	if len(ans.Sources) == 0 || !strings.Contains(ans.Sources[0].Title, "No signal") {
		t.Fatalf("answer cites %+v; want the no-signal article", ans.Sources)
	}
	if len(ans.Choices) != 2 || ans.Choices[1].Action != bot.ActionEscalate {
		t.Fatalf("answer choices = %+v; want That fixed it / Get a tech", ans.Choices)
	}

	res := h.press("pat.rivera", bot.ActionEscalate, "", ans.ID)
	if len(res.Entries) < 2 || res.Entries[0].ID != ans.ID || res.Entries[0].Status == "" || len(res.Entries[0].Choices) != 0 {
		t.Fatalf("escalate entries = %+v; want the answer's buttons replaced by a status", res.Entries)
	}
	if last := res.Entries[len(res.Entries)-1]; last.Kind != string(bot.KindAskLocation) {
		t.Fatalf("after Get a tech = %+v; want the building/room question", last)
	}

	got = h.say("pat.rivera", "Lincoln Elementary room 12")
	filed := got[len(got)-1]
	if filed.Kind != string(bot.KindEscalated) || filed.Case != "IT-1001" {
		t.Fatalf("location answer = %+v; want case IT-1001 filed", filed)
	}
	card := h.card("IT-1001")
	if card.Status != bot.StatusOpen || card.Location != "Lincoln Elementary, Room 12" || len(card.Articles) == 0 {
		t.Fatalf("card = %+v; want an open card with the room and the article tried", card)
	}

	if r := h.press("pat.rivera", bot.ActionClaim, "IT-1001", 0); !strings.Contains(entryTexts(r.Entries), "Only the IT team") {
		t.Errorf("staff claim = %+v; want a refusal", r)
	}
	r := h.press("alex.chen", bot.ActionClaim, "IT-1001", 0)
	if r.Card == nil || r.Card.Status != bot.StatusClaimed || len(r.Notes) != 1 || !strings.Contains(r.Notes[0].Text, "You have IT-1001") {
		t.Fatalf("Alex's claim = %+v; want the claimed card and a note", r)
	}
	if r := h.press("jamie.ortiz", bot.ActionClaim, "IT-1001", 0); len(r.Notes) != 1 || !strings.Contains(r.Notes[0].Text, "already claimed by Alex Chen") {
		t.Fatalf("Jamie's claim = %+v; want already claimed", r)
	}
	if told := h.lastEntry("pat.rivera"); !told.Pushed || !strings.Contains(told.Text, "Alex Chen from the IT team has your request IT-1001") {
		t.Fatalf("Pat was told %+v; want who is coming", told)
	}

	r = h.press("alex.chen", bot.ActionResolve, "IT-1001", 0)
	if r.Card == nil || r.Card.Status != bot.StatusResolved {
		t.Fatalf("resolve = %+v", r)
	}
	ask := h.lastEntry("pat.rivera")
	if !strings.Contains(ask.Text, "Is it fixed?") || len(ask.Choices) != 2 || ask.Choices[0].Action != bot.ActionFixed {
		t.Fatalf("after resolve Pat sees %+v; want Is it fixed? with buttons", ask)
	}
	r = h.press("pat.rivera", bot.ActionFixed, "IT-1001", ask.ID)
	if r.Card == nil || !strings.Contains(r.Card.Detail, "Pat Rivera confirmed it's fixed") || !strings.Contains(entryTexts(r.Entries), "Thanks for confirming") {
		t.Fatalf("fixed = %+v; want the card to show it confirmed", r)
	}
}

func entryTexts(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Text + "\n")
	}
	return b.String()
}

func (h *harness) card(id string) Card {
	h.t.Helper()
	h.pg.mu.Lock()
	defer h.pg.mu.Unlock()
	for _, c := range h.pg.board {
		if c.ID == id {
			return c
		}
	}
	h.t.Fatalf("no card %s on the board", id)
	return Card{}
}

func (h *harness) lastEntry(staff string) Entry {
	h.t.Helper()
	h.pg.mu.Lock()
	defer h.pg.mu.Unlock()
	log := h.pg.chats[staff]
	if len(log) == 0 {
		h.t.Fatalf("%s's chat is empty", staff)
	}
	return log[len(log)-1]
}

// A pasted password never reaches the page or the playground's memory.
func TestSecretsAreRemovedFromTheChat(t *testing.T) {
	h := newHarness(t)
	got := h.say("pat.rivera", "my password is Hunter2Hunter2 and it won't let me in")
	all := entryTexts(got)
	if strings.Contains(all, "Hunter2") {
		t.Fatalf("chat keeps the password: %s", all)
	}
	if !strings.Contains(all, "removed what looked like a password") {
		t.Fatalf("no warning: %s", all)
	}
}

// Markup in a message is data: the API returns it as a JSON string (with
// <, > escaped) under a JSON content type the browser will not sniff.
func TestMarkupIsReturnedAsText(t *testing.T) {
	h := newHarness(t)
	code, hdr, body := h.call("POST", "/api/messages", "application/json",
		[]byte(`{"as":"pat.rivera","text":"<img src=x onerror=alert(1)> the printer is jammed"}`), nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("POST = %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	if strings.Contains(string(body), "<img") || !strings.Contains(string(body), `\u003cimg src=x onerror=alert(1)\u003e`) {
		t.Fatalf("body = %s; want the markup escaped as JSON text", body)
	}
}

func TestKBSearchShowsScores(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		q, audience string
		wantTop     string
		answers     bool
	}{
		{"printer is jammed", "staff", "printing/paper-jam.md", true},
		{"reimage a chromebook", "tech", "chromebooks/chromebook-reimage.md", true},
		{"the heating in my room is broken", "staff", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			code, _, body := h.call("GET", "/api/kb/search?q="+strings.ReplaceAll(tt.q, " ", "+")+"&audience="+tt.audience, "", nil, nil)
			if code != 200 {
				t.Fatalf("search = %d %s", code, body)
			}
			var res KBResult
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatal(err)
			}
			if res.Answers != tt.answers || res.Threshold <= 0 || res.Articles < 10 {
				t.Fatalf("result = %+v; want answers=%v with the threshold and KB size", res, tt.answers)
			}
			if tt.wantTop != "" {
				top := res.Hits[0]
				if top.Path != tt.wantTop || top.Confidence < res.Threshold || top.Score <= 0 || top.Excerpt == "" || !top.AboveThresh {
					t.Fatalf("top hit = %+v; want %s above the threshold with score and excerpt", top, tt.wantTop)
				}
			}
			for i := 1; i < len(res.Hits); i++ {
				if res.Hits[i].Confidence > res.Hits[i-1].Confidence {
					t.Errorf("hits out of order: %+v", res.Hits)
				}
			}
		})
	}
}

func TestLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8090", true},
		{"localhost:8090", true},
		{"[::1]:8090", true},
		{":8090", false},
		{"0.0.0.0:8090", false},
		{"192.168.1.10:8090", false},
		{"playground.district.org:8090", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		if got := LoopbackAddr(tt.addr); got != tt.want {
			t.Errorf("LoopbackAddr(%q) = %v; want %v", tt.addr, got, tt.want)
		}
	}
}

func TestAllowRemoteAcceptsOtherHosts(t *testing.T) {
	h := newHarness(t)
	h.pg.allowRemote = true
	if code, _, body := h.call("GET", "/api/people", "", nil, map[string]string{"Host": "helpdesk-lab.district.org"}); code != 200 {
		t.Fatalf("GET with a LAN host = %d %s; want 200 when remote use is allowed", code, body)
	}
}

func TestPeople(t *testing.T) {
	h := newHarness(t)
	code, _, body := h.call("GET", "/api/people", "", nil, nil)
	var res struct{ People []Person }
	if code != 200 || json.Unmarshal(body, &res) != nil {
		t.Fatalf("people = %d %s", code, body)
	}
	roles := map[string][]string{}
	for _, p := range res.People {
		roles[p.Role] = append(roles[p.Role], p.Name)
	}
	if strings.Join(roles["staff"], ",") != "Pat Rivera,Sam Lee" || strings.Join(roles["tech"], ",") != "Alex Chen,Jamie Ortiz" {
		t.Fatalf("people = %v; want two staff and two techs", roles)
	}
}

// The page reads these exact field names; Go's case-insensitive decoding in
// the other tests would not notice a change.
func TestAnswerJSONShape(t *testing.T) {
	h := newHarness(t)
	code, _, body := h.call("POST", "/api/messages", "application/json", []byte(`{"as":"pat.rivera","text":"the projector says no signal"}`), nil)
	if code != 200 {
		t.Fatalf("POST = %d %s", code, body)
	}
	for _, want := range []string{
		`"from":"staff"`, `"from":"bot"`, `"kind":"answer"`,
		`"sources":[{"title":"Projector or interactive panel shows \"No signal\"","path":"classroom/projector-no-signal.md"`,
		`"choices":[{"action":"helpbot.solved","label":"That fixed it","style":"primary"},{"action":"helpbot.escalate","label":"Get a tech"}]`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("answer JSON lacks %s:\n%s", want, body)
		}
	}
}

// The other ways a case ends or comes back, as the techs' channel shows them.
func TestCardFollowsTheRequester(t *testing.T) {
	tests := []struct {
		name       string
		run        func(h *harness, ask Entry)
		wantStatus bot.Status
		wantTag    string
		wantDetail string
	}{
		{"still broken reopens the case", func(h *harness, ask Entry) {
			h.press("alex.chen", bot.ActionClaim, "IT-1001", 0)
			h.press("alex.chen", bot.ActionResolve, "IT-1001", 0)
			fixed := h.lastEntry("pat.rivera")
			r := h.press("pat.rivera", bot.ActionNotFixed, "IT-1001", fixed.ID)
			if !strings.Contains(entryTexts(r.Entries), "reopened IT-1001") {
				t.Errorf("not fixed = %+v; want the requester told it is reopened", r.Entries)
			}
		}, bot.StatusOpen, "Reopened", "still broken"},
		{"the requester cancels", func(h *harness, filed Entry) {
			r := h.press("pat.rivera", bot.ActionCancelCase, "IT-1001", filed.ID)
			if r.Entries[0].ID != filed.ID || r.Entries[0].Status == "" {
				t.Errorf("cancel = %+v; want the Cancel button replaced by a status", r.Entries)
			}
		}, bot.StatusCancelled, "Cancelled", "withdrew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			got := h.say("pat.rivera", "I need a person, the smartboard in room 5 is dead")
			tt.run(h, got[len(got)-1])
			c := h.card("IT-1001")
			if c.Status != tt.wantStatus || c.StatusText != tt.wantTag || !strings.Contains(c.Detail, tt.wantDetail) {
				t.Fatalf("card = %s %q %q; want %s %q with %q", c.Status, c.StatusText, c.Detail, tt.wantStatus, tt.wantTag, tt.wantDetail)
			}
		})
	}
}
