package llm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/helpbot/helpbot/knowledge"
)

// Rerank blends dense similarity into the lexical order of hits; it is the
// knowledge.AnswererOptions.Rerank hook. Each section is embedded once and
// kept in Redis by the hash of its (redacted) text, so an edited section is
// embedded again and an unchanged one never is. Confidence stays lexical:
// a promoted hit keeps its own, capped so no hit is more confident than
// one ranked above it. Sensitive questions are never embedded, and any
// failure returns hits as they came.
func (m *Model) Rerank(ctx context.Context, question string, hits []knowledge.Hit) []knowledge.Hit {
	if !m.Embeddings() || len(hits) < 2 || egressBlocked(ctx) || m.screener.IsSensitive(question) {
		return hits
	}
	vecs, err := m.vectors(ctx, question, hits)
	if err != nil {
		m.log.Info("llm re-rank skipped; lexical order kept", "reason", classify(err))
		return hits
	}
	q := vecs[0]
	top := hits[0].Score
	for _, h := range hits {
		top = math.Max(top, h.Score)
	}
	type scored struct {
		h knowledge.Hit
		s float64
	}
	out := make([]scored, len(hits))
	w := m.cfg.RerankWeight
	for i, h := range hits {
		lex := 0.0
		if top > 0 {
			lex = h.Score / top
		}
		dense := math.Max(0, cosine(q, vecs[i+1]))
		out[i] = scored{h, (1-w)*lex + w*dense}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].s > out[j].s })
	res := make([]knowledge.Hit, len(out))
	for i, o := range out {
		res[i] = o.h
		if i > 0 {
			res[i].Confidence = math.Min(res[i].Confidence, res[i-1].Confidence)
		}
	}
	return res
}

// sectionText is what is embedded for a hit: title, heading and text.
func sectionText(h knowledge.Hit) string {
	return h.Article.Title + "\n" + h.Section.Heading + "\n" + h.Text(maxRefRunes)
}

// vectors returns the question's embedding followed by each hit's, from
// Redis where known and from one embedding call for the rest.
func (m *Model) vectors(ctx context.Context, question string, hits []knowledge.Hit) ([][]float32, error) {
	texts := []string{m.outbound(question)}
	keys := []string{m.key(KeyQuestionEmbedding, hashKey(m.cfg.EmbeddingModel, normalise(texts[0])))}
	for _, h := range hits {
		t := m.outbound(sectionText(h))
		texts = append(texts, t)
		keys = append(keys, m.key(KeyEmbedding, hashKey(m.cfg.EmbeddingModel, t)))
	}
	got, err := m.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("embedding cache: %w", err)
	}
	vecs := make([][]float32, len(texts))
	var missing []int
	for i, v := range got {
		if s, ok := v.(string); ok {
			if vec := decodeVector(s); vec != nil {
				vecs[i] = vec
				continue
			}
		}
		missing = append(missing, i)
	}
	if len(missing) > 0 {
		in := make([]string, len(missing))
		for j, i := range missing {
			in[j] = texts[i]
		}
		fresh, err := m.embed(ctx, in)
		if err != nil {
			return nil, err
		}
		pipe := m.rdb.Pipeline()
		for j, i := range missing {
			vecs[i] = fresh[j]
			ttl := embeddingTTL
			if i == 0 {
				ttl = qEmbeddingTTL
			}
			pipe.Set(ctx, keys[i], encodeVector(fresh[j]), ttl)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			m.log.Warn("embedding cache write failed", "err", err)
		}
	}
	for _, v := range vecs[1:] {
		if len(v) != len(vecs[0]) {
			return nil, errors.New("embeddings of different lengths")
		}
	}
	return vecs, nil
}

// embed is one guarded embeddings call: its own breaker (a missing
// embedding model must not stop chat answers), the budget, the timeout.
func (m *Model) embed(ctx context.Context, texts []string) ([][]float32, error) {
	if m.embedCB.State() == gobreaker.StateOpen {
		return nil, gobreaker.ErrOpenState
	}
	est := estimate(0, texts...)
	day, err := m.reserve(ctx, est)
	if err != nil {
		return nil, err
	}
	var used int64
	res, err := m.embedCB.Execute(func() (any, error) {
		cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
		defer cancel()
		start := time.Now()
		v, n, err := m.p.embed(cctx, texts)
		m.called("rerank", start, n, err)
		used = n
		return v, err
	})
	if err != nil && used == 0 && refused(err) {
		m.refund(ctx, day, est)
		return nil, err
	}
	m.settle(ctx, day, est, used)
	if err != nil {
		return nil, err
	}
	return res.([][]float32), nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeVector(s string) []float32 {
	if len(s) == 0 || len(s)%4 != 0 {
		return nil
	}
	v := make([]float32, len(s)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32([]byte(s[4*i : 4*i+4])))
	}
	return v
}
