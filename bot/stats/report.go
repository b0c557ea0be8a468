package stats

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// Report is the desk's figures over one or more days.
type Report struct {
	From     string `json:"from"` // first day, YYYY-MM-DD
	To       string `json:"to"`   // last day
	Days     int    `json:"days"`
	TimeZone string `json:"time_zone"`

	// Asked counts questions that reached the KB; Answered those given a
	// confident answer (no tech needed, unless the wording was urgent);
	// Solved the times a requester said an answer fixed it.
	Asked         int64   `json:"asked"`
	Answered      int64   `json:"answered"`
	AnsweredShare float64 `json:"answered_share"` // Answered / Asked, 0..1
	Solved        int64   `json:"solved"`
	NotSure       int64   `json:"not_sure"`
	Policy        int64   `json:"policy_refusals"`

	Escalations Escalations `json:"escalations"`
	Claims      int64       `json:"claims"`
	Releases    int64       `json:"releases"`
	Resolves    int64       `json:"resolves"`
	Reopened    int64       `json:"reopened"`
	Cancelled   int64       `json:"cancelled"`
	FileFailed  int64       `json:"file_failed"`

	TimeToClaim   Durations `json:"time_to_claim"`
	TimeToResolve Durations `json:"time_to_resolve"`

	Satisfaction Satisfaction `json:"satisfaction"`
	TopTopics    []Topic      `json:"top_topics"`
	Unanswered   []Question   `json:"unanswered"`
	// UnansweredDropped counts questions not kept because the day's list
	// was full.
	UnansweredDropped int64 `json:"unanswered_dropped,omitempty"`
	// Unrecorded counts desk events the recorder could not write (Redis
	// failing, or its queue full), so figures are known to be short.
	Unrecorded int64 `json:"unrecorded,omitempty"`

	PerDay []DayFigures `json:"per_day"`
}

// Escalations counts cases filed, by priority and by reason.
type Escalations struct {
	Total      int64            `json:"total"`
	ByPriority map[string]int64 `json:"by_priority"`
	ByReason   map[string]int64 `json:"by_reason"`
}

