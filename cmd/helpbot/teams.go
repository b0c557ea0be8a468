package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/helpbot/helpbot/bot"
	teamsapp "github.com/helpbot/helpbot/deploy/teams"
	"github.com/helpbot/helpbot/handlers/metrics"
	"github.com/helpbot/helpbot/handlers/teams"
)

// TeamsConfig is the Teams edge's settings.
type TeamsConfig struct {
	TeamsAppID             string   `envconfig:"TEAMS_APP_ID"`
	TeamsAppPassword       string   `envconfig:"TEAMS_APP_PASSWORD"`
	TeamsTenantID          string   `envconfig:"TEAMS_TENANT_ID"`
	TeamsAppType           string   `envconfig:"TEAMS_APP_TYPE" default:"SingleTenant"`
	TeamsTechUsers         []string `envconfig:"TEAMS_TECH_USERS"`
	TeamsOpenIDMetadataURL string   `envconfig:"TEAMS_OPENID_METADATA_URL"`
	TeamsTokenURL          string   `envconfig:"TEAMS_TOKEN_URL"`
	TeamsServiceURLHosts   []string `envconfig:"TEAMS_SERVICE_URL_HOSTS"`
	TeamsWorkers           int      `envconfig:"TEAMS_WORKERS" default:"8"`
	TeamsQueue             int      `envconfig:"TEAMS_QUEUE" default:"64"`
}

