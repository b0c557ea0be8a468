package slack

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/helpbot/helpbot/bot"
)

// people resolves user ids to display names (users.info), cached in memory
// for an hour and bounded; names are for display only, never trusted.
type people struct {
	e   *Edge
	mu  sync.Mutex
	ttl time.Duration
	max int
	m   map[string]cachedName
}

type cachedName struct {
	name string
	at   time.Time
}

func newPeople(e *Edge) *people {
	return &people{e: e, ttl: time.Hour, max: 10000, m: map[string]cachedName{}}
}

// person returns the user with a display name when Slack gives one; on any
// failure the id alone (the conversation goes on).
func (p *people) person(ctx context.Context, id string) bot.Person {
	now := time.Now()
	p.mu.Lock()
	c, ok := p.m[id]
	p.mu.Unlock()
	if ok && now.Sub(c.at) < p.ttl {
		return bot.Person{ID: id, Name: c.name}
	}
	var u *slack.User
	err := p.e.call(ctx, "users.info", func() (err error) {
		u, err = p.e.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil || u == nil {
		p.e.log.Debug("users.info failed; using the id", "user", id, "err", err)
		return bot.Person{ID: id, Name: c.name}
	}
	name := strings.TrimSpace(u.Profile.DisplayName)
	if name == "" {
		name = strings.TrimSpace(u.RealName)
	}
	if name == "" {
		name = u.Name
	}
	name = capPlain(strings.Join(strings.Fields(name), " "), 80)
	p.mu.Lock()
	if len(p.m) >= p.max {
		clear(p.m) // rare; simpler than an LRU and still bounded
	}
	p.m[id] = cachedName{name: name, at: now}
	p.mu.Unlock()
	return bot.Person{ID: id, Name: name}
}

// techs is bot.Techs for Slack: the listed users, plus members of the tech
// user group (cached briefly, so a removed tech loses access within the TTL
// and a Claim flood costs one lookup).
type techs struct {
	e     *Edge
	users map[string]bool
	group string
	ttl   time.Duration

	mu      sync.Mutex
	members []string
	at      time.Time
	fetch   chan struct{} // non-nil while one lookup is in flight
}

func newTechs(e *Edge, users []string, group string, ttl time.Duration) *techs {
	t := &techs{e: e, users: map[string]bool{}, group: group, ttl: ttl}
	for _, u := range users {
		if u = strings.TrimSpace(u); u != "" {
			t.users[u] = true
		}
	}
	return t
}

// IsTech implements bot.Techs.
func (t *techs) IsTech(ctx context.Context, platform string, p bot.Person) (bool, error) {
	if platform != bot.PlatformSlack || p.ID == "" {
		return false, nil
	}
	if t.users[p.ID] {
		return true, nil
	}
	if t.group == "" {
		return false, nil
	}
	members, err := t.groupMembers(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(members, p.ID), nil
}

func (t *techs) groupMembers(ctx context.Context) ([]string, error) {
	for {
		t.mu.Lock()
		if !t.at.IsZero() && time.Since(t.at) < t.ttl {
			m := t.members
			t.mu.Unlock()
			return m, nil
		}
		if wait := t.fetch; wait != nil {
			t.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		t.fetch = done
		stale := t.members
		t.mu.Unlock()

		var members []string
		err := t.e.call(ctx, "usergroups.users.list", func() (err error) {
			members, err = t.e.api.GetUserGroupMembersContext(ctx, t.group)
			return err
		})
		t.mu.Lock()
		t.fetch = nil
		if err == nil {
			t.members, t.at = members, time.Now()
		}
		t.mu.Unlock()
		close(done)
		if err != nil {
			if stale != nil {
				t.e.log.Warn("tech user group lookup failed; using the last list", "group", t.group, "err", err)
				return stale, nil
			}
			return nil, err
		}
		return members, nil
	}
}
