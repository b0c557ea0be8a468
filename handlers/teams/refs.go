package teams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	goredis "github.com/redis/go-redis/v9"

	"github.com/helpbot/helpbot/bot"
)

// Redis keys this edge adds, relative to the store's prefix (REDIS_PREFIX,
// "hb:" by default). Each has a TTL; DATA.md and docs/TEAMS.md list them.
const (
	// KeyTechChannel holds the techs' channel conversation reference. Every
	// card posted there renews it, so only a channel unused for 400 days is
	// forgotten.
	KeyTechChannel = "teams:techchannel"
	// KeyUserRef + {Entra object id} holds how to reach a person in their
	// personal chat with the bot (DESIGN.md's conv:{platform}:{user}).
	KeyUserRef = "conv:teams:"
	// KeyCard + {hash of conversation and activity id} holds a sent reply
	// with buttons, so pressing one can redraw the card without them.
	KeyCard = "teams:card:"
	// DedupeSource is the source part of dedupe:{source}:{id} keys
	// (bot.Limiter.Once); id hashes conversation and activity id.
	DedupeSource = "teams:"
)

// TTLs of the keys above.
const (
	TechChannelTTL = 400 * 24 * time.Hour
	UserRefTTL     = 90 * 24 * time.Hour
	CardTTL        = 24 * time.Hour // as long as the session the card belongs to
	DedupeTTL      = time.Hour      // Teams re-sends within seconds; an hour is ample
)

// refStore keeps conversation references and card state in Redis, shared
// by every replica.
type refStore struct {
	rdb    goredis.UniversalClient
	prefix string
}

var errNoRef = errors.New("teams: no stored conversation reference")

func (s refStore) put(ctx context.Context, key string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := s.rdb.Set(ctx, s.prefix+key, raw, ttl).Err(); err != nil {
		return fmt.Errorf("save %s: %w", strings.SplitAfter(key, ":")[0], err)
	}
	return nil
}

func (s refStore) get(ctx context.Context, key string, v any) error {
	raw, err := s.rdb.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return errNoRef
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", strings.SplitAfter(key, ":")[0], err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s: %w", strings.SplitAfter(key, ":")[0], err)
	}
	return nil
}

func (s refStore) setTechChannel(ctx context.Context, ref schema.ConversationReference) error {
	return s.put(ctx, KeyTechChannel, ref, TechChannelTTL)
}

// techChannelIfNone stores ref unless a techs' channel is already known, so
// installing the bot in another team never moves the cards.
func (s refStore) techChannelIfNone(ctx context.Context, ref schema.ConversationReference) (bool, error) {
	raw, err := json.Marshal(ref)
	if err != nil {
		return false, err
	}
	ok, err := s.rdb.SetNX(ctx, s.prefix+KeyTechChannel, raw, TechChannelTTL).Result()
	if err != nil {
		return false, fmt.Errorf("save techchannel: %w", err)
	}
	return ok, nil
}

func (s refStore) techChannel(ctx context.Context) (schema.ConversationReference, error) {
	var ref schema.ConversationReference
	err := s.get(ctx, KeyTechChannel, &ref)
	if err == nil {
		s.rdb.Expire(ctx, s.prefix+KeyTechChannel, TechChannelTTL)
	}
	return ref, err
}

func (s refStore) setUser(ctx context.Context, userID string, ref schema.ConversationReference) error {
	return s.put(ctx, KeyUserRef+userID, ref, UserRefTTL)
}

func (s refStore) user(ctx context.Context, userID string) (schema.ConversationReference, error) {
	var ref schema.ConversationReference
	return ref, s.get(ctx, KeyUserRef+userID, &ref)
}

// sentCard is a reply with buttons as sent, to be redrawn after a press.
type sentCard struct {
	Reply bot.Reply `json:"reply"`
}

func (s refStore) setCard(ctx context.Context, conversation, activityID string, r bot.Reply) error {
	return s.put(ctx, KeyCard+hashID(conversation, activityID), sentCard{Reply: r}, CardTTL)
}

func (s refStore) card(ctx context.Context, conversation, activityID string) (bot.Reply, error) {
	var c sentCard
	return c.Reply, s.get(ctx, KeyCard+hashID(conversation, activityID), &c)
}

// hashID makes a short, fixed-length key part from Teams ids, which are
// long and full of ':' ';' '@'.
func hashID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// cardRef is what Announce returns and the Desk stores as Escalation.Card:
// where the case card is, and whom the "Chat with" link opens a chat with.
type cardRef struct {
	ServiceURL   string `json:"serviceUrl"`
	Conversation string `json:"conversation"`
	Activity     string `json:"activity"`
	Chat         string `json:"chat,omitempty"`
}

func parseCardRef(s string) (cardRef, error) {
	var c cardRef
	if err := json.Unmarshal([]byte(s), &c); err != nil || c.Activity == "" || c.Conversation == "" {
		return cardRef{}, errors.New("teams: case has no Teams card reference")
	}
	return c, nil
}

// channelRoot is a channel conversation id without the thread part, so a
// card posted to it starts a new thread.
func channelRoot(conversation string) string {
	root, _, _ := strings.Cut(conversation, ";messageid=")
	return root
}
