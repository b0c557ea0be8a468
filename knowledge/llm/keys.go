package llm

import (
	"time"
)

// Redis key families this package writes, under the store's prefix (for
// example "hb:"). Every key has a TTL; PRIVACY.md lists them.
const (
	// KeyAnswer + hash → a checked answer, a NOT_COVERED verdict or a
	// short-lived failure marker, as JSON. The hash covers the redacted,
	// normalised question, the redacted recent turns, the model, the prompt
	// version and the path, section and version of every article sent, so
	// editing an article retires its answers.
	KeyAnswer = "llm:ans:"
	// KeyLock + hash → a random token while one replica asks the model;
	// the others wait for its answer instead of asking again.
	KeyLock = "llm:lock:"
	// KeyTokens + day (YYYY-MM-DD, local time) → tokens used that day,
	// across replicas.
	KeyTokens = "llm:tokens:"
	// KeyEmbedding + hash of the model and the redacted section text → the
	// section's embedding (little-endian float32s).
	KeyEmbedding = "llm:emb:"
	// KeyQuestionEmbedding + hash → a question's embedding, briefly, so a
	// burst of identical questions makes one embedding call.
	KeyQuestionEmbedding = "llm:qemb:"
)

// TTLs of the keys above (the answer cache's is Config.CacheTTL).
const (
	failedTTL     = 30 * time.Second // an error or timeout: let the next try wait a little
	invalidTTL    = 10 * time.Minute // the model answered badly for these articles
	tokensTTL     = 48 * time.Hour   // a day's counter outlives the day by a day
	embeddingTTL  = 30 * 24 * time.Hour
	qEmbeddingTTL = time.Hour
	lockSlack     = 5 * time.Second // lock TTL = call timeout + this
	waitPoll      = 50 * time.Millisecond
)
