// Package stats keeps the help desk's daily figures in Redis (what was asked,
// answered, escalated, claimed, resolved, and what the KB could not answer)
// and reads them back for the daily digest and `helpbot report`.
//
// Every figure is stored per calendar day in the district's time zone under
// {prefix}stats:{day}:… with a 400-day TTL, written with atomic Redis
// operations so any number of replicas can record at once.
package stats

import (
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// TTL is how long a day's figures are kept: a school year and the same
// weeks of the year before, for comparison.
const TTL = 400 * 24 * time.Hour

// DayLayout is how days appear in keys, reports and JSON.
const DayLayout = "2006-01-02"

// Key families, relative to the store prefix (DATA.md documents them):
//
//	stats:{day}:n          hash  counters (asked, answered, escalated:priority:urgent…)
//	stats:{day}:claim_ms   zset  case id → ms from filing to first claim
//	stats:{day}:resolve_ms zset  case id → ms from filing to first resolve
//	stats:{day}:sat        hash  {platform}:{tech id}:{verdict} → count
//	stats:{day}:tech       hash  {platform}:{tech id} → display name
//	stats:{day}:topics     zset  article path → times answered from it
//	stats:{day}:titles     hash  article path → title
//	stats:{day}:unans      zset  normalised question → times asked (≤ MaxUnanswered)
//	stats:{day}:unans_text hash  normalised question → anonymised text as first asked
//	stats:{day}:digest:{platform} string: the digest for that day was posted
//	stats:case:{id}        hash  markers so a case's first claim, first
//	                             resolve and each verdict count once
const (
	KeyStats = "stats:"

	famCounts    = "n"
	famClaim     = "claim_ms"
	famResolve   = "resolve_ms"
	famSat       = "sat"
	famTech      = "tech"
	famTopics    = "topics"
	famTitles    = "titles"
	famUnans     = "unans"
	famUnansText = "unans_text"
	famDigest    = "digest:"
	famCase      = "case:"
)

// Store reads and writes the figures on one Redis under one prefix.
type Store struct {
	rdb    goredis.UniversalClient
	prefix string
	loc    *time.Location
}

// New returns a Store. prefix is the bot's key prefix ("hb:"); loc is the
// district's time zone, which decides where one day ends (nil means UTC).
func New(rdb goredis.UniversalClient, prefix string, loc *time.Location) *Store {
	if loc == nil {
		loc = time.UTC
	}
	return &Store{rdb: rdb, prefix: prefix, loc: loc}
}

// Location is the time zone days are counted in.
func (s *Store) Location() *time.Location { return s.loc }

// Day is the calendar day t falls on in the district's time zone.
func (s *Store) Day(t time.Time) string { return t.In(s.loc).Format(DayLayout) }

// Days lists the n calendar days ending with the day of end, oldest first.
func (s *Store) Days(end time.Time, n int) []string {
	if n < 1 {
		n = 1
	}
	e := end.In(s.loc)
	out := make([]string, n)
	for i := range n {
		// Noon avoids DST edges: AddDate on a local midnight can land on
		// the wrong day where midnight does not exist.
		d := time.Date(e.Year(), e.Month(), e.Day()-(n-1-i), 12, 0, 0, 0, s.loc)
		out[i] = d.Format(DayLayout)
	}
	return out
}

func (s *Store) dayKey(day, fam string) string {
	return s.prefix + KeyStats + day + ":" + fam
}

func (s *Store) caseKey(id string) string {
	return s.prefix + KeyStats + famCase + id
}

// techKey names a tech across platforms: ids are only unique per platform.
func techKey(platform, id string) string {
	return platform + ":" + strings.ReplaceAll(id, ":", "_")
}
