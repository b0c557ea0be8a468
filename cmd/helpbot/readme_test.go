package main

import (
	"os"
	"strings"
	"testing"
)

// Every setting the program reads is documented in README's configuration
// table, so a district never meets an undocumented variable.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, k := range configKeys(Config{}) {
		if !strings.Contains(readme, "`"+k+"`") {
			t.Errorf("README.md does not document %s", k)
		}
	}
}
