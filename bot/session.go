package bot

import "time"

// SessionState is what the bot is waiting for in a conversation.
type SessionState string

const (
	StateIdle            SessionState = ""
	StateAwaitingDetails SessionState = "awaiting_details" // asked for building/room before filing
)

// maxTurns is how many recent turns a session keeps; enough for the tech to
// see what was tried without keeping a whole day of chat.
const maxTurns = 12

// Session is the context of one conversation (a DM, or one channel thread),
// kept 24 h from the last message. All text in it is already redacted.
type Session struct {
	Key       string       `json:"key"`
	Requester Person       `json:"requester"`
	Turns     []Turn       `json:"turns,omitempty"`
	Offered   []Source     `json:"offered,omitempty"` // articles shown so far
	State     SessionState `json:"state,omitempty"`
	// Shown is the article section of the latest answer, so the bot does
	// not give the same steps twice in a row.
	Shown Source `json:"shown,omitempty"`

	Answered    bool   `json:"answered,omitempty"`     // the last reply was a confident answer
	Misses      int    `json:"misses,omitempty"`       // consecutive not-sure replies
	AskedDetail bool   `json:"asked_detail,omitempty"` // we asked for building/room once already
	Location    string `json:"location,omitempty"`
	Building    string `json:"building,omitempty"`
	Device      string `json:"device,omitempty"`

	// Pending holds a case waiting for building/room before it is filed.
	Pending *PendingCase `json:"pending,omitempty"`
	// Case is the id of the case opened from this conversation, if any.
	Case string `json:"case,omitempty"`

	UpdatedAt time.Time `json:"updated_at"`
}

// PendingCase is an escalation decided but not yet filed.
type PendingCase struct {
	Reason   Reason   `json:"reason"`
	Priority Priority `json:"priority"`
	Summary  string   `json:"summary"`
	// LastPlace is the person's remembered place, offered in the question.
	LastPlace *Place `json:"last_place,omitempty"`
	// Origin is where the request came from, for sending it unanswered.
	Origin *PendingOrigin `json:"origin,omitempty"`
}

func (s *Session) addTurn(who, text string, at time.Time) {
	if text == "" {
		return
	}
	s.Turns = append(s.Turns, Turn{Who: who, Text: text, At: at})
	if len(s.Turns) > maxTurns {
		s.Turns = append([]Turn(nil), s.Turns[len(s.Turns)-maxTurns:]...)
	}
}

func (s *Session) offer(src []Source) {
	for _, n := range src {
		seen := false
		for _, o := range s.Offered {
			if o.Path == n.Path {
				seen = true
				break
			}
		}
		if !seen {
			s.Offered = append(s.Offered, n)
		}
	}
	if len(s.Offered) > 8 {
		s.Offered = s.Offered[len(s.Offered)-8:]
	}
}
