package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Data rights: "forget me" for anyone, and purge/export of one person for
// the IT team (chat commands here, `helpbot admin` in cmd). Every one of
// them leaves an audit entry that records who did what to whom and how
// much, never what anyone wrote.

// DataRights is an optional Store ability (bot/redis implements it): find,
// delete and export everything kept about one person, and keep the audit
// log. Without it the Desk says the feature is unavailable.
type DataRights interface {
	// UserCases lists the cases the person requested (any status) and the
	// cases they claimed as a tech.
	UserCases(ctx context.Context, platform, userID string) (requested, claimed []Escalation, err error)
	// PurgeUser deletes every key of the person: their sessions, the cases
	// they requested, their rate-limit, requester-index, session-index and
	// conversation-reference keys. Cases they claimed stay, with the
	// claimer shown as FormerStaff; one still in progress goes back to the
	// queue. Nobody else's keys are touched.
	PurgeUser(ctx context.Context, platform, userID string) (PurgeCounts, error)
	// ExportUser returns everything kept about the person.
	ExportUser(ctx context.Context, platform, userID string) (UserData, error)
	// Audit appends an entry to the audit log.
	Audit(ctx context.Context, e AuditEntry) error
	// AuditLog returns up to limit entries, newest first.
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)
}

// UserForgetter is an optional Observer ability: drop what the observer
// keeps about one person (the ticket webhook's undelivered events, for
// instance). It returns how many records it dropped.
type UserForgetter interface {
	ForgetUser(ctx context.Context, platform, userID string) (int, error)
}

// FormerStaff replaces the claimer's name on cases a purged tech handled.
const FormerStaff = "former staff"

// Audit actions.
const (
	AuditForget  = "forget"  // a person deleted their own data
	AuditPurge   = "purge"   // the IT team deleted someone's data
	AuditExport  = "export"  // the IT team exported someone's data
	AuditRefused = "refused" // a non-tech tried purge or export
)

// PurgeCounts says how much was deleted, for receipts and the audit log.
type PurgeCounts struct {
	Conversations  int `json:"conversations"`             // sessions deleted
	Cases          int `json:"cases"`                     // requested cases deleted
	Cancelled      int `json:"cancelled,omitempty"`       // of those, open ones cancelled first
	ClaimsReleased int `json:"claims_released,omitempty"` // in-progress claims put back in the queue
	ClaimsRenamed  int `json:"claims_renamed,omitempty"`  // closed cases now showing FormerStaff
	OtherKeys      int `json:"other_keys,omitempty"`      // indexes, rate limit, references, markers
	Dropped        int `json:"dropped,omitempty"`         // records observers dropped (undelivered ticket events, per-tech figures)
}

func (c PurgeCounts) asMap() map[string]int {
	m := map[string]int{"conversations": c.Conversations, "cases": c.Cases}
	for k, v := range map[string]int{
		"cancelled": c.Cancelled, "claims_released": c.ClaimsReleased, "claims_renamed": c.ClaimsRenamed,
		"other_keys": c.OtherKeys, "dropped": c.Dropped,
	} {
		if v != 0 {
			m[k] = v
		}
	}
	return m
}

// UserData is everything kept about one person, as exported.
type UserData struct {
	Platform   string    `json:"platform"`
	User       string    `json:"user"`
	ExportedAt time.Time `json:"exported_at"`
	// Sessions are the conversations they started (last turns, redacted).
	Sessions []Session `json:"sessions"`
	// Requested are the cases they asked for, as kept (the claimer's id
	// and the techs' card reference are left out: they are not theirs).
	Requested []Escalation `json:"cases_requested"`
	// Claimed are the cases they worked as a tech: only the case's id,
	// status and times, nothing of the requester.
	Claimed []ClaimRecord `json:"cases_claimed"`
	// Other are the remaining keys about them (indexes, rate limit,
	// conversation reference…), with their expiry.
	Other []KeptRecord `json:"other_records"`
	// Audit are audit entries where they are the actor or the target.
	Audit []AuditEntry `json:"audit"`
}

