package knowledge

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink the watcher goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
	}
}

func TestWatchReloads(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("printing/jam.md", "# Clear a paper jam\n\nOpen the tray and pull the paper out.\n")
	ix, probs := LoadDir(dir)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	lib := NewLibrary(ix)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, dir, lib, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch = %v", err)
		}
	})
	top := func(q string) string {
		hits := lib.Search(q, SearchOptions{})
		if len(hits) == 0 {
			return ""
		}
		return hits[0].Article.Path
	}
	// Watch has set up its watches once a change is seen; until then,
	// touch the file again, after a quiet spell longer than the debounce.
	var lastWrite time.Time
	eventually(t, "the watcher to start", func() bool {
		if time.Since(lastWrite) > 3*WatchDebounce {
			write("printing/jam.md", "# Clear a paper jam\n\nOpen the tray and pull the paper out. Fuser door too.\n")
			lastWrite = time.Now()
		}
		return len(lib.Search("fuser door", SearchOptions{})) > 0
	})

	// A new article, in a new folder.
	write("network/wifi.md", "# Wi-Fi keeps dropping\n\nForget the network and join it again.\n")
	eventually(t, "the new article", func() bool { return top("wifi keeps dropping") == "network/wifi.md" })

	// A broken edit keeps the last good version and names the file and line.
	write("network/wifi.md", "---\ntitle: [\n---\nBody.\n")
	eventually(t, "the broken edit to be reported", func() bool { return strings.Contains(logs.String(), "network/wifi.md:") })
	if top("wifi keeps dropping") != "network/wifi.md" {
		t.Errorf("after a broken edit, search = %q; want the last good network/wifi.md", top("wifi keeps dropping"))
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("broken edit not logged at warn:\n%s", logs.String())
	}

	// Fixing it serves the new text.
	write("network/wifi.md", "# Wi-Fi keeps dropping\n\nMove closer to the access point.\n")
	eventually(t, "the fixed article", func() bool {
		a := lib.Index().Article("network/wifi.md")
		return a != nil && strings.Contains(a.Sections[len(a.Sections)-1].Text, "access point")
	})

	// Deleting removes it.
	if err := os.Remove(filepath.Join(dir, "network/wifi.md")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted article to go", func() bool { return lib.Index().Article("network/wifi.md") == nil })
	if lib.Index().Article("printing/jam.md") == nil {
		t.Error("deleting one article lost another")
	}
}

func TestWatchMissingDir(t *testing.T) {
	err := Watch(context.Background(), filepath.Join(t.TempDir(), "nope"), NewLibrary(nil), nil)
	if err == nil {
		t.Error("Watch on a missing folder = nil; want an error")
	}
}
