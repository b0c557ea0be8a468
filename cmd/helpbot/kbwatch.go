package main

import (
	"context"
	"log/slog"

	"github.com/helpbot/helpbot/knowledge"
)

// watchKB reloads KB_DIR into lib whenever an article changes, until the app
// closes. Nothing is watched for the built-in KB (dir ""), which cannot change.
func watchKB(dir string, lib *knowledge.Library, log *slog.Logger) (stop func()) {
	if dir == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := knowledge.Watch(ctx, dir, lib, log); err != nil {
			log.Warn("knowledge base is not watched; edits need a restart", "dir", dir, "err", err)
		}
	}()
	return func() { cancel(); <-done }
}
