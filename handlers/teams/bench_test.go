package teams

import (
	"context"
	"fmt"
	"testing"

	"github.com/helpbot/helpbot/handlers/teams/teamstest"
)

// BenchmarkValidate is the per-request cost of checking a token once the
// signing keys are cached (RSA-2048 verification dominates).
func BenchmarkValidate(b *testing.B) {
	f := teamstest.New(b)
	v, err := NewValidator(ValidatorOptions{AppID: f.AppID, MetadataURL: f.MetadataURL()})
	if err != nil {
		b.Fatal(err)
	}
	tok := bearer(f.Token(teamstest.Claims{}))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.Validate(ctx, tok, "msteams", f.ServiceURL()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPersonalQuestion is one staff question end to end: the POST to
// /api/messages (verified, acknowledged), the worker's desk turn on the
// sample KB with Redis, and the answer card reaching the fake connector.
func BenchmarkPersonalQuestion(b *testing.B) {
	h := newHarnessTB(b)
	acts := make([]map[string]any, b.N)
	for i := range acts {
		u := pat
		u.Aad = fmt.Sprintf("aaaaaaaa-0000-0000-0000-%012d", i)
		acts[i] = h.f.Personal(u, "the printer says paper jam")
	}
	b.ResetTimer()
	for i := range b.N {
		h.f.Post(b, h.endpoint, acts[i])
		h.f.WaitSent(i + 1)
	}
}
