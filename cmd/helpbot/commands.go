package main

import (
	"context"
	"fmt"
	"os"
	"strings"
)

const usage = `helpbot: IT help desk bot for Slack and Microsoft Teams

usage:
  helpbot [serve]                 run the bot (Slack/Teams from the environment);
                                  with no platform configured, the playground
  helpbot playground              try the bot in a browser: staff chat and techs' channel
  helpbot chat                    chat with the bot in this terminal (staff and techs)
  helpbot admin purge|export|audit|webhook …  data rights and the ticket webhook (helpbot admin help)
  helpbot kb check DIR            check a knowledge base folder; exit 1 on problems
  helpbot kb search [--kb DIR] Q  show how the bot would search for Q
  helpbot eval --kb DIR [--json] QUESTIONS.jsonl...
                                  measure retrieval on labelled questions
  helpbot report [--days N] [--json]
                                  the desk's figures over the last N days (default 7; needs REDIS_URL)
  helpbot teams-package [-o FILE] write the Teams app zip (manifest + icons) to upload
  helpbot probe [--url URL]       health check for the container: GET URL (default
                                  http://127.0.0.1:8080/readyz, at HTTP_ADDR's port);
                                  exit 0 on 2xx, 1 otherwise

Configuration is read from the environment; see README.md.`

// run dispatches the subcommand.
func (c *cli) run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		args = args[1:]
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return c.serve(ctx, args)
	case "chat":
		return c.chat(ctx, args)
	case "playground":
		return c.playground(ctx, args)
	case "kb":
		return c.kbCommand(ctx, args)
	case "admin":
		return c.admin(ctx, args)
	case "eval":
		return c.evalCommand(ctx, args)
	case "report":
		return c.report(ctx, args)
	case "teams-package":
		return c.teamsPackage(ctx, args)
	case "probe":
		return c.probe(ctx, args)
	case "help", "-h", "--help":
		fmt.Fprintln(c.stdout, usage)
		return nil
	}
	return exitCode(2, fmt.Errorf("unknown command %q\n\n%s", cmd, usage))
}

// interactive reports whether stdin is a terminal (prompts on) rather than
// a pipe (echo input so the transcript reads like a conversation).
func (c *cli) interactive() bool {
	f, ok := c.stdin.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