// Durations summarises waiting times, from the exact samples.
type Durations struct {
	Count         int     `json:"count"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Satisfaction counts requesters' answers to "is it fixed?".
type Satisfaction struct {
	Fixed    int64  `json:"fixed"`
	NotFixed int64  `json:"not_fixed"`
	Techs    []Tech `json:"techs"`
}

// Tech is one technician's verdicts (platform user id and display name).
type Tech struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Fixed    int64  `json:"fixed"`
	NotFixed int64  `json:"not_fixed"`
}

// Display is the tech's name, or id when the name is unknown.
func (t Tech) Display() string { return bot.Person{ID: t.ID, Name: t.Name}.Display() }

// Topic is an article the bot answered from, and how often.
type Topic struct {
	Path  string `json:"path"`
	Title string `json:"title"`
	Count int64  `json:"count"`
}

// Question is an anonymised question the KB could not answer.
type Question struct {
	Question string `json:"question"`
	Count    int64  `json:"count"`
}

// DayFigures are one day's headline numbers.
type DayFigures struct {
	Day         string `json:"day"`
	Asked       int64  `json:"asked"`
	Answered    int64  `json:"answered"`
	Escalations int64  `json:"escalations"`
	Resolves    int64  `json:"resolves"`
}

// Limits of the lists in a report.
const (
	TopTopicsN  = 10
	UnansweredN = 15
)

// Quiet reports a period with nothing recorded at all.
func (r Report) Quiet() bool {
	return r.Asked == 0 && r.Escalations.Total == 0 && r.Claims == 0 && r.Resolves == 0 &&
		r.Policy == 0 && r.Satisfaction.Fixed+r.Satisfaction.NotFixed == 0
}

// Report reads the figures of days (YYYY-MM-DD, as from Days) in one round
// trip per day.
func (s *Store) Report(ctx context.Context, days []string) (Report, error) {
	r := Report{Days: len(days), TimeZone: s.loc.String(),
		Escalations: Escalations{ByPriority: map[string]int64{}, ByReason: map[string]int64{}}}
	if len(days) == 0 {
		return r, nil
	}
	r.From, r.To = days[0], days[len(days)-1]
	var claim, resolve []float64
	techs := map[string]*Tech{}
	topics := map[string]*Topic{}
	unans := map[string]*Question{}

	for _, day := range days {
		p := s.rdb.Pipeline()
		counts := p.HGetAll(ctx, s.dayKey(day, famCounts))
		cl := p.ZRangeWithScores(ctx, s.dayKey(day, famClaim), 0, -1)
		rs := p.ZRangeWithScores(ctx, s.dayKey(day, famResolve), 0, -1)
		sat := p.HGetAll(ctx, s.dayKey(day, famSat))
		names := p.HGetAll(ctx, s.dayKey(day, famTech))
		tp := p.ZRangeWithScores(ctx, s.dayKey(day, famTopics), 0, -1)
		titles := p.HGetAll(ctx, s.dayKey(day, famTitles))
		uq := p.ZRangeWithScores(ctx, s.dayKey(day, famUnans), 0, -1)
		utext := p.HGetAll(ctx, s.dayKey(day, famUnansText))
		if _, err := p.Exec(ctx); err != nil && err != goredis.Nil {
			return r, fmt.Errorf("read stats for %s: %w", day, err)
		}

		c := ints(counts.Val())
		df := DayFigures{Day: day, Asked: c["asked"], Answered: c["answered"], Escalations: c["escalated"], Resolves: c["resolved"]}
		r.PerDay = append(r.PerDay, df)
		r.Asked += c["asked"]
		r.Answered += c["answered"]
		r.Solved += c["solved"]
		r.NotSure += c["not_sure"]
		r.Policy += c["policy"]
		r.Escalations.Total += c["escalated"]
		r.Claims += c["claimed"]
		r.Releases += c["released"]
		r.Resolves += c["resolved"]
		r.Reopened += c["reopened"]
		r.Cancelled += c["cancelled"]
		r.FileFailed += c["file_failed"]
		r.Satisfaction.Fixed += c["satisfaction:"+bot.VerdictFixed]
		r.Satisfaction.NotFixed += c["satisfaction:"+bot.VerdictNotFixed]
		r.UnansweredDropped += c["unanswered_dropped"]
		r.Unrecorded += c[fieldUnrecorded]
		for f, n := range c {
			if k, ok := strings.CutPrefix(f, "escalated:priority:"); ok {
				r.Escalations.ByPriority[k] += n
			}
			if k, ok := strings.CutPrefix(f, "escalated:reason:"); ok {
				r.Escalations.ByReason[k] += n
			}
		}

		for _, z := range cl.Val() {
			claim = append(claim, z.Score/1000)
		}
		for _, z := range rs.Val() {
			resolve = append(resolve, z.Score/1000)
		}

		nm := names.Val()
		for f, n := range ints(sat.Val()) {
			i := strings.LastIndexByte(f, ':')
			if i < 0 {
				continue
			}
			key, verdict := f[:i], f[i+1:]
			t := techs[key]
			if t == nil {
				platform, id, _ := strings.Cut(key, ":")
				t = &Tech{Platform: platform, ID: id}
				techs[key] = t
			}
			if name := nm[key]; name != "" {
				t.Name = name // the latest day read wins: names change
			}
			switch verdict {
			case bot.VerdictFixed:
				t.Fixed += n
			case bot.VerdictNotFixed:
				t.NotFixed += n
			}
		}

		tt := titles.Val()
		for _, z := range tp.Val() {
			path := z.Member.(string)
			t := topics[path]
			if t == nil {
				t = &Topic{Path: path}
				topics[path] = t
			}
			t.Count += int64(z.Score)
			if tt[path] != "" {
				t.Title = tt[path]
			}
		}

		ut := utext.Val()
		for _, z := range uq.Val() {
			key := z.Member.(string)
			q := unans[key]
			if q == nil {
				q = &Question{Question: ut[key]}
				if q.Question == "" {
					q.Question = key
				}
				unans[key] = q
			}
			q.Count += int64(z.Score)
		}
	}

	if r.Asked > 0 {
		r.AnsweredShare = float64(r.Answered) / float64(r.Asked)
	}
	r.TimeToClaim = summarise(claim)
	r.TimeToResolve = summarise(resolve)

	for _, t := range techs {
		r.Satisfaction.Techs = append(r.Satisfaction.Techs, *t)
	}
	slices.SortFunc(r.Satisfaction.Techs, func(a, b Tech) int {
		return cmp.Or(cmp.Compare(b.Fixed+b.NotFixed, a.Fixed+a.NotFixed), cmp.Compare(a.Display(), b.Display()), cmp.Compare(a.Platform, b.Platform))
	})
	for _, t := range topics {
		if t.Title == "" {
			t.Title = t.Path
		}
		r.TopTopics = append(r.TopTopics, *t)
	}
	slices.SortFunc(r.TopTopics, func(a, b Topic) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Title, b.Title))
	})
	if len(r.TopTopics) > TopTopicsN {
		r.TopTopics = r.TopTopics[:TopTopicsN]
	}
	for _, q := range unans {
		r.Unanswered = append(r.Unanswered, *q)
	}
	slices.SortFunc(r.Unanswered, func(a, b Question) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Question, b.Question))
	})
	if len(r.Unanswered) > UnansweredN {
		r.Unanswered = r.Unanswered[:UnansweredN]
	}
	return r, nil
}

func ints(h map[string]string) map[string]int64 {
	out := make(map[string]int64, len(h))
	for k, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			out[k] = n
		}
	}
	return out
}

// summarise computes exact order statistics: the median is the middle
// sample (the mean of the two middle ones for an even count), p90 the
// nearest-rank 90th percentile.
func summarise(samples []float64) Durations {
	d := Durations{Count: len(samples)}
	if len(samples) == 0 {
		return d
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		d.MedianSeconds = s[n/2]
	} else {
		d.MedianSeconds = (s[n/2-1] + s[n/2]) / 2
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	d.P90Seconds = s[rank-1]
	return d
}
