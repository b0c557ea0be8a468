package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
)

var sam = bot.Person{ID: "U_SAM", Name: "Sam Lee"}

// person seeds what a person leaves behind on one platform: two
// conversations, a rate-limit counter, a conversation reference and a
// delivery marker, plus the cases given.
func seedPerson(t *testing.T, s *hbredis.Store, platform string, p bot.Person, words string) {
	t.Helper()
	ctx := context.Background()
	for _, conv := range []string{"D_" + p.ID, "C_HELP:17000." + p.ID} {
		sess := bot.Session{Key: platform + ":" + conv, Requester: p, UpdatedAt: t0,
			Turns: []bot.Turn{{Who: "requester", Text: words, At: t0}}}
		if err := s.SaveSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Allow(ctx, platform+":"+p.ID, 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().Set(ctx, s.Prefix()+"conv:"+platform+":"+p.ID, `{"user":"`+p.ID+`"}`, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Once(ctx, platform+":click:1700.1:b1:helpbot.claim:"+p.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func fileCase(t *testing.T, s *hbredis.Store, platform string, p bot.Person, summary string) bot.Escalation {
	t.Helper()
	e, err := s.CreateEscalation(context.Background(), bot.Escalation{
		Status: bot.StatusOpen, Priority: bot.PriorityNormal, Requester: p, Platform: platform,
		Conversation: "D_" + p.ID, Summary: summary, Location: "Room 12", CreatedAt: t0,
		Transcript: []bot.Turn{{Who: "requester", Text: summary, At: t0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// snapshot reads every key under the prefix as text (type, TTL set or not,
// and content), so two snapshots can be compared.
func snapshot(t *testing.T, s *hbredis.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	rdb := s.Client()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, s.Prefix()+"*", 500).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		typ := rdb.Type(ctx, k).Val()
		var v string
		switch typ {
		case "string":
			v = rdb.Get(ctx, k).Val()
		case "hash":
			h := rdb.HGetAll(ctx, k).Val()
			var f []string
			for k, x := range h {
				f = append(f, k+"="+x)
			}
			sort.Strings(f)
			v = strings.Join(f, "\n")
		case "set":
			m := rdb.SMembers(ctx, k).Val()
			sort.Strings(m)
			v = strings.Join(m, ",")
		case "zset":
			v = strings.Join(rdb.ZRange(ctx, k, 0, -1).Val(), ",")
		case "list":
			v = strings.Join(rdb.LRange(ctx, k, 0, -1).Val(), "\n")
		}
		ttl := rdb.PTTL(ctx, k).Val()
		out[strings.TrimPrefix(k, s.Prefix())] = fmt.Sprintf("%s ttl=%v\n%s", typ, ttl > 0, v)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPurgeLeavesNoKeyOfThePersonAndTouchesNoOneElse(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		seedPerson(t, s, bot.PlatformSlack, pat, "pat's projector is broken")
		seedPerson(t, s, bot.PlatformSlack, sam, "sam's printer jams")
		// The same id on another platform is another person.
		seedPerson(t, s, bot.PlatformWeb, pat, "web pat's laptop")
		open := fileCase(t, s, bot.PlatformSlack, pat, "pat's projector is broken")
		done := fileCase(t, s, bot.PlatformSlack, pat, "pat's screen flickers")
		if _, _, err := s.Claim(ctx, done.ID, alex, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, done.ID, alex, t0); err != nil {
			t.Fatal(err)
		}
		samCase := fileCase(t, s, bot.PlatformSlack, sam, "sam's printer jams")
		fileCase(t, s, bot.PlatformWeb, pat, "web pat's laptop")

		before := snapshot(t, s)
		c, err := s.PurgeUser(ctx, bot.PlatformSlack, pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Conversations != 2 || c.Cases != 2 {
			t.Errorf("counts = %+v; want 2 conversations, 2 cases", c)
		}
		after := snapshot(t, s)
		for k, v := range after {
			web := strings.Contains(k, ":web:") || strings.Contains(v, "web pat")
			if !web && (strings.Contains(k, pat.ID) || strings.Contains(v, pat.ID) || strings.Contains(v, "pat's")) {
				t.Errorf("purge left %s:\n%s", k, v)
			}
		}
		for _, id := range []string{open.ID, done.ID} {
			if _, err := s.Escalation(ctx, id); err != bot.ErrNotFound {
				t.Errorf("case %s after purge: %v; want not found", id, err)
			}
		}
		// Everything else is exactly as it was (the open-case index lost
		// Pat's case, nothing more).
		for k, v := range before {
			if k == "open" {
				if want := strings.ReplaceAll(v, open.ID+",", ""); after[k] != want {
					t.Errorf("open index = %q; want %q", after[k], want)
				}
				continue
			}
			mine := strings.Contains(k, pat.ID) || strings.Contains(v, pat.ID) || strings.Contains(v, "pat's")
			web := strings.Contains(k, ":web:") || strings.Contains(v, "web pat")
			if (!mine || web) && after[k] != v {
				t.Errorf("purge changed %s:\n%s\n→\n%s", k, v, after[k])
			}
		}
		if e, err := s.Escalation(ctx, samCase.ID); err != nil || e.Summary != "sam's printer jams" {
			t.Errorf("Sam's case = %+v, %v", e, err)
		}
	})
}

func TestPurgedTechShowsAsFormerStaff(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		seedPerson(t, s, bot.PlatformSlack, alex, "alex asks about the copier")
		working := fileCase(t, s, bot.PlatformSlack, pat, "projector")
		closed := fileCase(t, s, bot.PlatformSlack, pat, "printer")
		other := fileCase(t, s, bot.PlatformSlack, sam, "wifi")
		for _, id := range []string{working.ID, closed.ID} {
			if _, _, err := s.Claim(ctx, id, alex, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Resolve(ctx, closed.ID, alex, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Claim(ctx, other.ID, jamie, t0); err != nil {
			t.Fatal(err)
		}

		c, err := s.PurgeUser(ctx, bot.PlatformSlack, alex.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.ClaimsReleased != 1 || c.ClaimsRenamed != 1 || c.Cases != 0 || c.Conversations != 2 {
			t.Errorf("counts = %+v; want 1 released, 1 renamed, 2 conversations", c)
		}
		w, _ := s.Escalation(ctx, working.ID)
		if w.Status != bot.StatusOpen || w.Claimer != (bot.Person{}) {
			t.Errorf("case in progress = %s claimed by %+v; want back in the queue", w.Status, w.Claimer)
		}
		q, _ := s.OpenEscalations(ctx, 10)
		if len(q) != 2 {
			t.Errorf("queue has %d cases; want 2 (the released one and Sam's)", len(q))
		}
		cl, _ := s.Escalation(ctx, closed.ID)
		if cl.Status != bot.StatusResolved || cl.Claimer.Name != bot.FormerStaff || cl.Claimer.ID != "" || cl.Summary != "printer" {
			t.Errorf("closed case = %s, claimer %+v, summary %q; want resolved by %q with its history", cl.Status, cl.Claimer, cl.Summary, bot.FormerStaff)
		}
		if o, _ := s.Escalation(ctx, other.ID); o.Claimer != jamie {
			t.Errorf("Jamie's claim = %+v; want untouched", o.Claimer)
		}
		for k, v := range snapshot(t, s) {
			if strings.Contains(k, alex.ID) || strings.Contains(v, alex.ID) || strings.Contains(v, alex.Name) {
				t.Errorf("purge of a tech left %s:\n%s", k, v)
			}
		}
	})
}

func TestExportHoldsTheirDataAndNothingOfOthers(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		seedPerson(t, s, bot.PlatformSlack, pat, "pat's projector is broken")
		seedPerson(t, s, bot.PlatformSlack, sam, "sam's printer jams")
		mine := fileCase(t, s, bot.PlatformSlack, pat, "pat's projector is broken")
		samCase := fileCase(t, s, bot.PlatformSlack, sam, "sam's printer jams")
		if _, _, err := s.Claim(ctx, mine.ID, alex, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Claim(ctx, samCase.ID, alex, t0); err != nil {
			t.Fatal(err)
		}

		d, err := s.ExportUser(ctx, bot.PlatformSlack, pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Sessions) != 2 || len(d.Requested) != 1 || d.Requested[0].ID != mine.ID || len(d.Claimed) != 0 {
			t.Fatalf("export = %d sessions, %d requested, %d claimed", len(d.Sessions), len(d.Requested), len(d.Claimed))
		}
		if d.Requested[0].Claimer.Name != alex.Name || d.Requested[0].Claimer.ID != "" {
			t.Errorf("claimer in export = %+v; want the name only", d.Requested[0].Claimer)
		}
		fams := map[string]bool{}
		for _, o := range d.Other {
			fams[o.Family] = true
			if o.ExpiresIn == "" {
				t.Errorf("record %s has no expiry", o.Key)
			}
		}
		for _, f := range []string{"rl:", "req:", "conv:", "usess:", "dedupe:slack:click:"} {
			if !fams[f] {
				t.Errorf("export lacks the %s record; has %v", f, fams)
			}
		}
		raw, _ := json.Marshal(d)
		if !strings.Contains(string(raw), "pat's projector is broken") {
			t.Error("export lacks what Pat said")
		}
		for _, other := range []string{sam.ID, sam.Name, "sam's", alex.ID} {
			if strings.Contains(string(raw), other) {
				t.Errorf("Pat's export contains %q:\n%s", other, raw)
			}
		}

		// A tech's export lists the cases they worked, not the requesters.
		d, err = s.ExportUser(ctx, bot.PlatformSlack, alex.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Claimed) != 2 {
			t.Fatalf("Alex's claims = %+v; want 2", d.Claimed)
		}
		raw, _ = json.Marshal(d)
		for _, other := range []string{pat.ID, pat.Name, sam.ID, "projector", "printer"} {
			if strings.Contains(string(raw), other) {
				t.Errorf("Alex's export contains %q:\n%s", other, raw)
			}
		}
	})
}

func TestAuditLog(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		old := bot.AuditEntry{At: t0.Add(-hbredis.AuditTTL - time.Hour), Actor: "slack:U_TECH1", Action: bot.AuditExport, Platform: "slack", Target: "U_OLD", Result: "ok"}
		if err := s.Audit(ctx, old); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			e := bot.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "slack:U_TECH1", Action: bot.AuditPurge,
				Platform: "slack", Target: fmt.Sprintf("U_%d", i), Counts: map[string]int{"cases": i}, Result: "ok"}
			if err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		log, err := s.AuditLog(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 3 || log[0].Target != "U_2" || log[2].Target != "U_0" || log[0].Counts["cases"] != 2 {
			t.Fatalf("audit log = %+v; want the 3 recent entries newest first (the 400-day-old one dropped)", log)
		}
		ttl := s.Client().TTL(ctx, s.Prefix()+hbredis.KeyAudit).Val()
		if ttl <= 0 || ttl > hbredis.AuditTTL {
			t.Fatalf("audit TTL = %s", ttl)
		}
	})
}

func TestAuditLogIsCapped(t *testing.T) {
	backends(t, func(t *testing.T, s *hbredis.Store) {
		ctx := context.Background()
		k := s.Prefix() + hbredis.KeyAudit
		fill := make([]any, hbredis.AuditMax)
		for i := range fill {
			fill[i] = fmt.Sprintf(`{"t":%d,"action":"export","target":"U%d"}`, t0.UnixMilli(), i)
		}
		if err := s.Client().RPush(ctx, k, fill...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Audit(ctx, bot.AuditEntry{At: t0, Actor: "cli:admin", Action: bot.AuditPurge, Platform: "slack", Target: "U_NEW", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		if n := s.Client().LLen(ctx, k).Val(); n != hbredis.AuditMax {
			t.Fatalf("audit log length = %d; want %d", n, hbredis.AuditMax)
		}
		log, _ := s.AuditLog(ctx, 1)
		if len(log) != 1 || log[0].Target != "U_NEW" {
			t.Fatalf("newest entry = %+v; want U_NEW", log)
		}
	})
}
