package teams

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultServiceURLHosts are where Microsoft's Bot Connector lives (public,
// GCC, GCC High and DoD clouds). A "*." entry matches any subdomain.
var DefaultServiceURLHosts = []string{
	"smba.trafficmanager.net",
	"*.botframework.com",
	"*.botframework.us",
	"*.teams.microsoft.com",
	"*.teams.microsoft.us",
}

// hostList is the allow-list of serviceUrl hosts the bot's token may be
// sent to. Microsoft's hosts must be https; hosts the operator adds
// (TEAMS_SERVICE_URL_HOSTS, e.g. a loopback fake in tests) may be http.
type hostList struct {
	builtin, extra []string
}

func newHostList(extra []string) hostList {
	h := hostList{builtin: DefaultServiceURLHosts}
	for _, e := range extra {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			h.extra = append(h.extra, e)
		}
	}
	return h
}

// serviceBase is a checked serviceUrl without its trailing slash.
type serviceBase string

func (b serviceBase) host() string {
	u, err := url.Parse(string(b))
	if err != nil {
		return "?"
	}
	return u.Host
}

// check parses a serviceUrl and refuses it unless its host is allowed.
func (h hostList) check(serviceURL string) (serviceBase, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: malformed serviceUrl", ErrHostNotAllowed)
	}
	host := strings.ToLower(u.Hostname())
	ok := false
	switch u.Scheme {
	case "https":
		ok = matchHost(h.builtin, host) || matchHost(h.extra, host)
	case "http":
		ok = matchHost(h.extra, host)
	}
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrHostNotAllowed, u.Host)
	}
	return serviceBase(strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")), nil
}

func (h hostList) allowed(serviceURL string) bool {
	_, err := h.check(serviceURL)
	return err == nil
}

func matchHost(list []string, host string) bool {
	for _, p := range list {
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if host == p {
			return true
		}
	}
	return false
}

func (h hostList) checkErr(serviceURL string) error {
	_, err := h.check(serviceURL)
	return err
}