// validateTeams fails closed: any Teams setting without a complete identity
// (app id, password, tenant for single-tenant bots) and a tech list refuses
// to start, naming the variable.
func (c Config) validateTeams() error {
	t := c.TeamsConfig
	set := t.TeamsAppID != "" || t.TeamsAppPassword != "" || t.TeamsTenantID != "" || len(t.TeamsTechUsers) > 0 ||
		t.TeamsOpenIDMetadataURL != "" || t.TeamsTokenURL != "" || len(t.TeamsServiceURLHosts) > 0
	if !set {
		return nil
	}
	switch {
	case strings.TrimSpace(t.TeamsAppID) == "":
		return errors.New("TEAMS_APP_ID is required when other TEAMS_ settings are set (the Azure Bot's Microsoft App ID)")
	case !teams.IsGUID(t.TeamsAppID):
		return fmt.Errorf("TEAMS_APP_ID must be the bot's Microsoft App ID (a GUID), not %q", t.TeamsAppID)
	case t.TeamsAppPassword == "":
		return errors.New("TEAMS_APP_PASSWORD is required with TEAMS_APP_ID (the app's client secret)")
	case t.TeamsAppType != teams.AppSingleTenant && t.TeamsAppType != teams.AppMultiTenant:
		return fmt.Errorf("TEAMS_APP_TYPE must be %s or %s, not %q", teams.AppSingleTenant, teams.AppMultiTenant, t.TeamsAppType)
	case t.TeamsAppType == teams.AppSingleTenant && strings.TrimSpace(t.TeamsTenantID) == "":
		return errors.New("TEAMS_TENANT_ID is required for a SingleTenant bot (your Microsoft Entra tenant id)")
	case strings.ContainsAny(t.TeamsTenantID, "/?#% "):
		return fmt.Errorf("TEAMS_TENANT_ID %q is not a tenant id or domain", t.TeamsTenantID)
	case len(t.TeamsTechUsers) == 0:
		return errors.New("TEAMS_TECH_USERS is required: the Entra object ids of the techs who may claim cases")
	case t.TeamsWorkers < 1 || t.TeamsWorkers > 1024:
		return fmt.Errorf("TEAMS_WORKERS must be 1 to 1024, not %d", t.TeamsWorkers)
	case t.TeamsQueue < t.TeamsWorkers || t.TeamsQueue > 1<<20:
		return fmt.Errorf("TEAMS_QUEUE must be at least TEAMS_WORKERS (%d) and at most 1048576, not %d: each worker keeps its own share of the queue", t.TeamsWorkers, t.TeamsQueue)
	}
	for _, id := range t.TeamsTechUsers {
		if !teams.IsGUID(strings.TrimSpace(id)) {
			return fmt.Errorf("TEAMS_TECH_USERS: %q is not an Entra object id (a GUID; find it in Entra ID › Users › the person › Object ID)", id)
		}
	}
	for name, u := range map[string]string{"TEAMS_OPENID_METADATA_URL": t.TeamsOpenIDMetadataURL, "TEAMS_TOKEN_URL": t.TeamsTokenURL} {
		if u != "" {
			if err := checkEndpoint(u); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	for _, h := range t.TeamsServiceURLHosts {
		h = strings.TrimSpace(h)
		if h == "" || strings.ContainsAny(h, "/:@?# ") || strings.Count(h, "*") > 1 || (strings.Contains(h, "*") && !strings.HasPrefix(h, "*.")) {
			return fmt.Errorf("TEAMS_SERVICE_URL_HOSTS: %q must be a host name like smba.example.com or *.example.com (no scheme, port or path)", h)
		}
	}
	return nil
}

// checkEndpoint accepts https URLs, and http only on loopback (tests): the
// token URL carries the app's secret.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%q must be https (http only on loopback)", raw)
}

// mountTeams wires the Teams edge: POST /api/messages on mux and a runner
// (reply workers).
func (a *app) mountTeams(ctx context.Context, mux *http.ServeMux) (runner, error) {
	c := a.cfg.TeamsConfig
	edge, err := teams.New(teams.Config{
		AppID:             c.TeamsAppID,
		AppPassword:       c.TeamsAppPassword,
		TenantID:          c.TeamsTenantID,
		AppType:           c.TeamsAppType,
		TechUsers:         c.TeamsTechUsers,
		OpenIDMetadataURL: c.TeamsOpenIDMetadataURL,
		TokenURL:          c.TeamsTokenURL,
		ServiceURLHosts:   c.TeamsServiceURLHosts,
		Desk:              a.desk,
		Limiter:           a.store,
		Redis:             a.store.Client(),
		Prefix:            a.store.Prefix(),
		Workers:           c.TeamsWorkers,
		QueueLen:          c.TeamsQueue,
		DrainTimeout:      a.cfg.drainBudget(),
		Metrics:           metrics.Default(),
		Logger:            a.log.With("edge", "teams"),
	})
	if err != nil {
		return nil, exitCode(2, err)
	}
	a.desk.SetNotifier(bot.PlatformTeams, edge.Notifier())
	a.techs[bot.PlatformTeams] = edge.Techs()
	mux.Handle("POST /api/messages", edge)
	return edge.Run, nil
}

// teamsPackage writes the Teams app package (manifest + icons) to upload
// in Teams or the Teams admin center.
func (c *cli) teamsPackage(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("teams-package", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	p := teams.AppPackage{}
	out := fs.String("o", "helpbot-teams.zip", "where to write the zip")
	fs.StringVar(&p.AppID, "app-id", c.getenv("TEAMS_APP_ID"), "the Azure Bot's Microsoft App ID (default $TEAMS_APP_ID)")
	fs.StringVar(&p.Name, "name", "IT Help", "app name shown in Teams (up to 30 characters)")
	fs.StringVar(&p.Version, "version", "1.0.0", "app version; raise it for each upload of a changed package")
	fs.StringVar(&p.Developer, "developer", "District IT", "who publishes the app")
	fs.StringVar(&p.WebsiteURL, "website", "https://github.com/helpbot/helpbot", "https URL about the app")
	fs.StringVar(&p.PrivacyURL, "privacy", "https://github.com/helpbot/helpbot/blob/main/docs/DATA.md", "https URL of the privacy statement")
	fs.StringVar(&p.TermsURL, "terms", "https://github.com/helpbot/helpbot/blob/main/LICENSE", "https URL of the terms of use")
	fs.StringVar(&p.AccentColor, "color", "#2E5AAC", "accent colour of the icon (#RRGGBB)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2, err)
	}
	if fs.NArg() > 0 {
		return exitCode(2, fmt.Errorf("teams-package takes flags only (got %q)", fs.Arg(0)))
	}
	if p.AppID == "" {
		return exitCode(2, errors.New("teams-package needs the bot's app id: set TEAMS_APP_ID or pass -app-id"))
	}
	var w io.Writer = c.stdout
	var f *os.File
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			return exitCode(1, fmt.Errorf("teams-package: %w", err))
		}
		w = f
	}
	if err := teams.WritePackage(w, teamsapp.Manifest, p); err != nil {
		if f != nil {
			f.Close()
			os.Remove(*out)
		}
		return exitCode(2, fmt.Errorf("teams-package: %w", err))
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return exitCode(1, fmt.Errorf("teams-package: %w", err))
		}
		fmt.Fprintf(c.stderr, "wrote %s: upload it in Teams (Apps › Manage your apps › Upload an app) or the Teams admin center.\n", *out)
	}
	return nil
}
