// Package faulttest runs the built helpbot binary against real redis-server
// processes and a fake Slack, and breaks things: kill -9 of Redis, Redis
// stopped and restarted, SIGTERM under load, three replicas and retries.
// It has only tests; they skip when redis-server is not installed.
package faulttest
