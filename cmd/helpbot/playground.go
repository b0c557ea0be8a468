package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/handlers/web"
)

// PlaygroundConfig is the local browser playground's settings.
type PlaygroundConfig struct {
	// PlaygroundAddr is where the page listens. Loopback by default: the
	// playground has no login, so anyone who can reach it can act as anyone.
	PlaygroundAddr string `envconfig:"PLAYGROUND_ADDR" default:"127.0.0.1:8090"`
	// PlaygroundAllowRemote must be true to listen on a non-loopback address.
	PlaygroundAllowRemote bool `envconfig:"PLAYGROUND_ALLOW_REMOTE"`
}

func (c PlaygroundConfig) validatePlayground() error {
	if _, _, err := net.SplitHostPort(c.PlaygroundAddr); err != nil {
		return fmt.Errorf("PLAYGROUND_ADDR %q must be host:port, for example 127.0.0.1:8090", c.PlaygroundAddr)
	}
	if !c.PlaygroundAllowRemote && !web.LoopbackAddr(c.PlaygroundAddr) {
		return fmt.Errorf("PLAYGROUND_ADDR %q is not a loopback address; the playground has no login, so set PLAYGROUND_ALLOW_REMOTE=true only on a network you trust", c.PlaygroundAddr)
	}
	return nil
}

// playground serves the browser playground: a staff chat and the techs'
// channel side by side, on the same desk, store and KB as the real bot.
func (c *cli) playground(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return exitCode(2, fmt.Errorf("playground takes no arguments (got %q)", args[0]))
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	if err := cfg.validatePlayground(); err != nil {
		return exitCode(2, err)
	}
	cfg.LogFormat = "text" // a person is watching this terminal
	log := newLogger(c.stderr, cfg)
	a, err := newApp(ctx, cfg, log, c.stderr)
	if err != nil {
		return err
	}
	defer a.close()

	pg := web.New(web.Options{Desk: a.desk, Library: a.lib, Logger: log, AllowRemote: cfg.PlaygroundAllowRemote})
	a.desk.SetNotifier(bot.PlatformWeb, pg.Notifier())
	a.techs[bot.PlatformWeb] = pg.Techs()

	ln, err := net.Listen("tcp", cfg.PlaygroundAddr)
	if err != nil {
		return exitCode(2, fmt.Errorf("PLAYGROUND_ADDR %q: %w", cfg.PlaygroundAddr, err))
	}
	a.addr = ln.Addr().String()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", a.readyz)
	// The same figures as serve: /metrics, the daily stats and digest.
	runners := a.wireOps(mux)
	mux.Handle("/", pg.Handler())
	l := lifecycle{timeout: cfg.ShutdownTimeout}
	srv := l.server(mux, 30*time.Second) // the event stream lifts the write deadline for itself
	srv.RegisterOnShutdown(pg.Close)

	// The warning comes first: the URL line is the last thing printed, so
	// whoever waits for it (a person, a script, a test) has seen everything.
	if !web.LoopbackAddr(a.addr) {
		fmt.Fprintln(c.stdout, "helpbot playground: listening beyond this computer (PLAYGROUND_ALLOW_REMOTE=true); there is no login.")
	}
	fmt.Fprintf(c.stdout, "helpbot playground: open http://%s/ in your browser (Ctrl-C to stop)\n", browserAddr(a.addr))
	log.Info("playground serving", "addr", a.addr)
	return l.run(ctx, srv, ln, runners)
}

// browserAddr is the address to type into a browser: a wildcard listen
// address is reachable as localhost.
func browserAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
