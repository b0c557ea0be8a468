// Package teamsapp ships the Teams app manifest template, so that
// `helpbot teams-package` can build the sideloadable zip from the binary.
package teamsapp

import _ "embed"

// Manifest is manifest.json with ${APP_ID}-style placeholders.
//
//go:embed manifest.json
var Manifest []byte
