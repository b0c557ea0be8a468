// Package web is the browser playground edge: one local page showing a staff
// member's chat with the bot and the techs' channel, live, on the real Desk.
package web

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/helpbot/helpbot/bot"
	"github.com/helpbot/helpbot/knowledge"
)

//go:embed static
var staticFiles embed.FS

// Person is someone you can be in the playground. The page has no login, so
// the identities are fixed: two staff members and two techs.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"` // "staff" or "tech"
	Job  string `json:"job"`  // shown under the name in the switch
}

// People are the playground's identities. Fixed ids keep a reload, a second
// tab and the tests talking about the same people.
var People = []Person{
	{ID: "pat.rivera", Name: "Pat Rivera", Role: roleStaff, Job: "3rd grade teacher"},
	{ID: "sam.lee", Name: "Sam Lee", Role: roleStaff, Job: "Front office"},
	{ID: "alex.chen", Name: "Alex Chen", Role: roleTech, Job: "District technician"},
	{ID: "jamie.ortiz", Name: "Jamie Ortiz", Role: roleTech, Job: "Campus technician"},
}

const (
	roleStaff = "staff"
	roleTech  = "tech"

	// techChannel is the conversation tech button presses happen in.
	techChannel = "tech-help"
)

func person(id string) (Person, bool) {
	for _, p := range People {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

func (p Person) bot() bot.Person { return bot.Person{ID: p.ID, Name: p.Name} }

// conversation is the staff member's DM with the bot, or the techs' channel.
func (p Person) conversation() string {
	if p.Role == roleTech {
		return techChannel
	}
	return "dm-" + p.ID
}

// Options configure a Playground.
type Options struct {
	Desk    *bot.Desk
	Library *knowledge.Library // the KB panel searches what the bot serves
	Logger  *slog.Logger
	// AllowRemote turns off the check that requests name a loopback host.
	// The page has no login; the check also stops DNS-rebinding pages from
	// driving it through someone's browser.
	AllowRemote bool
	// Threshold is the confidence the bot needs to answer (the KB panel's
	// verdict); 0 means knowledge.DefaultThreshold.
	Threshold float64
}

// Playground serves the page, its JSON API and the live event stream, and
// is the web platform's Notifier and Techs.
type Playground struct {
	desk        *bot.Desk
	lib         *knowledge.Library
	log         *slog.Logger
	allowRemote bool
	threshold   float64
	static      http.Handler
	keepAlive   time.Duration

	mu     sync.Mutex
	nextID int64
	chats  map[string][]Entry // by staff id, oldest first
	board  []Card             // the techs' channel, oldest first
	subs   map[*subscriber]struct{}
	closed bool
	done   chan struct{}
}

// New returns a Playground on opts.Desk. Register its Notifier and Techs
// with the desk (platform bot.PlatformWeb) before serving.
func New(opts Options) *Playground {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Threshold <= 0 {
		opts.Threshold = knowledge.DefaultThreshold
	}
	return &Playground{
		desk:        opts.Desk,
		lib:         opts.Library,
		log:         opts.Logger,
		allowRemote: opts.AllowRemote,
		threshold:   opts.Threshold,
		static:      http.FileServerFS(sub),
		keepAlive:   keepAlive,
		chats:       map[string][]Entry{},
		subs:        map[*subscriber]struct{}{},
		done:        make(chan struct{}),
	}
}

// Techs says who may claim on the web platform: the two tech identities.
func (p *Playground) Techs() bot.Techs {
	return bot.TechsFunc(func(_ context.Context, platform string, who bot.Person) (bool, error) {
		if platform != bot.PlatformWeb {
			return false, nil
		}
		pp, ok := person(who.ID)
		return ok && pp.Role == roleTech, nil
	})
}

// Close ends the live streams so a server shutdown is not held open by
// browsers that keep listening. Register it with http.Server.RegisterOnShutdown.
func (p *Playground) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
}

// Handler is the whole playground: page, static files, API and events.
func (p *Playground) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", p.page)
	mux.Handle("/static/", http.StripPrefix("/static/", p.staticFiles()))
	mux.HandleFunc("/api/people", p.people)
	mux.HandleFunc("/api/events", p.events)
	mux.HandleFunc("/api/messages", p.message)
	mux.HandleFunc("/api/actions", p.action)
	mux.HandleFunc("/api/kb/search", p.kbSearch)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint")
	})
	return p.guard(mux)
}

// guard applies the checks every request passes: a loopback Host (unless
// remote use is allowed), same-origin writes, and the security headers.
func (p *Playground) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if !p.allowRemote && !loopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, "the playground only answers on localhost; set PLAYGROUND_ALLOW_REMOTE=true to change that")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Playground) page(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, staticFiles, "static/index.html")
}

func (p *Playground) staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, http.MethodGet) {
			return
		}
		// No directory listings; index.html lives at "/".
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "index.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		p.static.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackAddr reports whether a listen address binds only to loopback;
// ":8090" and "0.0.0.0:8090" listen on every interface and do not.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	return loopbackHost(host)
}

// sameOrigin rejects writes from other sites: browsers send Origin on
// cross-site POSTs (and Sec-Fetch-Site where supported).
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser, or a same-origin GET-like request
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// allow answers 405 with an Allow header unless r uses one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	return false
}

func (p *Playground) now() time.Time {
	if p.desk != nil {
		return p.desk.Now()
	}
	return time.Now()
}
