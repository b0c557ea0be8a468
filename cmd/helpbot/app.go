package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/bot/calendar"
	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/screen"
	"github.com/helpbot/helpbot/kb"
	"github.com/helpbot/helpbot/knowledge"
)

// app is the wired program: one store, one KB, one desk, shared by every
// edge that runs in this process.
type app struct {
	cfg      Config
	log      *slog.Logger
	rdb      goredis.UniversalClient
	embedded *hbredis.Embedded
	store    *hbredis.Store
	lib      *knowledge.Library
	screener *screen.Screener
	answerer bot.Answerer
	desk     *bot.Desk
	techs    map[string]bot.Techs // by platform
	addr     string               // the HTTP listener's address once serving
	closers  []func()

	summarizer bot.Summarizer // case briefs; set by wireLLM, nil = code briefs
}

// newLogger writes structured logs to w. Message text is never logged at
// info or above anywhere in the program; ids only.
func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newApp connects Redis (or starts the embedded one), loads the KB and
// builds the desk. Edges add their notifiers and tech lists afterwards.
func newApp(ctx context.Context, cfg Config, log *slog.Logger, stderr io.Writer) (*app, error) {
	a := &app{cfg: cfg, log: log, techs: map[string]bot.Techs{}}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()

	if cfg.RedisURL == "" {
		e, err := hbredis.StartEmbedded(log)
		if err != nil {
			return nil, err
		}
		a.embedded = e
		a.closers = append(a.closers, func() { e.Close() })
		a.rdb = e.Client()
		fmt.Fprintln(stderr, "helpbot: REDIS_URL is unset: using an embedded in-memory Redis; conversations and cases are lost when helpbot exits.")
	} else {
		rdb, err := hbredis.Connect(cfg.RedisURL)
		if err != nil {
			return nil, exitCode(2, err)
		}
		a.rdb = rdb
		if err := rdb.Ping(ctx).Err(); err != nil {
			// Not fatal: the KB still answers, /readyz reports it, and the
			// client reconnects when Redis is back.
			log.Warn("redis is not answering; continuing, cases cannot be filed until it is back", "err", err)
		}
	}
	a.closers = append(a.closers, func() { a.rdb.Close() })
	a.store = hbredis.New(a.rdb, hbredis.Options{Prefix: cfg.RedisPrefix, CasePrefix: cfg.CasePrefix})

	lib, err := loadLibrary(cfg.KBDir, log)
	if err != nil {
		return nil, err
	}
	a.lib = lib
	a.closers = append(a.closers, watchKB(cfg.KBDir, lib, log))

	sc, err := screen.New(screen.Options{StudentIDPatterns: cfg.StudentIDPatterns})
	if err != nil {
		return nil, exitCode(2, fmt.Errorf("STUDENT_ID_PATTERNS: %w", err))
	}
	a.screener = sc
	a.answerer = knowledge.NewAnswerer(lib, knowledge.AnswererOptions{})
	if err := a.wireLLM(ctx); err != nil {
		return nil, err
	}

	var sched bot.Schedule
	if cfg.SupportCalendar != "" {
		cal, err := calendar.Load(cfg.SupportCalendar)
		if err != nil {
			return nil, exitCode(2, fmt.Errorf("SUPPORT_CALENDAR: %w", err))
		}
		sched = cal
	}

	desk, err := bot.New(bot.Config{
		Store:    hbredis.WithLocalRateLimit(a.store, 0), // per-user limit holds when Redis is down (bot/redis/fallback.go)
		Answerer: a.answerer,
		Screener: sc,
		Techs:    bot.TechsFunc(a.isTech),
		Logger:   log,
		Policy: bot.Policy{
			Contact:    cfg.HelpdeskContact,
			RateLimit:  cfg.RateLimit,
			RateWindow: cfg.RateWindow,
			CasePrefix: cfg.CasePrefix,
			Buildings:  cfg.Buildings,

			RemindAfter:       cfg.RemindAfter,
			RemindUrgentAfter: cfg.RemindUrgentAfter,
			IncidentReports:   cfg.IncidentReports,
			IncidentWindow:    cfg.IncidentWindow,
			IncidentOff:       cfg.IncidentReports == 0,
		},
		Schedule:   sched,
		Summarizer: a.summarizer,
	})
	if err != nil {
		return nil, err
	}
	a.desk = desk
	ok = true
	return a, nil
}

func (a *app) isTech(ctx context.Context, platform string, p bot.Person) (bool, error) {
	t := a.techs[platform]
	if t == nil {
		return false, nil
	}
	return t.IsTech(ctx, platform, p)
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// loadLibrary loads KB_DIR, or the sample KB built into the binary. Broken
// articles are reported (file and line) and skipped; an empty KB is an error.
func loadLibrary(dir string, log *slog.Logger) (*knowledge.Library, error) {
	var (
		ix       *knowledge.Index
		problems []knowledge.Problem
		where    = dir
	)
	if dir == "" {
		ix, problems = knowledge.LoadFS(kb.FS)
		where = "the built-in sample KB"
	} else {
		ix, problems = knowledge.LoadDir(dir)
	}
	for _, p := range problems {
		log.Warn("knowledge base problem; article skipped or partly loaded", "problem", p.Error())
	}
	if ix == nil || ix.Len() == 0 {
		var b strings.Builder
		for _, p := range problems {
			b.WriteString("\n  " + p.Error())
		}
		return nil, exitCode(1, fmt.Errorf("no articles could be loaded from %s%s", where, b.String()))
	}
	log.Info("knowledge base loaded", "articles", ix.Len(), "from", where, "problems", len(problems))
	return knowledge.NewLibrary(ix), nil
}

// reminders is the runner that puts unclaimed cases back in front of the
// techs and sends requests whose place question went unanswered; every
// replica runs it and the store makes each of those happen once.
func (a *app) reminders() runner {
	return func(ctx context.Context) error {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		return a.desk.RunReminders(ctx, t.C)
	}
}
