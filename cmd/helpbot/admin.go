package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/webhook"
)

const adminUsage = `usage:
  helpbot admin purge --platform P USER    delete everything helpbot keeps about USER; prints a receipt
  helpbot admin export --platform P USER   print everything helpbot keeps about USER as JSON
  helpbot admin audit [--limit N] [--json] the data-rights audit log, newest first
  helpbot admin webhook [--limit N]        ticket webhook: undelivered events and dead letters

P is slack, teams, console or web; USER is the platform's user id (Slack U…,
a Teams user's Entra object id). --actor NAME records who ran the command in
the audit log (default: $USER). Needs REDIS_URL: the embedded Redis keeps
nothing between runs.`

// admin runs the operator commands for records requests and deletion
// requests. Whoever can run the binary with REDIS_URL already holds the
// data, so no further check is made; every action is audited.
func (c *cli) admin(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(c.stdout, adminUsage)
		if len(args) == 0 {
			return exitCode(2, errors.New("admin needs a command"))
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("helpbot admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	platform := fs.String("platform", "", "")
	actor := fs.String("actor", "", "")
	limit := fs.Int("limit", 50, "")
	asJSON := fs.Bool("json", false, "")
	// Flags may come before or after USER.
	var pos []string
	for {
		if err := fs.Parse(rest); err != nil {
			return exitCode(2, fmt.Errorf("admin %s: %v\n\n%s", cmd, err, adminUsage))
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}

	switch cmd {
	case "purge", "export":
		if len(pos) != 1 || *platform == "" {
			return exitCode(2, fmt.Errorf("usage: helpbot admin %s --platform P USER\n\n%s", cmd, adminUsage))
		}
		switch *platform {
		case bot.PlatformSlack, bot.PlatformTeams, bot.PlatformConsole, bot.PlatformWeb:
		default:
			return exitCode(2, fmt.Errorf("--platform must be slack, teams, console or web, not %q", *platform))
		}
	case "audit", "webhook":
		if len(pos) != 0 {
			return exitCode(2, fmt.Errorf("admin %s takes no arguments (got %q)", cmd, pos[0]))
		}
	default:
		return exitCode(2, fmt.Errorf("unknown admin command %q\n\n%s", cmd, adminUsage))
	}

	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return exitCode(2, errors.New("helpbot admin needs REDIS_URL: the embedded Redis keeps nothing between runs, so there is nothing to purge or export"))
	}
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn"
	}
	cfg.LogFormat = "text"
	a, err := newApp(ctx, cfg, newLogger(c.stderr, cfg), c.stderr)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.store.Ping(ctx); err != nil {
		return fmt.Errorf("redis is not answering: %w", err)
	}
	// A purge tells the ticket system that open cases were cancelled (the
	// serving replicas deliver from the shared outbox) and drops the
	// person's undelivered events.
	outbox := a.webhookOutbox()

	who := *actor
	if who == "" {
		who = c.getenv("USER")
	}
	if who == "" {
		who = "admin"
	}
	who = "cli:" + who

	switch cmd {
	case "purge":
		return c.adminPurge(ctx, a, who, *platform, pos[0])
	case "export":
		return c.adminExport(ctx, a, who, *platform, pos[0])
	case "audit":
		return c.adminAudit(ctx, a, *limit, *asJSON)
	default:
		return c.adminWebhook(ctx, outbox, *limit)
	}
}

func (c *cli) adminPurge(ctx context.Context, a *app, actor, platform, user string) error {
	rec, err := a.desk.PurgeUser(ctx, actor, platform, user)
	if err != nil {
		return fmt.Errorf("purge %s:%s: %w", platform, user, err)
	}
	fmt.Fprintf(c.stdout, "Purged %s:%s. %s\n", platform, user, rec.Text())
	n := rec.Counts
	fmt.Fprintf(c.stdout, "Also removed: %d other keys (indexes, rate limit, conversation reference, delivery markers); %d records dropped by observers (undelivered ticket events, per-tech figures).\n",
		n.OtherKeys, n.Dropped)
	if len(rec.Cancelled) > 0 {
		fmt.Fprintf(c.stdout, "Note: the techs' cards for %s were not redrawn from the command line; they show the case as it was until someone acts on it (the case itself is gone). Use the chat command \"purge USER\" to have cards updated.\n",
			strings.Join(rec.Cancelled, ", "))
	}
	fmt.Fprintln(c.stdout, "An audit entry records this purge (ids and counts only). Delete the person's copies in your ticket system too, if you use the ticket webhook.")
	return nil
}

func (c *cli) adminExport(ctx context.Context, a *app, actor, platform, user string) error {
	data, err := a.desk.ExportUser(ctx, actor, platform, user)
	if err != nil {
		return fmt.Errorf("export %s:%s: %w", platform, user, err)
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(data); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Exported %s:%s at %s: %d conversations, %d cases requested, %d cases claimed, %d other records. An audit entry records this export.\n",
		platform, user, data.ExportedAt.Format("15:04 on 2 Jan 2006"), len(data.Sessions), len(data.Requested), len(data.Claimed), len(data.Other))
	return nil
}

func (c *cli) adminAudit(ctx context.Context, a *app, limit int, asJSON bool) error {
	log, err := a.desk.AuditLog(ctx, limit)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		for _, e := range log {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(log) == 0 {
		fmt.Fprintln(c.stdout, "The audit log is empty.")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tACTOR\tTARGET\tRESULT\tCOUNTS")
	for _, e := range log {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%s\t%s\t%s\n", e.At.Format("2006-01-02 15:04:05 MST"), e.Action, e.Actor, e.Platform, e.Target, e.Result, countsText(e.Counts))
	}
	return tw.Flush()
}

func countsText(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func (c *cli) adminWebhook(ctx context.Context, ob *webhook.Outbox, limit int) error {
	if ob == nil {
		fmt.Fprintln(c.stdout, "The ticket webhook is off (TICKET_WEBHOOK_URL is unset).")
		return nil
	}
	n, err := ob.Pending(ctx)
	if err != nil {
		return fmt.Errorf("webhook outbox: %w", err)
	}
	dead, err := ob.DeadLetters(ctx, limit)
	if err != nil {
		return fmt.Errorf("webhook dead letters: %w", err)
	}
	fmt.Fprintf(c.stdout, "Undelivered events: %d\nDead letters (newest first): %d\n", n, len(dead))
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, d := range dead {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tstatus %d\t%d attempts\t%s\n", d.At.Format("2006-01-02 15:04:05 MST"), d.Case, d.Event, d.ID, d.Status, d.Attempts, d.Reason)
	}
	return tw.Flush()
}
