package main

import (
	"context"
	"fmt"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/console"
)

// chat runs a terminal conversation on the same desk, store and KB the
// real bot uses. Logs go to stderr at warn level so the chat stays readable.
func (c *cli) chat(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return exitCode(2, fmt.Errorf("chat takes no arguments (got %q)", args[0]))
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn"
	}
	cfg.LogFormat = "text"
	log := newLogger(c.stderr, cfg)
	a, err := newApp(ctx, cfg, log, c.stderr)
	if err != nil {
		return err
	}
	defer a.close()

	interactive := c.interactive()
	ch := console.New(c.stdin, console.NewOutput(c.stdout), console.Options{Echo: !interactive, Prompt: interactive})
	a.techs[bot.PlatformConsole] = ch.Techs()
	a.desk.SetNotifier(bot.PlatformConsole, ch.Notifier())
	ch.Attach(a.desk)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go a.reminders()(ctx)
	defer background(ctx, a.webhookRunners(ctx))() // ticketing webhook (webhook.go)
	return ch.Run(ctx)
}
