// Command helpbot runs the help-desk bot (serve, the default), a terminal
// chat, KB tools and the retrieval evaluation. Configuration lives only here.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helpbot:", err)
		os.Exit(exitCodeOf(err))
	}
}

// run is the whole program; tests call it (or cli.run, to supply stdin).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c := &cli{stdin: os.Stdin, stdout: stdout, stderr: os.Stderr, getenv: getenv}
	return c.run(ctx, args)
}

// cli carries the process's streams and environment to the subcommands.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitError carries the process exit code: 2 bad configuration or usage,
// 1 a runtime failure (or a check that found problems).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}
