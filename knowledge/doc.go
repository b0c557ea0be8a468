// Package knowledge owns the markdown knowledge base: loading articles (with
// optional front matter), the in-memory search index, and the KB answerer.
//
// Everything here is read-only after construction, so one *Index serves any
// number of goroutines; a Library swaps in a new Index when the KB changes.
package knowledge