// ClaimRecord is a case as it concerns the tech who claimed it.
type ClaimRecord struct {
	ID         string    `json:"id"`
	Platform   string    `json:"platform"`
	Status     Status    `json:"status"`
	Priority   Priority  `json:"priority"`
	ClaimedAt  time.Time `json:"claimed_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// KeptRecord is one other key about a person.
type KeptRecord struct {
	Family    string   `json:"family"` // key family, e.g. "rl:"
	Key       string   `json:"key"`    // key without the store prefix
	ExpiresIn string   `json:"expires_in"`
	Value     string   `json:"value,omitempty"`
	Members   []string `json:"members,omitempty"`
}

// AuditEntry records one data-rights action. It never holds content: ids,
// the action and counts only.
type AuditEntry struct {
	At       time.Time      `json:"at"`
	Actor    string         `json:"actor"`    // "slack:U123", or "cli:alice" for helpbot admin
	Action   string         `json:"action"`   // one of the Audit… constants
	Platform string         `json:"platform"` // the target's platform
	Target   string         `json:"target"`   // the target's platform user id
	Counts   map[string]int `json:"counts,omitempty"`
	Result   string         `json:"result"` // "ok", "refused" or "failed"
}

// Receipt is what a purge or forget-me did.
type Receipt struct {
	Counts    PurgeCounts
	At        time.Time
	Cancelled []string // ids of open cases cancelled first
}

// Text is the receipt in words: "Deleted: 3 conversations, 2 cases, at 10:42 on 2 Mar 2026."
func (r Receipt) Text() string {
	s := fmt.Sprintf("Deleted: %s, %s, at %s.", plural(r.Counts.Conversations, "conversation"),
		plural(r.Counts.Cases, "case"), r.At.Format("15:04 on 2 Jan 2006"))
	if len(r.Cancelled) > 0 {
		s += fmt.Sprintf("\nOpen request %s was cancelled and the tech team told.", strings.Join(r.Cancelled, ", "))
		if len(r.Cancelled) > 1 {
			s = strings.Replace(s, "Open request ", "Open requests ", 1)
			s = strings.Replace(s, " was cancelled", " were cancelled", 1)
		}
	}
	if n := r.Counts.ClaimsReleased + r.Counts.ClaimsRenamed; n > 0 {
		s += fmt.Sprintf("\n%s handled as a tech now show %q", plural(n, "case"), FormerStaff)
		if r.Counts.ClaimsReleased > 0 {
			s += fmt.Sprintf("; %d still in progress went back to the queue", r.Counts.ClaimsReleased)
		}
		s += "."
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ErrNoDataRights is returned when the Store cannot purge or export.
var ErrNoDataRights = errors.New("data rights are not available with this store")

// stateUnsaved marks a turn HandleMessage must not save: after "forget me"
// the session would come back, and a purge or export command would put the
// target's id into the tech's own session.
const stateUnsaved SessionState = "unsaved"

func (d *Desk) rights() (DataRights, error) {
	r, ok := d.store.(DataRights)
	if !ok {
		return nil, ErrNoDataRights
	}
	return r, nil
}

// ForgetMe deletes everything kept about p (as PurgeUser) at p's own request.
func (d *Desk) ForgetMe(ctx context.Context, platform string, p Person) (Receipt, error) {
	return d.purge(ctx, platform+":"+p.ID, p.ID, AuditForget, platform, p.ID)
}

// PurgeUser deletes everything kept about one person. actor is who asked,
// as "platform:id" (or "cli:name"); the caller has checked they may.
func (d *Desk) PurgeUser(ctx context.Context, actor, platform, userID string) (Receipt, error) {
	actorID := ""
	if p, id, ok := strings.Cut(actor, ":"); ok && p == platform {
		actorID = id
	}
	return d.purge(ctx, actor, actorID, AuditPurge, platform, userID)
}

func (d *Desk) purge(ctx context.Context, actor, actorID, action, platform, userID string) (Receipt, error) {
	now := d.now()
	rec := Receipt{At: now}
	r, err := d.rights()
	if err != nil {
		return rec, err
	}
	if err := checkUserID(platform, userID); err != nil {
		return rec, err
	}
	requested, claimed, err := r.UserCases(ctx, platform, userID)
	if err != nil {
		d.audit(ctx, r, AuditEntry{At: now, Actor: actor, Action: action, Platform: platform, Target: userID, Result: "failed"})
		return rec, fmt.Errorf("find cases: %w", err)
	}
	d.ungroup(ctx, requested, now)
	// Open cases are withdrawn first, so no tech goes looking for someone
	// who is no longer in the system. The card and the observers get a
	// copy without the person's details.
	for _, e := range requested {
		if e.Status.Closed() {
			continue
		}
		c, err := d.store.Cancel(ctx, e.ID, now)
		if err != nil {
			d.log.Warn("purge: could not cancel case", "case", e.ID, "err", err)
			continue
		}
		rec.Cancelled = append(rec.Cancelled, c.ID)
		rec.Counts.Cancelled++
		s := scrubbed(c)
		if n := d.notifier(c.Platform); n != nil {
			if err := n.UpdateCard(ctx, s); err != nil {
				d.log.Warn("card update failed", "case", c.ID, "err", err)
			}
		}
		d.emit(ctx, Event{Type: EventCancelled, Platform: platform, User: actorID, Case: &s})
	}
	for _, o := range d.observers {
		if f, ok := o.(UserForgetter); ok {
			n, err := f.ForgetUser(ctx, platform, userID)
			if err != nil {
				d.log.Warn("purge: an observer could not forget the user", "user", userID, "err", err)
			}
			rec.Counts.Dropped += n
		}
	}
	counts, err := r.PurgeUser(ctx, platform, userID)
	counts.Cancelled, counts.Dropped = rec.Counts.Cancelled, rec.Counts.Dropped
	rec.Counts = counts
	if err != nil {
		d.audit(ctx, r, AuditEntry{At: now, Actor: actor, Action: action, Platform: platform, Target: userID, Counts: counts.asMap(), Result: "failed"})
		return rec, fmt.Errorf("purge: %w", err)
	}
	// Claims still in progress went back to the queue: show the techs.
	for _, e := range claimed {
		if e.Status != StatusClaimed {
			continue
		}
		c, err := d.store.Escalation(ctx, e.ID)
		if err != nil || c.Status != StatusOpen {
			continue
		}
		if n := d.notifier(c.Platform); n != nil {
			if err := n.UpdateCard(ctx, c); err != nil {
				d.log.Warn("card update failed", "case", c.ID, "err", err)
			}
		}
		d.emit(ctx, Event{Type: EventReleased, Platform: platform, User: actorID, Case: &c})
	}
	d.audit(ctx, r, AuditEntry{At: now, Actor: actor, Action: action, Platform: platform, Target: userID, Counts: counts.asMap(), Result: "ok"})
	d.log.Info("user data deleted", "action", action, "platform", platform, "user", userID,
		"conversations", counts.Conversations, "cases", counts.Cases)
	return rec, nil
}

// ExportUser returns everything kept about one person. actor is who asked
// ("platform:id" or "cli:name"); the caller has checked they may.
func (d *Desk) ExportUser(ctx context.Context, actor, platform, userID string) (UserData, error) {
	now := d.now()
	r, err := d.rights()
	if err != nil {
		return UserData{}, err
	}
	if err := checkUserID(platform, userID); err != nil {
		return UserData{}, err
	}
	data, err := r.ExportUser(ctx, platform, userID)
	result := "ok"
	if err != nil {
		result = "failed"
	}
	data.ExportedAt = now
	d.audit(ctx, r, AuditEntry{At: now, Actor: actor, Action: AuditExport, Platform: platform, Target: userID,
		Counts: map[string]int{"conversations": len(data.Sessions), "cases": len(data.Requested), "claims": len(data.Claimed), "other_records": len(data.Other)},
		Result: result})
	if err != nil {
		return data, fmt.Errorf("export: %w", err)
	}
	return data, nil
}

// AuditLog returns up to limit audit entries, newest first.
func (d *Desk) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	r, err := d.rights()
	if err != nil {
		return nil, err
	}
	return r.AuditLog(ctx, limit)
}

func (d *Desk) audit(ctx context.Context, r DataRights, e AuditEntry) {
	if err := r.Audit(ctx, e); err != nil {
		d.log.Error("audit entry could not be written", "action", e.Action, "target", e.Target, "err", err)
	}
}

// ungroup takes the person's cases out of incidents before they go: a
// report of theirs leaves its incident, and other people's reports grouped
// under a case of theirs stand on their own again (back in the queue, with
// a card of their own) rather than follow a case that no longer exists.
func (d *Desk) ungroup(ctx context.Context, requested []Escalation, now time.Time) {
	inc, ok := d.store.(Incidents)
	if !ok {
		return
	}
	for _, e := range requested {
		if e.Incident != "" {
			if err := inc.UnlinkCase(ctx, e.ID, now); err != nil {
				d.log.Warn("purge: could not ungroup case", "case", e.ID, "err", err)
			}
		}
		if e.Reports < 2 {
			continue
		}
		linked, err := inc.LinkedCases(ctx, e.ID)
		if err != nil {
			d.log.Warn("purge: could not load grouped cases", "incident", e.ID, "err", err)
			continue
		}
		for _, l := range linked {
			if l.Requester.ID == e.Requester.ID && l.Platform == e.Platform {
				continue // theirs too: deleted with the rest
			}
			if err := inc.UnlinkCase(ctx, l.ID, now); err != nil {
				d.log.Warn("purge: could not ungroup case", "case", l.ID, "err", err)
				continue
			}
			if l.Status.Closed() {
				continue
			}
			l.Incident = ""
			if n := d.notifier(l.Platform); l.Card != "" && n != nil {
				if err := n.UpdateCard(ctx, l); err != nil {
					d.log.Warn("card update failed", "case", l.ID, "err", err)
				}
			} else {
				d.announce(ctx, l)
			}
		}
	}
}

// scrubbed is a case without the requester's details, for the techs' card
// and observers after the requester asked to be forgotten.
func scrubbed(e Escalation) Escalation {
	e.Requester = Person{Name: "former user"}
	e.Summary = "(removed at the requester's request)"
	e.Brief, e.Location, e.Device, e.Ref = "", "", "", ""
	e.Transcript, e.Articles = nil, nil
	return e
}

// checkUserID refuses ids that cannot be a person (empty, a platform name,
// wildcards, spaces): a purge must never match someone else's keys.
func checkUserID(platform, id string) error {
	switch {
	case platform == "" || strings.ContainsAny(platform, ":*?[] "):
		return fmt.Errorf("platform %q is not valid", platform)
	case len(id) < 2 || len(id) > 200:
		return fmt.Errorf("user id %q is not valid", id)
	case id == PlatformSlack || id == PlatformTeams || id == PlatformConsole || id == PlatformWeb:
		return fmt.Errorf("user id %q is not valid", id)
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("*?[]\\", r) {
			return fmt.Errorf("user id %q is not valid", id)
		}
	}
	return nil
}

// rightsCommand handles "forget me" (anyone) and "purge USER" / "export
// USER" (techs). It reports false for anything else.
func (d *Desk) rightsCommand(ctx context.Context, sess *Session, m Message, text string) ([]Reply, bool) {
	r, ok := d.rightsReply(ctx, m, text)
	if ok {
		sess.State = stateUnsaved
	}
	return r, ok
}

func (d *Desk) rightsReply(ctx context.Context, m Message, text string) ([]Reply, bool) {
	norm := strings.Join(strings.Fields(strings.ToLower(strings.TrimRight(strings.TrimSpace(text), ".!"))), " ")
	if forgetPhrases[norm] {
		return d.forgetReply(ctx, m), true
	}
	verb, arg, ok := strings.Cut(norm, " ")
	if !ok || (verb != "purge" && verb != "export") {
		return nil, false
	}
	// The id comes from what was typed, not the screened text: the screen
	// may mistake a long numeric id for a student id.
	raw := strings.Fields(m.Text)
	tech := d.isTech(ctx, m.Platform, m.From)
	if strings.Contains(arg, " ") || len(raw) != 2 {
		if !tech {
			return nil, false // "export grades to a spreadsheet" is a question
		}
		// Teams turns a mention into the person's name, which is no id.
		return []Reply{{Kind: KindNotice, Ephemeral: true, Text: "Give one person's user id: " + verb +
			" @name in Slack, or " + verb + " followed by their Entra object id in Teams (for example " + verb +
			" 5f1c2d3e-…). Nothing was " + map[string]string{"purge": "deleted", "export": "exported"}[verb] + "."}}, true
	}
	target, mention := parseUserArg(raw[1])
	if !tech {
		// "export grades" from a teacher is a question, not a command; a
		// mention or an id-like word is a command they may not use.
		if !mention && !idLike(target) {
			return nil, false
		}
		if r, err := d.rights(); err == nil {
			d.audit(ctx, r, AuditEntry{At: d.now(), Actor: m.Platform + ":" + m.From.ID, Action: AuditRefused,
				Platform: m.Platform, Target: target, Counts: map[string]int{verb: 1}, Result: "refused"})
		}
		return []Reply{{Kind: KindNotice, Ephemeral: true,
			Text: "Only the IT team can purge or export someone's data. To delete what I keep about you, say \"forget me\"."}}, true
	}
	actor := m.Platform + ":" + m.From.ID
	if verb == "export" {
		if !m.Direct {
			return []Reply{{Kind: KindNotice, Ephemeral: true,
				Text: "Exports contain personal data: ask me in a direct message, not in a channel."}}, true
		}
		return d.exportReplies(ctx, actor, m.Platform, target), true
	}
	rec, err := d.PurgeUser(ctx, actor, m.Platform, target)
	if err != nil {
		d.log.Warn("purge failed", "user", target, "err", err)
		return []Reply{{Kind: KindError, Ephemeral: true, Text: "I couldn't delete that person's data just now; nothing was reported as done. Try again in a minute or use `helpbot admin purge`."}}, true
	}
	return []Reply{{Kind: KindNotice, Ephemeral: true, Text: "Purged " + target + ". " + rec.Text()}}, true
}

var forgetPhrases = map[string]bool{
	"forget me": true, "please forget me": true, "forget me please": true, "forget about me": true,
	"delete my data": true, "delete my information": true, "delete everything about me": true,
}

func (d *Desk) forgetReply(ctx context.Context, m Message) []Reply {
	rec, err := d.ForgetMe(ctx, m.Platform, m.From)
	if err != nil {
		d.log.Warn("forget me failed", "user", m.From.ID, "err", err)
		return []Reply{{Kind: KindError, Text: "I couldn't delete your data just now. Please try again in a few minutes. " + d.contactLine()}}
	}
	return []Reply{{Kind: KindNotice, Text: rec.Text() + "\n" +
		"I no longer keep your conversations or requests. A note that a deletion happened (with no content) stays in the audit log. " +
		"If your district also uses a ticket system, ask IT to delete the copy there."}}
}

// exportChunk keeps each chat message of an export within what Slack and
// Teams show in one block.
const (
	exportChunk     = 2800
	exportMaxChunks = 8
)

func (d *Desk) exportReplies(ctx context.Context, actor, platform, target string) []Reply {
	data, err := d.ExportUser(ctx, actor, platform, target)
	if err != nil {
		d.log.Warn("export failed", "user", target, "err", err)
		return []Reply{{Kind: KindError, Ephemeral: true, Text: "I couldn't export that person's data just now. Try again in a minute or use `helpbot admin export`."}}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return []Reply{{Kind: KindError, Ephemeral: true, Text: "I couldn't encode the export."}}
	}
	head := fmt.Sprintf("Export of %s (%s) at %s: %s, %s requested, %s claimed, %s.", target, platform,
		data.ExportedAt.Format("15:04 on 2 Jan 2006"), plural(len(data.Sessions), "conversation"),
		plural(len(data.Requested), "case"), plural(len(data.Claimed), "case"), plural(len(data.Other), "other record"))
	parts := chunkString(string(raw), exportChunk)
	if len(parts) > exportMaxChunks {
		return []Reply{{Kind: KindNotice, Ephemeral: true, Text: head + fmt.Sprintf(
			"\nThe JSON is too long for chat (%d KB). Run: helpbot admin export --platform %s %s > export.json", len(raw)/1024+1, platform, target)}}
	}
	out := []Reply{{Kind: KindNotice, Ephemeral: true, Text: head + "\nThe JSON follows; join the parts in order."}}
	for i, p := range parts {
		out = append(out, Reply{Kind: KindNotice, Ephemeral: true, Text: fmt.Sprintf("(part %d/%d)\n%s", i+1, len(parts), p)})
	}
	return out
}

func chunkString(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := n
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// parseUserArg takes a platform user id or a Slack mention (<@U123> or
// <@U123|name>) and reports whether it was a mention.
func parseUserArg(s string) (id string, mention bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
		s, _, _ = strings.Cut(s, "|")
		return s, true
	}
	if strings.HasPrefix(s, "@") && len(s) > 1 {
		return s[1:], true
	}
	return s, false
}

// idLike reports a word that looks like a platform user id rather than an
// English word: it has a digit, a dot, a colon or an underscore.
func idLike(s string) bool {
	return strings.ContainsAny(s, "0123456789.:_")
}
