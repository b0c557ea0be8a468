package bot_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/helpbot/helpbot/bot"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/redis/redistest"
)

// plainStore hides the optional abilities: only the Store methods remain,
// so the desk makes the separate Allow and LoadSession calls.
type plainStore struct{ bot.Store }

// The desk answers the same whether the store loads the session with the
// rate check (Admitter) or separately.
func TestAdmitterSameConversation(t *testing.T) {
	script := []string{
		"hi", "printer jammed", "my password is Hunter2x! and gmail says wrong password",
		"how do I get around the web filter", "the heat in my room is broken",
		"the boiler is making a noise", "Lincoln MS room 204", "status",
		"printer jammed", "printer jammed", "printer jammed",
	}
	policy := bot.Policy{RateLimit: 9, RateWindow: time.Minute}
	run := func(store bot.Store) ([]string, bot.Session) {
		f := newFixture(t, store, policy)
		ctx := context.Background()
		var out []string
		for _, text := range script {
			for _, r := range f.desk.HandleMessage(ctx, msg(text)) {
				out = append(out, fmt.Sprintf("%s|%s|%s|%d", r.Kind, r.Text, r.EscalationID, len(r.Sources)))
			}
		}
		sess, err := store.LoadSession(ctx, msg("").SessionKey())
		if err != nil {
			t.Fatal(err)
		}
		return out, sess
	}
	admit := hbredis.WithLocalRateLimit(redistest.Store(t), 0)
	var _ bot.Admitter = admit
	got, gotSess := run(admit)
	want, wantSess := run(plainStore{hbredis.WithLocalRateLimit(redistest.Store(t), 0)})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replies with Admit:\n%q\nwith Allow and LoadSession:\n%q", got, want)
	}
	if !reflect.DeepEqual(gotSess, wantSess) {
		t.Errorf("session with Admit = %+v\nwith Allow and LoadSession = %+v", gotSess, wantSess)
	}
	var notices int
	for _, r := range got {
		if strings.HasPrefix(r, string(bot.KindNotice)+"|") && strings.Contains(r, "faster than I can help") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("the script should hit the rate limit once; replies %q", got)
	}
}

// A question answered from the KB costs two Redis round trips: the rate
// check with the session read, and the session save with its index.
func TestMessageRoundTrips(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	store := hbredis.WithLocalRateLimit(hbredis.New(rdb, hbredis.Options{Prefix: prefix}), 0)
	f := newFixture(t, store, bot.Policy{RateLimit: 20, RateWindow: time.Minute})
	ctx := context.Background()
	f.desk.HandleMessage(ctx, bot.Message{Platform: bot.PlatformSlack, Conversation: "D_WARM", From: bot.Person{ID: "U_WARM"}, Text: "printer jammed"})
	rt := redistest.CountRoundTrips(rdb)
	r := f.desk.HandleMessage(ctx, msg("printer jammed"))
	if len(r) != 1 || r[0].Kind != bot.KindAnswer {
		t.Fatalf("replies = %+v; want one answer", r)
	}
	if got := rt.Trips(); got != 2 {
		t.Errorf("an answered question took %d round trips (%d commands); want 2", got, rt.Commands())
	}
}
