package teams

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// ServeHTTP is POST /api/messages: authenticate, then acknowledge at once
// and leave the reply to a worker (Teams re-sends what it got no answer to
// in ~15 s). Card actions sent as invokes (Action.Execute) are the
// exception: their answer is the updated card, so they are handled in the
// request. Responses never carry internals; reasons go to the log.
//
// The order keeps unauthenticated requests cheap: the declared size is
// checked and the token verified (signature, issuer, audience, expiry)
// before a byte of the body is read; only then is the body read, capped,
// decoded, and checked against the token's serviceurl claim and its key's
// endorsements. A request refused before its body is read closes the
// connection, so the server does not read the body either.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > maxBody {
		e.refuse(w, http.StatusRequestEntityTooLarge)
		return
	}
	tok, err := e.validator.Authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		e.rejected(w, "", err)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e.refuse(w, http.StatusRequestEntityTooLarge)
			return
		}
		e.count(outcomeError)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	act, err := decodeActivity(raw)
	if err != nil {
		e.log.Info("teams: unreadable activity", "err", err)
		e.count(outcomeError)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := tok.Covers(act.ChannelID, act.ServiceURL); err != nil {
		e.rejected(w, act.ID, err)
		return
	}
	if !e.conn.hosts.allowed(act.ServiceURL) {
		// Genuine, but we will not send our token there: say so in the
		// log so an operator on another cloud can allow the host.
		e.log.Warn("teams: activity from a serviceUrl host that is not allow-listed; ignored (see TEAMS_SERVICE_URL_HOSTS)",
			"activity", act.ID, "err", e.conn.hosts.checkErr(act.ServiceURL))
		e.count(outcomeRejected)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch act.Type {
	case typeInvoke:
		e.serveInvoke(w, r, act)
	case typeMessage, typeConversationUpdate:
		e.accept(w, act, received)
	default:
		e.count(outcomeOK) // not ours to answer (typing, reactions…)
		w.WriteHeader(http.StatusOK)
	}
}

// rejected answers a request whose token does not hold (401) or does not
// cover its activity (403), with the status only.
func (e *Edge) rejected(w http.ResponseWriter, activityID string, err error) {
	status := http.StatusUnauthorized
	var ae *AuthError
	if errors.As(err, &ae) {
		status = ae.Status
	}
	e.log.Warn("teams: rejected activity", "status", status, "activity", activityID, "err", err)
	e.refuse(w, status)
}

// refuse answers with a bare status and closes the connection, so a body
// nobody will use is not read: net/http would otherwise read up to 256 KiB
// of it to keep the connection.
func (e *Edge) refuse(w http.ResponseWriter, status int) {
	e.count(outcomeRejected)
	w.Header().Set("Connection", "close")
	http.Error(w, strings.ToLower(http.StatusText(status)), status)
}

// accept queues an activity for a worker. When the workers are behind, a
// message gets a polite "busy" reply instead of waiting minutes; that
// reply is sent by a small pool of its own, never from the request, so a
// flood cannot turn into unbounded outbound calls. When even that pool is
// full the activity is handed back (503) for Teams to send again.
func (e *Edge) accept(w http.ResponseWriter, act activity, received time.Time) {
	j := job{act: act, received: received}
	ok, stopped := e.pool.enqueue(j)
	switch {
	case ok:
		w.WriteHeader(http.StatusOK)
	case stopped:
		// Shutting down: Teams will re-send to a replica that is up.
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	case act.Type != typeMessage:
		e.count(outcomeRateLimited)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	default:
		if ok, _ := e.busy.enqueue(j); ok {
			w.WriteHeader(http.StatusOK)
			return
		}
		e.log.Warn("teams: workers and busy replies full; activity handed back", "activity", act.ID)
		e.count(outcomeError)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}
}

// sayBusy tells the sender of a message the workers had no room for to
// send it again later, once per activity across replicas.
func (e *Edge) sayBusy(ctx context.Context, j job) {
	if !e.firstDelivery(ctx, j.act) {
		e.count(outcomeDuplicate)
		return
	}
	e.log.Warn("teams: all workers busy; told the sender to retry", "activity", j.act.ID)
	if err := e.reply(ctx, j.act, noticeCard(textBusy), nil); err != nil {
		e.count(outcomeError)
		return
	}
	e.count(outcomeRateLimited)
}

// firstDelivery reports whether this activity is seen for the first time,
// across replicas. When Redis cannot tell, it is treated as new: a rare
// double answer beats a lost question.
func (e *Edge) firstDelivery(ctx context.Context, act activity) bool {
	if act.ID == "" {
		return true
	}
	first, err := e.limiter.Once(ctx, DedupeSource+hashID(act.Conversation.ID, act.ID), DedupeTTL)
	if err != nil {
		e.log.Warn("teams: dedupe check failed; handling the activity", "activity", act.ID, "err", err)
		return true
	}
	return first
}

// invokeResponse is the body Teams expects for an adaptiveCard/action.
type invokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

func (e *Edge) serveInvoke(w http.ResponseWriter, r *http.Request, act activity) {
	d, ok := act.executed()
	if !ok {
		// Other invokes (message extensions, sign-in) are not ours.
		e.count(outcomeOK)
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), invokeTimeout)
	defer cancel()
	writeJSON(w, e.execute(ctx, act, d))
}
