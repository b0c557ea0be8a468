// Package kb is the sample K-12 knowledge base shipped inside the binary. It
// is used when KB_DIR is unset, so the bot answers on a fresh machine.
package kb

import "embed"

// FS holds the sample articles (one topic folder deep) and synonyms.yaml.
//
//go:embed */*.md synonyms.yaml
var FS embed.FS
