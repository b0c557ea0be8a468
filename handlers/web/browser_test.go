package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// requireBrowser makes a missing Chromium a failure (CI sets it after
// installing chromium) instead of a skip.
const requireBrowser = "HELPBOT_REQUIRE_BROWSER"

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium for one test and returns the context
// of its first tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv(requireBrowser) != "" {
			t.Fatalf("%s is set but Chromium is not installed; install it with: apt-get install -y chromium", requireBrowser)
		}
		t.Skipf("Chromium is not installed, so the browser test is skipped (apt-get install -y chromium; set %s=1 to make this a failure)", requireBrowser)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab is one browser tab on the playground, failing the test on any page
// error (an exception, a CSP violation, a console error).
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string

	mu   sync.Mutex
	errs []string
}

func openTab(t *testing.T, parent context.Context, name, url string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, name: name}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 900)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Source == "security" {
				tb.mu.Lock()
				tb.errs = append(tb.errs, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(tb.checkErrors)
	tb.do(chromedp.Navigate(url))
	tb.waitJS(`document.body.dataset.ready === "true"`)
	return tb
}

func (tb *tab) checkErrors() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errs {
		tb.t.Errorf("%s: page error: %s", tb.name, e)
	}
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
}

// waitJS waits until the expression is truthy (polled by the page itself,
// with a deadline).
func (tb *tab) waitJS(expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
		tb.t.Fatalf("%s: waiting for %s: %v", tb.name, expr, err)
	}
}

// waitText waits until the element matching sel contains want.
func (tb *tab) waitText(sel, want string) {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf(`(document.querySelector(%s)?.textContent || "").includes(%s)`, js(sel), js(want)))
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.textContent ?? ""`, js(sel))))
	if err != nil {
		tb.t.Fatalf("%s: text of %s: %v", tb.name, sel, err)
	}
	return s
}

func (tb *tab) eval(expr string) bool {
	tb.t.Helper()
	ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return ok
}

func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel)))
}

// say types into the message box and presses Enter, as a person would.
func (tb *tab) say(text string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS("#composer-input"), text+"\r"))
}

// choose picks an option of a select the way the page hears it: a change.
func (tb *tab) choose(sel, value string) {
	tb.t.Helper()
	tb.do(chromedp.SetValue(chromedp.CSS(sel), value))
	tb.eval(fmt.Sprintf(`document.querySelector(%s).dispatchEvent(new Event("change", {bubbles: true}))`, js(sel)))
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

const (
	answerSel  = `#chat-log li[data-kind="answer"]`
	caseSel    = `#cards li[data-case="IT-1001"]`
	claimSel   = caseSel + ` button[data-action="helpbot.claim"]`
	noteSel    = caseSel + ` .case-note`
	resolveSel = caseSel + ` button[data-action="helpbot.resolve"]`
)

// The whole flow in a real browser: ask, a cited answer, Get a tech, the
// building question, a live card, two techs claiming at once from two tabs
// (one wins, the other is told), resolve, and "Is it fixed?" for the teacher.
func TestBrowserFlow(t *testing.T) {
	h := newHarness(t)
	browser := newBrowser(t)

	pat := openTab(t, browser, "Pat+Alex tab", h.srv.URL+"/?staff=pat.rivera&tech=alex.chen")
	pat.say("the projector says no signal")
	pat.waitText(answerSel+" .src-title", `shows "No signal"`)
	if !pat.eval(`document.querySelector('#chat-log li[data-from="staff"]').textContent.includes("the projector says no signal")`) {
		t.Fatal("my own message is not in the chat")
	}

	pat.click(answerSel + ` button[data-action="helpbot.escalate"]`)
	pat.waitText(`#chat-log li[data-kind="ask_location"]`, "Which building and room")
	pat.waitText(answerSel+" .msg-status", "asked for a tech") // no stale buttons
	pat.say("Lincoln Elementary room 12")
	pat.waitText(`#chat-log li[data-kind="escalated"]`, "IT-1001")
	pat.waitText(caseSel, "Lincoln Elementary, Room 12")
	pat.waitText(caseSel, "Waiting for a tech")

	// A second tab: Sam's chat, and the channel as Jamie after switching.
	jamie := openTab(t, browser, "Sam+Jamie tab", h.srv.URL+"/?staff=sam.lee&tech=alex.chen")
	jamie.choose("#tech-select", "jamie.ortiz")
	jamie.waitJS(`location.search.includes("tech=jamie.ortiz")`)
	jamie.waitText(caseSel, "the projector says no signal")
	if jamie.eval(`document.getElementById("chat-log").textContent.includes("projector")`) {
		t.Fatal("Sam's chat shows Pat's conversation")
	}

	// Both press Claim at the same moment.
	h.gate.arm(2)
	var wg sync.WaitGroup
	for _, tb := range []*tab{pat, jamie} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(claimSel))); err != nil {
				t.Errorf("%s: click Claim: %v", tb.name, err)
			}
		}()
	}
	wg.Wait()
	for _, tb := range []*tab{pat, jamie} {
		tb.waitJS(fmt.Sprintf(`!!document.querySelector(%s)`, js(noteSel)))
	}
	var winner, loser *tab
	switch a, j := pat.text(noteSel), jamie.text(noteSel); {
	case strings.Contains(a, "You have IT-1001") && strings.Contains(j, "already claimed by Alex Chen"):
		winner, loser = pat, jamie
	case strings.Contains(j, "You have IT-1001") && strings.Contains(a, "already claimed by Jamie Ortiz"):
		winner, loser = jamie, pat
	default:
		t.Fatalf("after two claims: Alex's tab says %q, Jamie's says %q; want one owner and one 'already claimed'", a, j)
	}
	winnerName := map[*tab]string{pat: "Alex Chen", jamie: "Jamie Ortiz"}[winner]
	loser.waitText(caseSel, winnerName+" is on it")
	if loser.eval(fmt.Sprintf(`!!document.querySelector(%s)`, js(resolveSel))) {
		t.Fatal("the tech who lost the claim can resolve the case")
	}
	pat.waitText(`#chat-log`, winnerName+" from the IT team has your request IT-1001")

	winner.click(resolveSel)
	for _, tb := range []*tab{pat, jamie} {
		tb.waitText(caseSel, "Resolved by "+winnerName)
	}
	fixed := `#chat-log li[data-kind="notice"] button[data-action="helpbot.fixed"]`
	pat.waitText(`#chat-log`, "Is it fixed?")
	pat.click(fixed)
	pat.waitText(`#chat-log`, "Thanks for confirming")
	jamie.waitText(caseSel, "Pat Rivera confirmed it's fixed")
}

