package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/knowledge"
)

type rightsFixture struct {
	desk  *bot.Desk
	store *hbredis.Store
	note  *notifier
	ev    *events
}

var (
	samLee = bot.Person{ID: "U_SAM", Name: "Sam Lee"}
	tech1  = bot.Person{ID: "U_TECH1", Name: "Alex Chen"}
	at0942 = time.Date(2026, 11, 23, 9, 42, 0, 0, time.UTC)
)

func newRightsFixture(t *testing.T) rightsFixture {
	t.Helper()
	ix, problems := knowledge.LoadDir("../handlers/console/testdata/kb")
	if len(problems) > 0 {
		t.Fatalf("test KB problems: %v", problems)
	}
	sc, err := screen.New(screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := rightsFixture{store: redistest.Store(t), note: &notifier{}, ev: &events{}}
	f.desk, err = bot.New(bot.Config{
		Store: f.store, Answerer: knowledge.NewAnswerer(knowledge.NewLibrary(ix), knowledge.AnswererOptions{}),
		Screener: sc, Notifiers: map[string]bot.Notifier{bot.PlatformSlack: f.note}, Observers: []bot.Observer{f.ev},
		Techs: bot.TechsFunc(func(_ context.Context, _ string, p bot.Person) (bool, error) {
			return strings.HasPrefix(p.ID, "U_TECH"), nil
		}),
		Clock: func() time.Time { return at0942 }, Policy: bot.Policy{RateLimit: 30, Buildings: []string{"Lincoln MS"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f rightsFixture) say(p bot.Person, conv, text string) []bot.Reply {
	return f.desk.HandleMessage(context.Background(), bot.Message{
		Platform: bot.PlatformSlack, Conversation: conv, From: p, Text: text, Direct: strings.HasPrefix(conv, "D"),
	})
}

// keys lists every key under the store's prefix with its content.
func (f rightsFixture) keys(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	rdb := f.store.Client()
	out := map[string]string{}
	for _, k := range rdb.Keys(ctx, f.store.Prefix()+"*").Val() {
		var v string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			v = rdb.Get(ctx, k).Val()
		case "hash":
			b, _ := json.Marshal(rdb.HGetAll(ctx, k).Val())
			v = string(b)
		case "set":
			v = strings.Join(rdb.SMembers(ctx, k).Val(), ",")
		case "zset":
			v = strings.Join(rdb.ZRange(ctx, k, 0, -1).Val(), ",")
		case "list":
			v = strings.Join(rdb.LRange(ctx, k, 0, -1).Val(), "\n")
		}
		out[strings.TrimPrefix(k, f.store.Prefix())] = v
	}
	return out
}

func texts(rs []bot.Reply) string {
	var b []string
	for _, r := range rs {
		b = append(b, r.Text)
	}
	return strings.Join(b, "\n")
}

func TestForgetMe(t *testing.T) {
	f := newRightsFixture(t)
	// Pat asks in a DM and in a channel thread, and files a case; Sam has
	// a conversation too.
	f.say(pat, "D_PAT", "the projector in room 12 says no signal")
	f.say(pat, "D_PAT", "I need a person, Lincoln MS room 12")
	f.say(pat, "C_HELP", "how do I print double sided")
	f.say(samLee, "D_SAM", "my printer jams in room 4")
	if len(f.note.cards) != 1 {
		t.Fatalf("cards = %d; want Pat's case filed", len(f.note.cards))
	}
	caseID := f.note.cards[0].ID

	r := f.say(pat, "D_PAT", "Forget me!")
	got := texts(r)
	if !strings.HasPrefix(got, "Deleted: 2 conversations, 1 case, at 09:42 on 23 Nov 2026.") {
		t.Fatalf("receipt = %q", got)
	}
	if !strings.Contains(got, "Open request "+caseID+" was cancelled and the tech team told.") {
		t.Errorf("receipt does not say the open case was cancelled: %q", got)
	}

	// The techs' card is updated to cancelled, without Pat's details.
	if n := len(f.note.updates); n != 1 {
		t.Fatalf("card updates = %d; want 1", n)
	}
	u := f.note.updates[0]
	if u.Status != bot.StatusCancelled || u.Requester.ID != "" || strings.Contains(u.Summary, "projector") || u.Location != "" || len(u.Transcript) != 0 {
		t.Errorf("updated card = %+v; want cancelled with the requester's details removed", u)
	}
	var cancelled *bot.Event
	for _, e := range f.ev.got {
		if e.Type == bot.EventCancelled {
			cancelled = &e
		}
	}
	if cancelled == nil || cancelled.Case.Requester.ID != "" {
		t.Errorf("observers were not told of the cancellation without Pat's details: %+v", cancelled)
	}

	// Nothing of Pat is left, not even a session for "forget me" itself;
	// Sam's conversation is still there.
	keys := f.keys(t)
	for k, v := range keys {
		if k == hbredis.KeyAudit {
			continue
		}
		if strings.Contains(k, pat.ID) || strings.Contains(v, pat.ID) || strings.Contains(v, "projector") || strings.Contains(v, "double sided") {
			t.Errorf("after forget me, %s holds:\n%s", k, v)
		}
	}
	if _, ok := keys["sess:slack:D_SAM"]; !ok {
		t.Error("Sam's conversation was deleted")
	}

	// The audit entry says who, what and how much, and nothing Pat wrote.
	log, err := f.desk.AuditLog(context.Background(), 10)
	if err != nil || len(log) != 1 {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
	a := log[0]
	if a.Action != bot.AuditForget || a.Actor != "slack:"+pat.ID || a.Target != pat.ID || a.Counts["conversations"] != 2 || a.Counts["cases"] != 1 || a.Result != "ok" {
		t.Errorf("audit entry = %+v", a)
	}
	if raw := keys[hbredis.KeyAudit]; strings.Contains(raw, "projector") || strings.Contains(raw, "Pat Rivera") || strings.Contains(raw, "room 12") {
		t.Errorf("audit log holds content: %s", raw)
	}

	// Forgetting twice is fine and says there was nothing left.
	if got := texts(f.say(pat, "D_PAT", "forget me")); !strings.HasPrefix(got, "Deleted: 0 conversations, 0 cases") {
		t.Errorf("second forget me = %q", got)
	}
}

func TestPurgeAndExportAreForTechsOnly(t *testing.T) {
	f := newRightsFixture(t)
	f.say(pat, "D_PAT", "I need a person, Lincoln MS room 12, the projector is dead")
	before := f.keys(t)

	for _, cmd := range []string{"purge U_PAT", "purge <@U_PAT>", "export <@U_PAT|pat>", "PURGE u_pat"} {
		r := f.say(samLee, "D_SAM", cmd)
		if len(r) != 1 || !r[0].Ephemeral || !strings.HasPrefix(r[0].Text, "Only the IT team can purge or export") {
			t.Errorf("%q from a teacher = %+v; want a refusal", cmd, r)
		}
	}
	after := f.keys(t)
	for k, v := range before {
		if strings.Contains(k, pat.ID) && after[k] != v {
			t.Errorf("a refused purge changed %s", k)
		}
	}
	log, _ := f.desk.AuditLog(context.Background(), 10)
	if len(log) != 4 || log[0].Action != bot.AuditRefused || log[0].Actor != "slack:U_SAM" || log[0].Result != "refused" {
		t.Errorf("audit log = %+v; want the 4 refusals", log)
	}

	// A teacher's question that starts with "export" is a question.
	for _, q := range []string{"export grades", "export grades to a spreadsheet"} {
		if r := f.say(samLee, "D_SAM", q); strings.Contains(texts(r), "Only the IT team") {
			t.Errorf("%q was treated as a command: %q", q, texts(r))
		}
	}
}

var partRe = regexp.MustCompile(`^\(part \d+/\d+\)\n`)

func TestTechExportsAndPurgesInChat(t *testing.T) {
	f := newRightsFixture(t)
	f.say(pat, "D_PAT", "I need a person, Lincoln MS room 12, the projector is dead")
	f.say(samLee, "D_SAM", "my printer jams in room 4")

	// In a channel the export would show someone's data to everyone.
	if r := f.say(tech1, "C_TECH", "export <@U_PAT>"); !strings.Contains(texts(r), "direct message") {
		t.Fatalf("export in a channel = %q; want a refusal", texts(r))
	}

	r := f.say(tech1, "D_TECH1", "export <@U_PAT>")
	if len(r) < 2 || !strings.HasPrefix(r[0].Text, "Export of U_PAT (slack) at 09:42 on 23 Nov 2026: 1 conversation, 1 case requested") {
		t.Fatalf("export replies = %q", texts(r))
	}
	var joined strings.Builder
	for _, p := range r[1:] {
		if !p.Ephemeral {
			t.Error("export part not ephemeral")
		}
		joined.WriteString(partRe.ReplaceAllString(p.Text, ""))
	}
	var data bot.UserData
	if err := json.Unmarshal([]byte(joined.String()), &data); err != nil {
		t.Fatalf("joined export parts are not JSON: %v", err)
	}
	if data.User != pat.ID || len(data.Requested) != 1 || !strings.Contains(data.Requested[0].Summary, "projector") {
		t.Errorf("export = %+v", data)
	}
	if strings.Contains(joined.String(), "printer") || strings.Contains(joined.String(), samLee.ID) {
		t.Error("Pat's export holds Sam's data")
	}

	// A Teams mention arrives as a name, which is no id: the tech is told
	// what to give, and nothing happens.
	if r := f.say(tech1, "D_TECH1", "purge Pat Rivera"); !strings.Contains(texts(r), "Nothing was deleted") {
		t.Fatalf("purge by name = %q", texts(r))
	}

	r = f.say(tech1, "C_TECH", "purge <@U_PAT>")
	if got := texts(r); !strings.HasPrefix(got, "Purged U_PAT. Deleted: 1 conversation, 1 case, at 09:42") {
		t.Fatalf("purge receipt = %q", got)
	}
	for k, v := range f.keys(t) {
		if k != hbredis.KeyAudit && (strings.Contains(k, pat.ID) || strings.Contains(v, pat.ID)) {
			t.Errorf("after purge, %s holds:\n%s", k, v)
		}
	}
	log, _ := f.desk.AuditLog(context.Background(), 10)
	if len(log) != 2 || log[0].Action != bot.AuditPurge || log[0].Actor != "slack:U_TECH1" || log[1].Action != bot.AuditExport {
		t.Errorf("audit log = %+v; want export then purge", log)
	}
}

// reportWifiOutage has teachers U_T0, U_T1 and U_T2 report the same Wi-Fi
// outage at Lincoln MS, which groups their cases under U_T0's.
func (f rightsFixture) reportWifiOutage() {
	for i := range 3 {
		p := bot.Person{ID: fmt.Sprintf("U_T%d", i), Name: fmt.Sprintf("Teacher %d", i)}
		f.desk.HandleMessage(context.Background(), bot.Message{Platform: bot.PlatformSlack, Conversation: "D_" + p.ID, From: p, Direct: true,
			Text: fmt.Sprintf("I need a person, the wifi is not working in room %d at Lincoln MS", 100+i)})
	}
}

// Purging the person whose case leads an incident must not strand the
// other reporters: their cases stand on their own again, with cards.
func TestPurgeOfAnIncidentsFirstReporter(t *testing.T) {
	f := newRightsFixture(t)
	ctx := context.Background()
	f.reportWifiOutage()
	queue, _ := f.desk.Queue(ctx, bot.PlatformSlack, tech1)
	if len(queue) != 1 || queue[0].Reports != 3 || queue[0].Requester.ID != "U_T0" {
		t.Fatalf("queue = %+v; want one incident of 3 reports led by U_T0's case", queue)
	}
	cards, updates := len(f.note.cards), len(f.note.updates)

	if r := f.say(tech1, "D_TECH1", "purge U_T0"); !strings.Contains(texts(r), "Deleted: 1 conversation, 1 case") {
		t.Fatalf("purge = %q", texts(r))
	}
	queue, _ = f.desk.Queue(ctx, bot.PlatformSlack, tech1)
	if len(queue) != 2 {
		t.Fatalf("queue after purge = %d cases; want the 2 other reports on their own", len(queue))
	}
	for _, e := range queue {
		if e.Requester.ID == "U_T0" || e.Incident != "" || e.Status != bot.StatusOpen {
			t.Errorf("case after purge = %+v", e)
		}
	}
	// U_T1's report had a card before the incident formed: it is redrawn;
	// U_T2's never had one: it gets one.
	shown := map[string]bool{}
	for _, c := range f.note.cards[cards:] {
		shown[c.Requester.ID] = true
	}
	for _, c := range f.note.updates[updates:] {
		if c.Status == bot.StatusOpen && c.Incident == "" {
			shown[c.Requester.ID] = true
		}
	}
	if !shown["U_T1"] || !shown["U_T2"] || len(f.note.cards)-cards > 1 {
		t.Errorf("techs shown the ungrouped reports of %v with %d new cards; want U_T1 and U_T2, one new card at most", shown, len(f.note.cards)-cards)
	}
	for k, v := range f.keys(t) {
		if k != hbredis.KeyAudit && (strings.Contains(k, "U_T0") || strings.Contains(v, "U_T0")) {
			t.Errorf("after purge, %s holds:\n%s", k, v)
		}
	}
}

// What a reporter added to their report is copied onto the outage's card;
// purging that reporter takes the copy away too, not only their report.
func TestPurgedReporterLeavesNoWordsOnTheIncident(t *testing.T) {
	f := newRightsFixture(t)
	ctx := context.Background()
	f.reportWifiOutage()
	t2 := bot.Person{ID: "U_T2", Name: "Teacher 2"}
	f.desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformSlack, Conversation: "D_U_T2", From: t2, Direct: true,
		Text: "the laptops on the cart in room 102 can't see the network either"})
	queue, _ := f.desk.Queue(ctx, bot.PlatformSlack, tech1)
	if len(queue) != 1 || queue[0].Reports != 3 {
		t.Fatalf("queue = %d cases; want one incident of 3 reports", len(queue))
	}
	has := func() bool {
		e, err := f.store.Escalation(ctx, queue[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, turn := range e.Transcript {
			if strings.Contains(turn.Text, "laptops on the cart") {
				return true
			}
		}
		return false
	}
	if !has() {
		t.Fatal("the incident does not show what U_T2 added")
	}
	if r := f.say(tech1, "D_TECH1", "purge U_T2"); !strings.Contains(texts(r), "Deleted:") {
		t.Fatalf("purge = %q", texts(r))
	}
	if has() {
		t.Error("after purging U_T2, the incident still shows what they added")
	}
	for k, v := range f.keys(t) {
		if k != hbredis.KeyAudit && (strings.Contains(k, "U_T2") || strings.Contains(v, "U_T2") || strings.Contains(v, "laptops on the cart")) {
			t.Errorf("after purge, %s holds:\n%s", k, v)
		}
	}
}
