package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/helpbot/helpbot/bot"
)

// KeyPlace is place:{platform}:{user} → hash {location, building}: where
// the person's last case was.
const KeyPlace = "place:"

// PlaceTTL is how long a person's last place is offered: about a
// semester, since rooms change with the school year.
const PlaceTTL = 120 * 24 * time.Hour

var _ bot.Places = (*Store)(nil)

// LastPlace implements bot.Places.
func (s *Store) LastPlace(ctx context.Context, platform, user string) (bot.Place, bool, error) {
	h, err := s.rdb.HGetAll(ctx, s.key(KeyPlace, platform, ":", user)).Result()
	if err != nil {
		return bot.Place{}, false, fmt.Errorf("last place: %w", err)
	}
	if h["location"] == "" {
		return bot.Place{}, false, nil
	}
	return bot.Place{Location: h["location"], Building: h["building"]}, true, nil
}

// RememberPlace implements bot.Places.
func (s *Store) RememberPlace(ctx context.Context, platform, user string, p bot.Place) error {
	k := s.key(KeyPlace, platform, ":", user)
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, k)
	pipe.HSet(ctx, k, "location", p.Location, "building", p.Building)
	pipe.Expire(ctx, k, PlaceTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("remember place: %w", err)
	}
	return nil
}
