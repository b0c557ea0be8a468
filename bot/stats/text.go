package stats

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/helpbot/helpbot/bot"
)

// Digest renders one day's report as the post for the techs' channel:
// plain text (edges escape it), a few lines, most useful first. open is the
// queue right now (nil leaves that line out).
func (r Report) Digest(day time.Time, open []bot.Escalation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📊 Help desk today · %s\n", day.Format("Monday 2 January 2006"))
	fmt.Fprintf(&b, "Questions: %d · answered by the bot: %d (%s) · said fixed: %d · not in the KB: %d\n",
		r.Asked, r.Answered, percent(r.AnsweredShare, r.Asked), r.Solved, r.NotSure)
	fmt.Fprintf(&b, "Cases: %d filed%s · %d claimed · %d resolved", r.Escalations.Total, urgentNote(r), r.Claims, r.Resolves)
	if r.FileFailed > 0 {
		fmt.Fprintf(&b, " · ⚠️ %d could not be filed", r.FileFailed)
	}
	b.WriteString("\n")
	if r.TimeToClaim.Count > 0 || r.TimeToResolve.Count > 0 {
		fmt.Fprintf(&b, "Time to claim: %s · time to resolve: %s\n", medianText(r.TimeToClaim), medianText(r.TimeToResolve))
	}
	if sat := r.Satisfaction.Fixed + r.Satisfaction.NotFixed; sat > 0 {
		fmt.Fprintf(&b, "Requesters said fixed: %d of %d", r.Satisfaction.Fixed, sat)
		var per []string
		for _, t := range r.Satisfaction.Techs {
			per = append(per, fmt.Sprintf("%s %d/%d", t.Display(), t.Fixed, t.Fixed+t.NotFixed))
		}
		if len(per) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(per, ", "))
		}
		b.WriteString("\n")
	}
	if open != nil {
		b.WriteString(openLine(open, day) + "\n")
	}
	if len(r.TopTopics) > 0 {
		var t []string
		for _, tp := range r.TopTopics[:min(3, len(r.TopTopics))] {
			t = append(t, fmt.Sprintf("%s (%d)", tp.Title, tp.Count))
		}
		fmt.Fprintf(&b, "Top topics: %s\n", strings.Join(t, " · "))
	}
	if len(r.Unanswered) > 0 {
		b.WriteString("Not in the KB yet (write these next):\n")
		for _, q := range r.Unanswered[:min(5, len(r.Unanswered))] {
			fmt.Fprintf(&b, "• %s (%d)\n", q.Question, q.Count)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func urgentNote(r Report) string {
	if n := r.Escalations.ByPriority[string(bot.PriorityUrgent)]; n > 0 {
		return fmt.Sprintf(" (%d urgent)", n)
	}
	return ""
}

func openLine(open []bot.Escalation, now time.Time) string {
	if len(open) == 0 {
		return "Open now: none 🎉"
	}
	urgent, waiting := 0, 0
	var oldest time.Time
	for _, e := range open {
		if e.Priority == bot.PriorityUrgent {
			urgent++
		}
		if e.Status == bot.StatusOpen {
			waiting++
			if oldest.IsZero() || e.CreatedAt.Before(oldest) {
				oldest = e.CreatedAt
			}
		}
	}
	s := fmt.Sprintf("Open now: %d", len(open))
	var notes []string
	if urgent > 0 {
		notes = append(notes, fmt.Sprintf("%d urgent", urgent))
	}
	if waiting > 0 {
		notes = append(notes, fmt.Sprintf("%d unclaimed, oldest waiting %s", waiting, Duration(now.Sub(oldest).Seconds())))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

func medianText(d Durations) string {
	if d.Count == 0 {
		return "n/a"
	}
	return fmt.Sprintf("median %s", Duration(d.MedianSeconds))
}

func percent(share float64, of int64) string {
	if of == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", math.Round(share*100))
}

// Duration renders seconds the way people say them: "40 s", "4 min",
// "1 h 5 min", "3 days".
func Duration(sec float64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%.0f s", math.Max(0, math.Round(sec)))
	case sec < 48*3600:
		m := int(math.Round(sec / 60))
		if m < 60 {
			return fmt.Sprintf("%d min", m)
		}
		if m%60 == 0 {
			return fmt.Sprintf("%d h", m/60)
		}
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	return fmt.Sprintf("%.0f days", math.Floor(sec/86400))
}

// Table renders the report for a terminal (`helpbot report`).
func (r Report) Table() string {
	var b strings.Builder
	period := r.From
	if r.To != r.From {
		period += " to " + r.To
	}
	unit := "days"
	if r.Days == 1 {
		unit = "day"
	}
	fmt.Fprintf(&b, "helpbot report · %s (%d %s, %s)\n\n", period, r.Days, unit, r.TimeZone)

	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	row := func(label string, cols ...any) {
		fmt.Fprint(w, label)
		for _, c := range cols {
			fmt.Fprintf(w, "\t%v", c)
		}
		fmt.Fprintln(w)
	}
	row("Questions asked", r.Asked)
	row("Answered by the bot", r.Answered, percent(r.AnsweredShare, r.Asked)+" of questions")
	row("  said fixed by the requester", r.Solved)
	row("Not sure (not in the KB)", r.NotSure)
	row("Policy refusals", r.Policy)
	row("Cases filed", r.Escalations.Total, joinCounts(r.Escalations.ByPriority))
	if len(r.Escalations.ByReason) > 0 {
		row("  by reason", "", joinCounts(r.Escalations.ByReason))
	}
	if r.FileFailed > 0 {
		row("Cases that could not be filed", r.FileFailed)
	}
	row("Claimed", r.Claims, fmt.Sprintf("released %d", r.Releases))
	row("Resolved", r.Resolves, fmt.Sprintf("reopened %d · cancelled %d", r.Reopened, r.Cancelled))
	row("Median time to claim", durCell(r.TimeToClaim), durNote(r.TimeToClaim))
	row("Median time to resolve", durCell(r.TimeToResolve), durNote(r.TimeToResolve))
	sat := r.Satisfaction.Fixed + r.Satisfaction.NotFixed
	row("Satisfaction: fixed / not fixed", fmt.Sprintf("%d / %d", r.Satisfaction.Fixed, r.Satisfaction.NotFixed),
		percent(safeDiv(r.Satisfaction.Fixed, sat), sat)+" fixed")
	w.Flush()

	if len(r.Satisfaction.Techs) > 0 {
		b.WriteString("\nPer tech (requesters' answers to \"is it fixed?\")\n")
		width := len("tech")
		for _, t := range r.Satisfaction.Techs {
			width = max(width, utf8.RuneCountInString(t.Display()))
		}
		fmt.Fprintf(&b, "  %-*s  %5s  %9s\n", width, "tech", "fixed", "not fixed")
		for _, t := range r.Satisfaction.Techs {
			name := t.Display()
			fmt.Fprintf(&b, "  %s%s  %5d  %9d\n", name, strings.Repeat(" ", width-utf8.RuneCountInString(name)), t.Fixed, t.NotFixed)
		}
	}
	if len(r.TopTopics) > 0 {
		b.WriteString("\nTop topics (answers given from each article)\n")
		w = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, t := range r.TopTopics {
			fmt.Fprintf(w, "  %d\t%s\t%s\n", t.Count, t.Title, t.Path)
		}
		w.Flush()
	}
	b.WriteString("\nNot in the KB: write these next (times asked)\n")
	if len(r.Unanswered) == 0 {
		b.WriteString("  none recorded\n")
	}
	for _, q := range r.Unanswered {
		fmt.Fprintf(&b, "  %d  %s\n", q.Count, q.Question)
	}
	if r.UnansweredDropped > 0 {
		fmt.Fprintf(&b, "  (%d more not kept: the daily list holds %d distinct questions)\n", r.UnansweredDropped, MaxUnanswered)
	}
	if r.Unrecorded > 0 {
		fmt.Fprintf(&b, "\n%d desk events were not recorded (Redis failing or the recorder's queue full): the figures above are short.\n", r.Unrecorded)
	}
	if len(r.PerDay) > 1 {
		b.WriteString("\nPer day\n")
		w = tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "  day\tasked\tanswered\tcases\tresolved\t")
		for _, d := range r.PerDay {
			fmt.Fprintf(w, "  %s\t%d\t%d\t%d\t%d\t\n", d.Day, d.Asked, d.Answered, d.Escalations, d.Resolves)
		}
		w.Flush()
	}
	return b.String()
}

func safeDiv(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func durCell(d Durations) string {
	if d.Count == 0 {
		return "n/a"
	}
	return Duration(d.MedianSeconds)
}

func durNote(d Durations) string {
	if d.Count == 0 {
		return "no cases"
	}
	unit := "cases"
	if d.Count == 1 {
		unit = "case"
	}
	return fmt.Sprintf("%d %s; 90%% within %s", d.Count, unit, Duration(d.P90Seconds))
}

func joinCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, " · ")
}
