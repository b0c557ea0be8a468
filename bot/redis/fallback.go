package redis

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// DefaultLocalUsers bounds the in-process fallback limiter: about 100 bytes
// a person, so at most about 1 MB however many people write during an outage.
const DefaultLocalUsers = 10000

// LimitedStore is the Store with a local fallback for the per-user rate
// limit: when Redis cannot answer, each replica limits on its own with a
// small token bucket per person instead of letting a flood through. Every
// other method is the Store's (promoted), so the desk still finds the
// optional abilities (incidents, data rights) on it.
type LimitedStore struct {
	*Store
	local *LocalLimiter
}

// WithLocalRateLimit wraps s; maxUsers ≤ 0 means DefaultLocalUsers.
func WithLocalRateLimit(s *Store, maxUsers int) *LimitedStore {
	return &LimitedStore{Store: s, local: NewLocalLimiter(maxUsers, time.Now)}
}

// Allow implements bot.Limiter: Redis's shared window when it answers, the
// local bucket when it does not. It never returns an error: the fallback
// is the answer.
func (s *LimitedStore) Allow(ctx context.Context, user string, limit int, window time.Duration) (bool, bool, error) {
	ok, first, err := s.Store.Allow(ctx, user, limit, window)
	if err == nil {
		return ok, first, nil
	}
	ok, first = s.local.Allow(user, limit, window)
	return ok, first, nil
}

// Admit implements bot.Admitter with the same fallback as Allow. (Without
// it the Store's Admit would be promoted and skip the local limiter.)
func (s *LimitedStore) Admit(ctx context.Context, user string, limit int, window time.Duration, sessionKey string) bot.Admission {
	a := s.Store.Admit(ctx, user, limit, window, sessionKey)
	if a.LimitErr != nil {
		a.Allowed, a.FirstRefusal = s.local.Allow(user, limit, window)
		a.LimitErr = nil
	}
	return a
}

// Local is the fallback limiter (tests and metrics read its size).
func (s *LimitedStore) Local() *LocalLimiter { return s.local }

// LocalLimiter is a token bucket per person, in this process only: limit
// tokens, refilled at limit per window, and one "slow down" notice per
// window of refusals. It remembers at most maxUsers people, forgetting
// the least recently seen first.
type LocalLimiter struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	order *list.List               // front = most recently seen
	users map[string]*list.Element // → *bucket
}

type bucket struct {
	user     string
	tokens   float64
	last     time.Time // when tokens was computed
	noticeAt time.Time // last "slow down" notice; zero = none
}

// NewLocalLimiter makes a limiter remembering at most maxUsers people
// (≤ 0: DefaultLocalUsers); now is its clock (nil: time.Now).
func NewLocalLimiter(maxUsers int, now func() time.Time) *LocalLimiter {
	if maxUsers <= 0 {
		maxUsers = DefaultLocalUsers
	}
	if now == nil {
		now = time.Now
	}
	return &LocalLimiter{max: maxUsers, now: now, order: list.New(), users: map[string]*list.Element{}}
}

// Allow reports whether user may send another message now and, when not,
// whether this is the first refusal of the window (send one notice).
func (l *LocalLimiter) Allow(user string, limit int, window time.Duration) (ok, firstRefusal bool) {
	if limit <= 0 || window <= 0 {
		return true, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var b *bucket
	if el, found := l.users[user]; found {
		l.order.MoveToFront(el)
		b = el.Value.(*bucket)
		rate := float64(limit) / float64(window)
		b.tokens = min(float64(limit), b.tokens+rate*float64(now.Sub(b.last)))
		b.last = now
	} else {
		b = &bucket{user: user, tokens: float64(limit), last: now}
		l.users[user] = l.order.PushFront(b)
		for l.order.Len() > l.max {
			old := l.order.Back()
			l.order.Remove(old)
			delete(l.users, old.Value.(*bucket).user)
		}
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, false
	}
	if b.noticeAt.IsZero() || now.Sub(b.noticeAt) >= window {
		b.noticeAt = now
		return false, true
	}
	return false, false
}

// Len is how many people the limiter remembers now.
func (l *LocalLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
