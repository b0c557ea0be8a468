// Package calendar reads the support hours and school calendar (holidays,
// breaks, testing windows) from YAML and answers the bot.Schedule questions.
package calendar

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/helpbot/helpbot/bot"
)

// Calendar is a district's support hours and school calendar.
type Calendar struct {
	loc     *time.Location
	hours   [7]*span // by time.Weekday; nil = closed that day
	closed  []period
	testing []period
}

var _ bot.Schedule = (*Calendar)(nil)

type span struct{ from, to time.Duration } // offsets from midnight

type period struct {
	name     string
	from, to civilDate // inclusive
}

type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

func (c civilDate) before(o civilDate) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

func (p period) covers(d civilDate) bool { return !d.before(p.from) && !p.to.before(d) }

// file is the YAML layout; see docs/CALENDAR.md.
type file struct {
	Timezone string            `yaml:"timezone"`
	Hours    map[string]string `yaml:"hours"`
	Closed   []entry           `yaml:"closed"`
	Testing  []entry           `yaml:"testing"`
}

type entry struct {
	Name string `yaml:"name"`
	Date string `yaml:"date"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
	line int
}

// Load reads a calendar file. Errors name the file and line.
func Load(path string) (*Calendar, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("support calendar: %w", err)
	}
	return Parse(data, path)
}

// Parse reads calendar YAML; name labels errors ("calendar.yaml:12: …").
func Parse(data []byte, name string) (*Calendar, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := entryLines(&root)
	for i := range f.Closed {
		f.Closed[i].line = lines["closed"][i]
	}
	for i := range f.Testing {
		f.Testing[i].line = lines["testing"][i]
	}
	c := &Calendar{loc: time.UTC}
	if f.Timezone != "" {
		loc, err := time.LoadLocation(f.Timezone)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: timezone %q is not a known zone (use a name like America/Chicago)", name, keyLine(&root, "timezone"), f.Timezone)
		}
		c.loc = loc
	}
	if len(f.Hours) == 0 {
		return nil, fmt.Errorf("%s: hours: give the help desk's hours, e.g. weekdays: \"7:00-16:30\"", name)
	}
	// Groups (weekdays, weekend) first, so a named day overrides its group
	// whatever order the file lists them in.
	names := make([]string, 0, len(f.Hours))
	for day := range f.Hours {
		names = append(names, day)
	}
	sort.Slice(names, func(i, j int) bool {
		gi, gj := len(dayNames[strings.ToLower(names[i])]) > 1, len(dayNames[strings.ToLower(names[j])]) > 1
		if gi != gj {
			return gi
		}
		return names[i] < names[j]
	})
	for _, day := range names {
		v := f.Hours[day]
		days, ok := dayNames[strings.ToLower(day)]
		if !ok {
			return nil, fmt.Errorf("%s:%d: hours: %q is not a day (monday…sunday, weekdays, weekend)", name, subkeyLine(&root, "hours", day), day)
		}
		sp, err := parseSpan(v)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: hours %s: %w", name, subkeyLine(&root, "hours", day), day, err)
		}
		for _, d := range days {
			c.hours[d] = sp
		}
	}
	var err error
	if c.closed, err = periods(f.Closed, name, "closed"); err != nil {
		return nil, err
	}
	if c.testing, err = periods(f.Testing, name, "testing"); err != nil {
		return nil, err
	}
	return c, nil
}

var dayNames = map[string][]time.Weekday{
	"sunday": {time.Sunday}, "monday": {time.Monday}, "tuesday": {time.Tuesday},
	"wednesday": {time.Wednesday}, "thursday": {time.Thursday}, "friday": {time.Friday},
	"saturday": {time.Saturday},
	"weekdays": {time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	"weekend":  {time.Saturday, time.Sunday},
}

// parseSpan reads "7:00-16:30" (or "closed").
func parseSpan(v string) (*span, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "closed" || v == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return nil, fmt.Errorf("%q: want a range like 7:00-16:30, or closed", v)
	}
	from, err1 := clock(a)
	to, err2 := clock(b)
	if err1 != nil || err2 != nil || to <= from {
		return nil, fmt.Errorf("%q: want a range like 7:00-16:30 that ends after it starts", v)
	}
	return &span{from, to}, nil
}

func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func periods(es []entry, name, key string) ([]period, error) {
	var out []period
	for _, e := range es {
		from, to := e.From, e.To
		if e.Date != "" {
			from, to = e.Date, e.Date
		}
		if to == "" {
			to = from
		}
		a, err1 := time.Parse("2006-01-02", from)
		b, err2 := time.Parse("2006-01-02", to)
		if from == "" || err1 != nil || err2 != nil || b.Before(a) {
			return nil, fmt.Errorf("%s:%d: %s: give date: YYYY-MM-DD, or from: and to: with to on or after from", name, e.line, key)
		}
		label := e.Name
		if label == "" {
			label = map[string]string{"closed": "school closed", "testing": "testing"}[key]
		}
		out = append(out, period{name: label, from: dateOf(a), to: dateOf(b)})
	}
	return out, nil
}

// Open implements bot.Schedule.
func (c *Calendar) Open(t time.Time) bool {
	t = t.In(c.loc)
	if c.Closure(t) != "" {
		return false
	}
	sp := c.hours[t.Weekday()]
	if sp == nil {
		return false
	}
	off := sinceMidnight(t)
	return off >= sp.from && off < sp.to
}

// NextOpen implements bot.Schedule: t itself when open, else the start of
// the next staffed day (looking up to a year ahead).
func (c *Calendar) NextOpen(t time.Time) time.Time {
	t = t.In(c.loc)
	if c.Open(t) {
		return t
	}
	for i := 0; i < 400; i++ {
		day := time.Date(t.Year(), t.Month(), t.Day()+i, 0, 0, 0, 0, c.loc)
		sp := c.hours[day.Weekday()]
		if sp == nil || c.Closure(day) != "" {
			continue
		}
		start := day.Add(sp.from)
		if i == 0 && sinceMidnight(t) >= sp.to {
			continue
		}
		if start.After(t) {
			return start
		}
	}
	return t
}

// Closure implements bot.Schedule.
func (c *Calendar) Closure(t time.Time) string {
	d := dateOf(t.In(c.loc))
	for _, p := range c.closed {
		if p.covers(d) {
			return p.name
		}
	}
	return ""
}

// Testing implements bot.Schedule.
func (c *Calendar) Testing(t time.Time) string {
	d := dateOf(t.In(c.loc))
	for _, p := range c.testing {
		if p.covers(d) {
			return p.name
		}
	}
	return ""
}

// Location is the calendar's time zone, for digests and reports.
func (c *Calendar) Location() *time.Location { return c.loc }

func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
}

func keyLine(root *yaml.Node, key string) int {
	if len(root.Content) == 0 {
		return 1
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 1
}

// subkeyLine is the line of key inside the mapping under top.
func subkeyLine(root *yaml.Node, top, key string) int {
	if len(root.Content) == 0 {
		return 1
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != top {
			continue
		}
		v := m.Content[i+1]
		for j := 0; j+1 < len(v.Content); j += 2 {
			if v.Content[j].Value == key {
				return v.Content[j].Line
			}
		}
		return m.Content[i].Line
	}
	return 1
}

// entryLines maps "closed"/"testing" to each list item's line number.
func entryLines(root *yaml.Node) map[string][]int {
	out := map[string][]int{}
	if len(root.Content) == 0 {
		return out
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1]
		for _, item := range v.Content {
			out[k] = append(out[k], item.Line)
		}
	}
	return out
}
