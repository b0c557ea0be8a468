package calendar

import (
	"strings"
	"testing"
	"time"
)

func load(t *testing.T) *Calendar {
	t.Helper()
	c, err := Load("testdata/calendar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCalendar(t *testing.T) {
	c := load(t)
	chi, _ := time.LoadLocation("America/Chicago")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, chi) }
	tests := []struct {
		name    string
		t       time.Time
		open    bool
		next    time.Time
		closure string
		testing string
	}{
		{"Monday morning", at(2026, 11, 23, 9, 0), true, at(2026, 11, 23, 9, 0), "", ""},
		{"before opening", at(2026, 11, 23, 6, 30), false, at(2026, 11, 23, 7, 0), "", ""},
		{"after closing", at(2026, 11, 23, 17, 0), false, at(2026, 11, 24, 7, 0), "", ""},
		{"Friday's own hours", at(2026, 12, 4, 15, 30), false, at(2026, 12, 7, 7, 0), "", ""},
		{"Tuesday evening before Thanksgiving", at(2026, 11, 24, 18, 0), false, at(2026, 11, 30, 7, 0), "", ""},
		{"Thanksgiving", at(2026, 11, 26, 10, 0), false, at(2026, 11, 30, 7, 0), "Thanksgiving break", ""},
		{"winter break spans new year", at(2027, 1, 1, 10, 0), false, at(2027, 1, 4, 7, 0), "Winter break", ""},
		{"single-day closure", at(2027, 2, 15, 10, 0), false, at(2027, 2, 16, 7, 0), "Teacher workday", ""},
		{"testing day", at(2027, 4, 13, 8, 0), true, at(2027, 4, 13, 8, 0), "", "State testing"},
		{"Saturday", at(2027, 4, 17, 10, 0), false, at(2027, 4, 19, 7, 0), "", ""},
		{"UTC input is read in the district's zone", time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC), false, at(2026, 11, 24, 7, 0), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Open(tt.t); got != tt.open {
				t.Errorf("Open(%v) = %v; want %v", tt.t, got, tt.open)
			}
			if got := c.NextOpen(tt.t); !got.Equal(tt.next) {
				t.Errorf("NextOpen(%v) = %v; want %v", tt.t, got, tt.next)
			}
			if got := c.Closure(tt.t); got != tt.closure {
				t.Errorf("Closure(%v) = %q; want %q", tt.t, got, tt.closure)
			}
			if got := c.Testing(tt.t); got != tt.testing {
				t.Errorf("Testing(%v) = %q; want %q", tt.t, got, tt.testing)
			}
		})
	}
}

func TestBadCalendars(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"timezone: Mars/Olympus\nhours:\n  weekdays: 7:00-16:00\n", "x.yaml:1: timezone"},
		{"hours:\n  funday: 7:00-16:00\n", "funday"},
		{"hours:\n  monday: 16:00-7:00\n", "ends after it starts"},
		{"hours:\n  monday: 7:00-16:00\nclosed:\n  - name: Break\n    from: 2026-13-01\n", "x.yaml:4: closed"},
		{"hours:\n  monday: 7:00-16:00\nholidays: []\n", "holidays"},
		{"timezone: UTC\n", "hours"},
		{"hours: [", "x.yaml"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", tt.yaml, err, tt.want)
		}
	}
}
