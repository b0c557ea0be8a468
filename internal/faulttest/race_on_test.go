//go:build race

package faulttest

// The binary under test is built with -race when the tests are: it then
// reuses the packages `go test -race` just compiled, and races in the real
// process fail its run.
var buildFlags = []string{"-race"}
