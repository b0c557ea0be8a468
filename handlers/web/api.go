package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/helpbot/helpbot/bot"
)

const (
	maxBody     = 16 << 10 // JSON request bodies
	maxText     = 4000     // characters in one chat message
	maxQuery    = 500      // characters in a KB panel search
	maxKBHits   = 10
	excerptSize = 700
)

// caseIDRe is what a case id looks like (IT-1042); anything else is a typo
// or an attack and never reaches the Store.
var caseIDRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,15}-[0-9]{1,12}$`)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with a short message for people; never internals.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decodeBody reads one JSON object of at most maxBody bytes into v. It
// writes the error response itself and reports whether to go on.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	// A JSON content type cannot be sent cross-site without a CORS
	// preflight, which this server never grants.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send the body as application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data")
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "request body is too large")
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "request body must be one JSON object with the documented fields")
		return false
	}
	return true
}

// people lists who you can be: GET /api/people.
func (p *Playground) people(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": People})
}

type messageRequest struct {
	As   string `json:"as"`
	Text string `json:"text"`
}

// message is a staff member typing to the bot: POST /api/messages
// {"as": "pat.rivera", "text": "…"} → {"entries": [...]}, the message as
// kept (secrets already removed) and the bot's replies.
func (p *Playground) message(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	var req messageRequest
	if !decodeBody(w, r, &req) {
		return
	}
	who, ok := person(req.As)
	switch {
	case !ok || who.Role != roleStaff:
		writeError(w, http.StatusBadRequest, "as must be the id of a playground staff member")
		return
	case strings.TrimSpace(req.Text) == "":
		writeError(w, http.StatusBadRequest, "text is required")
		return
	case !utf8.ValidString(req.Text):
		writeError(w, http.StatusBadRequest, "text must be UTF-8")
		return
	case utf8.RuneCountInString(req.Text) > maxText:
		writeError(w, http.StatusRequestEntityTooLarge, "message is too long (at most "+strconv.Itoa(maxText)+" characters)")
		return
	}
	// The chat keeps what the bot kept: a pasted password shows as
	// "[password removed]" here too, and is never held in memory.
	shown := p.desk.Screener().Screen(req.Text).Text
	mine := p.appendEntries(who.ID, Entry{From: "staff", Text: shown, At: p.now()})
	replies := p.desk.HandleMessage(r.Context(), bot.Message{
		Platform: bot.PlatformWeb, Conversation: who.conversation(), From: who.bot(),
		Text: req.Text, Direct: true, Ref: who.ID,
	})
	now := p.now()
	entries := make([]Entry, 0, len(replies))
	for _, rep := range replies {
		entries = append(entries, replyEntry(rep, now))
	}
	out := append(mine, p.appendEntries(who.ID, entries...)...)
	p.log.Debug("playground message", "user", who.ID, "replies", len(replies))
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

type actionRequest struct {
	As     string `json:"as"`
	Action string `json:"action"`
	Case   string `json:"case"`
	Entry  int64  `json:"entry"` // the chat entry whose button was pressed
}

// actionResponse: entries changed or added in the presser's chat (staff),
// notes shown only to the presser (techs), and the card after the action.
type actionResponse struct {
	Status  string  `json:"status,omitempty"`
	Entries []Entry `json:"entries"`
	Notes   []Note  `json:"notes"`
	Card    *Card   `json:"card,omitempty"`
}

// Note is a reply shown only to the tech who pressed a card button.
type Note struct {
	Case string `json:"case,omitempty"`
	Text string `json:"text"`
}

var knownActions = map[string]bool{
	bot.ActionSolved: true, bot.ActionEscalate: true, bot.ActionClaim: true,
	bot.ActionResolve: true, bot.ActionRelease: true, bot.ActionFixed: true,
	bot.ActionNotFixed: true, bot.ActionCancelCase: true, bot.ActionSeparate: true,
}

// action is a button press: POST /api/actions
// {"as": "alex.chen", "action": "helpbot.claim", "case": "IT-1001"}.
func (p *Playground) action(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	var req actionRequest
	if !decodeBody(w, r, &req) {
		return
	}
	who, ok := person(req.As)
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "as must be the id of a playground person")
		return
	case !knownActions[req.Action]:
		writeError(w, http.StatusBadRequest, "unknown action")
		return
	case req.Case != "" && !caseIDRe.MatchString(req.Case):
		writeError(w, http.StatusBadRequest, "case must be a case id such as IT-1042")
		return
	case req.Entry < 0:
		writeError(w, http.StatusBadRequest, "entry must be a message id")
		return
	case req.Entry != 0 && (who.Role != roleStaff || !p.hasEntry(who.ID, req.Entry)):
		writeError(w, http.StatusNotFound, "no such message in your chat")
		return
	}
	out := p.desk.HandleAction(r.Context(), bot.Action{
		Platform: bot.PlatformWeb, Conversation: who.conversation(), From: who.bot(),
		Name: req.Action, EscalationID: strings.ToUpper(req.Case), Ref: who.ID,
	})
	resp := actionResponse{Status: out.Status, Entries: []Entry{}, Notes: []Note{}}
	if req.Entry != 0 && out.Status != "" {
		if e, ok := p.settleEntry(who.ID, req.Entry, out.Status); ok {
			resp.Entries = append(resp.Entries, e)
		}
	}
	now := p.now()
	if who.Role == roleStaff {
		entries := make([]Entry, 0, len(out.Replies))
		for _, rep := range out.Replies {
			entries = append(entries, replyEntry(rep, now))
		}
		resp.Entries = append(resp.Entries, p.appendEntries(who.ID, entries...)...)
	} else {
		for _, rep := range out.Replies {
			resp.Notes = append(resp.Notes, Note{Case: rep.EscalationID, Text: rep.Text})
		}
	}
	// The desk does not update the card for every outcome (a "fixed"
	// verdict, say); the edge shows the case as it now is.
	if out.Case != nil && out.Case.Platform == bot.PlatformWeb {
		c := p.upsertCard(*out.Case)
		resp.Card = &c
	}
	p.log.Debug("playground action", "user", who.ID, "action", req.Action, "case", req.Case)
	writeJSON(w, http.StatusOK, resp)
}
