package slack

import (
	"context"
	"time"
)

// SetWait replaces the 429 back-off so tests see the wait without taking it.
func SetWait(e *Edge, f func(ctx context.Context, d time.Duration) error) { e.wait = f }
