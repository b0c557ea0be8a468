package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// probeTimeout bounds one probe: /readyz itself waits at most 2 s for Redis.
const probeTimeout = 4 * time.Second

// probe is a health check for the container image, which has no shell or
// curl to run one: GET the URL (by default this helpbot's /readyz on
// loopback, at HTTP_ADDR's port) and exit 0 on a 2xx answer, 1 on anything
// else (another status, a redirect, no answer), 2 on bad usage.
func (c *cli) probe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	target := fs.String("url", probeURL(c.getenv("HTTP_ADDR")), "the URL to GET")
	if err := fs.Parse(args); err != nil {
		return exitCode(2, err)
	}
	if fs.NArg() > 0 {
		return exitCode(2, fmt.Errorf("probe takes flags only (got %q); usage: helpbot probe [--url URL]", fs.Arg(0)))
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return exitCode(2, fmt.Errorf("probe: --url must be an http(s) URL, not %q", *target))
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return exitCode(2, fmt.Errorf("probe: %w", err))
	}
	client := &http.Client{
		// Straight to the address: no proxy from the environment, no
		// redirects (a 3xx is not healthy), no connection kept.
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		return exitCode(1, fmt.Errorf("probe %s: %w", u, err))
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return exitCode(1, fmt.Errorf("probe %s: %s", u, resp.Status))
	}
	fmt.Fprintf(c.stdout, "%s: %s\n", u, resp.Status)
	return nil
}

// probeURL is /readyz at HTTP_ADDR, reached over loopback when helpbot
// listens on every interface (":8080", the image's default).
func probeURL(httpAddr string) string {
	host, port := "127.0.0.1", "8080"
	if h, p, err := net.SplitHostPort(httpAddr); err == nil {
		if p != "" && p != "0" {
			port = p
		}
		if ip := net.ParseIP(h); h != "" && (ip == nil || !ip.IsUnspecified()) {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}
