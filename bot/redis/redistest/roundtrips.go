package redistest

import (
	"context"
	"net"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// RoundTrips counts what a client sends to Redis: each command outside a
// pipeline is one round trip, and so is each pipeline or MULTI/EXEC block
// (however many commands it carries). Tests use it to pin how many trips
// a message costs; benchmarks report it per operation.
type RoundTrips struct {
	trips, commands atomic.Int64
}

// CountRoundTrips installs a counting hook on rdb and returns the counter.
func CountRoundTrips(rdb goredis.UniversalClient) *RoundTrips {
	rt := &RoundTrips{}
	rdb.AddHook(rt)
	return rt
}

// Trips is the number of round trips since the last Reset.
func (rt *RoundTrips) Trips() int64 { return rt.trips.Load() }

// Commands is the number of commands since the last Reset (a pipeline's
// commands each count).
func (rt *RoundTrips) Commands() int64 { return rt.commands.Load() }

// Reset sets both counts to zero.
func (rt *RoundTrips) Reset() {
	rt.trips.Store(0)
	rt.commands.Store(0)
}

// DialHook implements goredis.Hook.
func (rt *RoundTrips) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

// ProcessHook implements goredis.Hook.
func (rt *RoundTrips) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		rt.trips.Add(1)
		rt.commands.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements goredis.Hook.
func (rt *RoundTrips) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		rt.trips.Add(1)
		rt.commands.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}
