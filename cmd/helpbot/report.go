package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	hbredis "github.com/helpbot/helpbot/bot/redis"
	"github.com/helpbot/helpbot/bot/stats"
)

// report prints the desk's figures over the last N days (today included)
// from Redis: a table, or JSON with --json.
func (c *cli) report(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	fl.SetOutput(c.stderr)
	days := fl.Int("days", 7, "number of days, ending today (1 to 400)")
	asJSON := fl.Bool("json", false, "print JSON instead of a table")
	fl.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: helpbot report [--days N] [--json]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(2, err)
	}
	if fl.NArg() > 0 {
		return exitCode(2, fmt.Errorf("report takes no arguments (got %q); usage: helpbot report [--days N] [--json]", fl.Arg(0)))
	}
	maxDays := int(stats.TTL / (24 * time.Hour))
	if *days < 1 || *days > maxDays {
		return exitCode(2, fmt.Errorf("--days must be 1 to %d (figures are kept %d days), not %d", maxDays, maxDays, *days))
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return exitCode(1, errors.New("report needs REDIS_URL: the figures live in the Redis the bot uses, "+
			"and without REDIS_URL there is only an embedded Redis that keeps no history between runs. "+
			"Set REDIS_URL (and REDIS_PREFIX, if you changed it) to what the running bot uses"))
	}
	loc, err := cfg.opsLocation()
	if err != nil {
		return exitCode(2, err)
	}
	rdb, err := hbredis.Connect(cfg.RedisURL)
	if err != nil {
		return exitCode(2, err)
	}
	defer rdb.Close()

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st := stats.New(rdb, cfg.RedisPrefix, loc)
	r, err := st.Report(ctx, st.Days(time.Now(), *days))
	if err != nil {
		return exitCode(1, fmt.Errorf("read the figures from Redis: %w", err))
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprint(c.stdout, r.Table())
	if r.Quiet() {
		fmt.Fprintf(c.stderr, "helpbot: nothing was recorded from %s to %s under the key prefix %q; "+
			"check that REDIS_URL and REDIS_PREFIX match the running bot.\n", r.From, r.To, cfg.RedisPrefix)
	}
	return nil
}
