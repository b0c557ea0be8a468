package knowledge

import (
	"sync/atomic"

	"github.com/helpbot/helpbot/bot"
)

// Library holds the KB currently served. Readers take the current *Index
// without locking; a reload builds a new Index off to the side and swaps it
// in, so a search never sees half a KB.
type Library struct {
	cur atomic.Pointer[Index]
}

// NewLibrary serves ix (an empty KB if nil).
func NewLibrary(ix *Index) *Library {
	l := &Library{}
	l.Swap(ix)
	return l
}

// Index returns the KB being served now.
func (l *Library) Index() *Index { return l.cur.Load() }

// Swap serves ix from now on and returns the previous Index.
func (l *Library) Swap(ix *Index) *Index {
	if ix == nil {
		ix = NewIndex(nil)
	}
	return l.cur.Swap(ix)
}

// Search searches the current KB; see Index.Search.
func (l *Library) Search(question string, opts SearchOptions) []Hit {
	return l.Index().Search(question, opts)
}

// Audience is a convenience for callers holding a bot.Question.
func audienceOf(q bot.Question) bot.Audience {
	if q.Audience == "" {
		return bot.AudienceStaff
	}
	return q.Audience
}
