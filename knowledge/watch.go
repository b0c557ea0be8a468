package knowledge

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchDebounce is how long the KB folder must be quiet before it is
// reloaded: an editor's save (write, rename, chmod) or a git pull is one
// reload, not dozens.
const WatchDebounce = 500 * time.Millisecond

// Watch reloads the KB under dir into lib whenever a file in it changes,
// until ctx ends. An article that no longer loads is reported (at warn, as
// path:line) and its last good version stays served; a deleted article is
// gone from the next index; a reload that finds no article at all keeps the
// index being served. Watch returns once ctx is
// done, or at once if dir cannot be watched.
func Watch(ctx context.Context, dir string, lib *Library, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a folder")
		}
		return fmt.Errorf("watch kb %q: %w", dir, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch kb %q: %w", dir, err)
	}
	defer w.Close()
	if err := addTree(w, dir); err != nil {
		return fmt.Errorf("watch kb %q: %w", dir, err)
	}

	var (
		timer   = time.NewTimer(time.Hour)
		pending bool
	)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			// New folders are watched too (fsnotify is not recursive).
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					_ = addTree(w, ev.Name)
				}
			}
			if !relevant(dir, ev.Name) {
				continue
			}
			pending = true
			timer.Reset(WatchDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			log.Warn("knowledge base watch error", "dir", dir, "err", err)
		case <-timer.C:
			if pending {
				pending = false
				reload(dir, lib, log)
			}
		}
	}
}

// reload builds a new index off to the side and swaps it in. An article
// that no longer loads (a broken edit) keeps its last good version, so a
// typo in the front matter never takes an answer away; a broken
// synonyms.yaml keeps the whole previous index.
func reload(dir string, lib *Library, log *slog.Logger) {
	fsys := os.DirFS(dir)
	arts, probs := ReadArticles(fsys)
	syn, sp := ReadSynonyms(fsys)
	if sp != nil {
		log.Warn("knowledge base synonyms broken; still serving the previous index", "problem", sp.Error())
		return
	}
	prev := lib.Index()
	kept := 0
	for _, p := range probs {
		old := prev.Article(p.Path)
		if old != nil {
			arts = append(arts, old)
			kept++
		}
		log.Warn("knowledge base problem; serving the last good version of the file if there is one", "problem", p.Error(), "kept_previous", old != nil)
	}
	if len(arts) == 0 {
		log.Warn("knowledge base reload found no articles; still serving the previous index", "dir", dir, "problems", len(probs))
		return
	}
	sort.Slice(arts, func(i, j int) bool { return arts[i].Path < arts[j].Path })
	ix := BuildIndex(arts, IndexOptions{Synonyms: syn})
	lib.Swap(ix)
	log.Info("knowledge base reloaded", "articles", ix.Len(), "was", prev.Len(), "problems", len(probs), "kept_previous", kept, "build_ms", ix.BuildTime.Milliseconds())
}

func addTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts are reported by the loader
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}

// relevant reports whether a change to name can change the KB: an article,
// the synonyms file or a folder (a deleted folder takes its articles).
// Editors' swap and backup files are not.
func relevant(root, name string) bool {
	rel, err := filepath.Rel(root, name)
	if err != nil {
		return true
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return false
		}
	}
	base := filepath.Base(name)
	switch ext := strings.ToLower(filepath.Ext(base)); {
	case ext == ".md", base == SynonymsFile:
		return true
	case ext == "":
		return !strings.HasSuffix(base, "~") // a folder, most likely
	}
	return false
}
