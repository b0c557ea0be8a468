package slack

// What the edge needs from Slack, with the reason for each; the committed
// manifests (deploy/slack) are tested against these lists, so a scope is
// never granted "just in case" (least privilege, PLATFORMS.md §9).

// Scopes are the bot token scopes and the calls or events that need them.
var Scopes = map[string]string{
	"app_mentions:read": "app_mention events: questions in channels",
	"channels:history":  "message.channels events: follow-ups in a thread the bot answers, and SLACK_ANSWER_CHANNELS",
	"chat:write":        "chat.postMessage, chat.update (cards, answers), chat.postEphemeral (refusals)",
	"commands":          "the /helpdesk command",
	"im:history":        "message.im events: questions by direct message",
	"im:write":          "conversations.open when a tech takes their own case",
	"mpim:write":        "conversations.open: the group DM of requester and tech after a claim",
	"usergroups:read":   "usergroups.users.list: members of SLACK_TECH_USERGROUP may claim",
	"users:read":        "users.info: names on cards and in replies",
}

// Events are the bot events the edge handles.
var Events = []string{"app_mention", "message.channels", "message.im"}

// Command is the slash command the edge answers.
const Command = command
