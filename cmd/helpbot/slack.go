package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/metrics"
	hbslack "github.com/helpbot/helpbot/handlers/slack"
)

// SlackConfig is the Slack edge's settings.
type SlackConfig struct {
	SlackBotToken       string   `envconfig:"SLACK_BOT_TOKEN"`
	SlackAppToken       string   `envconfig:"SLACK_APP_TOKEN"`
	SlackSigningSecret  string   `envconfig:"SLACK_SIGNING_SECRET"`
	SlackTechChannel    string   `envconfig:"SLACK_TECH_CHANNEL"`
	SlackTechUsers      []string `envconfig:"SLACK_TECH_USERS"`
	SlackTechUsergroup  string   `envconfig:"SLACK_TECH_USERGROUP"`
	SlackAPIURL         string   `envconfig:"SLACK_API_URL"`
	SlackAnswerChannels []string `envconfig:"SLACK_ANSWER_CHANNELS"`
	SlackWorkers        int      `envconfig:"SLACK_WORKERS" default:"32"`
	SlackQueue          int      `envconfig:"SLACK_QUEUE" default:"1024"`
}

// Slack ids as they appear in Slack's "Copy link" / "Copy member ID": the
// bot needs ids, not #names or @handles, which can change.
var (
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	slackUserID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	slackGroupID   = regexp.MustCompile(`^S[A-Z0-9]{2,20}$`)
)

// validateSlack fails closed: a half-configured Slack refuses to start,
// naming the variable to fix.
func (c Config) validateSlack() error {
	set := c.SlackAppToken != "" || c.SlackSigningSecret != "" || c.SlackTechChannel != "" ||
		len(c.SlackTechUsers) > 0 || c.SlackTechUsergroup != "" || len(c.SlackAnswerChannels) > 0
	switch {
	case c.SlackBotToken == "" && set:
		return errors.New("SLACK_BOT_TOKEN is required when other SLACK_* variables are set (the xoxb- token from OAuth & Permissions)")
	case c.SlackBotToken == "":
		return nil
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-") || strings.ContainsAny(c.SlackBotToken, " \t\r\n"):
		return errors.New("SLACK_BOT_TOKEN must be the Bot User OAuth Token, starting xoxb-")
	case c.SlackAppToken != "" && (!strings.HasPrefix(c.SlackAppToken, "xapp-") || strings.ContainsAny(c.SlackAppToken, " \t\r\n")):
		return errors.New("SLACK_APP_TOKEN must be an app-level token with connections:write, starting xapp-")
	case c.SlackAppToken == "" && c.SlackSigningSecret == "":
		return errors.New("SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode, recommended) nor SLACK_SIGNING_SECRET (HTTP Events API) is")
	case c.SlackSigningSecret != "" && (len(c.SlackSigningSecret) < 16 || strings.ContainsAny(c.SlackSigningSecret, " \t\r\n")):
		return errors.New("SLACK_SIGNING_SECRET does not look like a signing secret (Basic Information → App Credentials)")
	case c.SlackTechChannel == "":
		return errors.New("SLACK_TECH_CHANNEL is required: the id (C…) of the channel where escalation cards go")
	case !slackChannelID.MatchString(c.SlackTechChannel):
		return fmt.Errorf("SLACK_TECH_CHANNEL must be a channel id like C0123ABCD, not %q (channel details → copy the id at the bottom)", c.SlackTechChannel)
	case len(c.SlackTechUsers) == 0 && c.SlackTechUsergroup == "":
		return errors.New("SLACK_TECH_USERS or SLACK_TECH_USERGROUP is required: nobody could claim cases")
	case c.SlackTechUsergroup != "" && !slackGroupID.MatchString(c.SlackTechUsergroup):
		return fmt.Errorf("SLACK_TECH_USERGROUP must be a user group id like S0123ABCD, not %q", c.SlackTechUsergroup)
	case c.SlackWorkers < 1 || c.SlackWorkers > 1024:
		return fmt.Errorf("SLACK_WORKERS must be 1 to 1024, not %d", c.SlackWorkers)
	case c.SlackQueue < 1 || c.SlackQueue > 1<<20:
		return fmt.Errorf("SLACK_QUEUE must be 1 to 1048576, not %d", c.SlackQueue)
	}
	for _, u := range c.SlackTechUsers {
		if !slackUserID.MatchString(strings.TrimSpace(u)) {
			return fmt.Errorf("SLACK_TECH_USERS must list member ids like U0123ABCD, not %q (profile → ⋮ → Copy member ID)", u)
		}
	}
	for _, ch := range c.SlackAnswerChannels {
		if !slackChannelID.MatchString(strings.TrimSpace(ch)) {
			return fmt.Errorf("SLACK_ANSWER_CHANNELS must list channel ids like C0123ABCD, not %q", ch)
		}
	}
	if c.SlackAPIURL != "" {
		u, err := url.Parse(c.SlackAPIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("SLACK_API_URL must be an http(s) URL, not %q", c.SlackAPIURL)
		}
	}
	return nil
}

// mountSlack wires the Slack edge: HTTP routes on mux (Events API mode) and
// a runner (Socket Mode connection, workers).
func (a *app) mountSlack(ctx context.Context, mux *http.ServeMux) (runner, error) {
	c := a.cfg.SlackConfig
	edge, err := hbslack.New(hbslack.Config{
		BotToken:       c.SlackBotToken,
		AppToken:       c.SlackAppToken,
		SigningSecret:  c.SlackSigningSecret,
		TechChannel:    c.SlackTechChannel,
		TechUsers:      trimAll(c.SlackTechUsers),
		TechUsergroup:  c.SlackTechUsergroup,
		AnswerChannels: trimAll(c.SlackAnswerChannels),
		APIURL:         c.SlackAPIURL,
		Workers:        c.SlackWorkers,
		Queue:          c.SlackQueue,
		DrainTimeout:   a.cfg.drainBudget(),
		Metrics:        metrics.Default(),
		Logger:         a.log.With("edge", "slack"),
	}, a.desk, a.store)
	if err != nil {
		return nil, exitCode(2, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := edge.Connect(cctx); err != nil {
		if errors.Is(err, hbslack.ErrAuth) {
			return nil, exitCode(2, err)
		}
		return nil, exitCode(1, fmt.Errorf("cannot reach Slack: %w", err))
	}
	a.desk.SetNotifier(bot.PlatformSlack, edge.Notifier())
	a.techs[bot.PlatformSlack] = edge.Techs()
	if !edge.SocketMode() {
		edge.Routes(mux)
	}
	return edge.Run, nil
}

func trimAll(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