// Markup typed by a person (or in a KB article) shows as text, in the chat
// and on the card; nothing in it runs.
func TestBrowserShowsMarkupAsText(t *testing.T) {
	h := newHarness(t)
	browser := newBrowser(t)
	tb := openTab(t, browser, "Pat tab", h.srv.URL+"/?staff=pat.rivera&tech=alex.chen")
	payload := `<img src=x onerror="document.body.dataset.pwned=1"><b>bold</b> I need a person in room 7`
	tb.say(payload)
	tb.waitText(`#chat-log li[data-from="staff"]`, `<img src=x onerror="document.body.dataset.pwned=1"><b>bold</b>`)
	tb.waitText(caseSel+" .case-summary", "<b>bold</b>")
	if tb.eval(`!!document.querySelector("#chat-log img, #chat-log b, #cards img, #cards b") || document.body.dataset.pwned === "1"`) {
		t.Fatal("markup from a message became page elements")
	}
}

// HELPBOT_PLAYGROUND_SCREENSHOT=path writes the README screenshot: the chat
// with a cited answer, a claimed card and the KB panel, mid-flow.
func TestBrowserScreenshot(t *testing.T) {
	out := os.Getenv("HELPBOT_PLAYGROUND_SCREENSHOT")
	if out == "" {
		t.Skip("set HELPBOT_PLAYGROUND_SCREENSHOT=docs/playground.png to write the README screenshot")
	}
	h := newHarness(t)
	browser := newBrowser(t)
	h.say("sam.lee", "No wifi in the Roosevelt High School library, class can't log in")

	tb := openTab(t, browser, "screenshot tab", h.srv.URL+"/?staff=pat.rivera&tech=alex.chen")
	tb.say("the projector says no signal")
	tb.waitText(answerSel+" .src-title", "No signal")
	tb.click(answerSel + ` button[data-action="helpbot.escalate"]`)
	tb.waitText(`#chat-log li[data-kind="ask_location"]`, "Which building")
	tb.say("Lincoln Elementary room 12")
	tb.waitText(`#cards li[data-case="IT-1002"]`, "Room 12")
	tb.click(`#cards li[data-case="IT-1002"] button[data-action="helpbot.claim"]`)
	tb.waitText(`#chat-log`, "Alex Chen from the IT team has your request IT-1002")
	tb.do(chromedp.SendKeys(chromedp.CSS("#kb-q"), "projector no signal\r"))
	tb.waitJS(`document.querySelectorAll("#kb-results .hit").length > 0`)
	// The chat at its latest and the claimed card; wait for smooth
	// scrolling to settle before the capture.
	tb.eval(`(() => { document.activeElement.blur(); return true; })()`)
	tb.waitJS(`(() => {
		const c = document.getElementById("chat-scroll");
		return c.scrollTop + c.clientHeight >= c.scrollHeight - 2;
	})()`)
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(shot))
}
