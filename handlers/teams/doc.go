// Package teams is the Microsoft Teams edge: the Bot Framework endpoint with
// its own token validation, connector client, Adaptive Cards and proactive messages.
//
// An activity is verified (Validator), acknowledged at once, translated into
// a bot.Message or bot.Action, run through the Desk by a bounded worker pool
// and rendered as Adaptive Cards through the Connector. msbotbuilder-go is
// used for its schema types only: its validator and client fail open or
// leak (see docs/PLATFORMS.md), so this package supplies both.
package teams
