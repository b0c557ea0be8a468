package slacktest

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Socket is a fake Socket Mode endpoint: apps.connections.open points the
// client here; the server says hello, sends envelopes, pings and
// disconnects, and reads the client's acks.
type Socket struct {
	up        websocket.Upgrader
	mu        sync.Mutex
	conn      *websocket.Conn
	wmu       sync.Mutex // gorilla connections allow one writer at a time
	connected chan *websocket.Conn
	acks      chan Ack
	pongs     chan string
	closed    chan Closed
	done      chan struct{}
	closeOnce sync.Once
}

// Closed is how a client's connection ended, as the server saw it.
type Closed struct {
	// Code is the status code of the client's close frame; 0 when it sent
	// none.
	Code int
	// Clean is true for a close frame or an orderly TCP close (FIN), and
	// false when the connection was reset or failed mid-read.
	Clean bool
	// Err is the read error that ended the connection, for messages.
	Err string
}

// Ack is what the client sent back for an envelope.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload,omitempty"`
}

// StartSocket enables Socket Mode on the fake.
func (a *API) StartSocket() *Socket {
	s := &Socket{
		// slack-go sends Origin: https://api.slack.com, as Slack expects.
		up:        websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		connected: make(chan *websocket.Conn, 16),
		acks:      make(chan Ack, 4096),
		pongs:     make(chan string, 16),
		closed:    make(chan Closed, 16),
		done:      make(chan struct{}),
	}
	a.mu.Lock()
	a.Socket = s
	a.mu.Unlock()
	return s
}

func (s *Socket) close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
	})
}

func (s *Socket) serve(w http.ResponseWriter, r *http.Request) {
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c.SetPongHandler(func(data string) error {
		select {
		case s.pongs <- data:
		default:
		}
		return nil
	})
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	s.write(c, map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}})
	s.connected <- c
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			select {
			case s.closed <- closedBy(err):
			default:
			}
			return
		}
		var a Ack
		if json.Unmarshal(data, &a) == nil && a.EnvelopeID != "" {
			s.acks <- a
		}
	}
}

// closedBy describes the read error that ended a connection. gorilla
// reports a close frame as a CloseError with its code, and an orderly TCP
// close (EOF) as one with code 1006, which is never sent on the wire.
func closedBy(err error) Closed {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		c := Closed{Clean: true, Err: err.Error()}
		if ce.Code != websocket.CloseAbnormalClosure {
			c.Code = ce.Code
		}
		return c
	}
	return Closed{Err: err.Error()}
}

// WaitClosed waits for a client connection to end and says how it did.
func (s *Socket) WaitClosed(t testing.TB) Closed {
	t.Helper()
	select {
	case c := <-s.closed:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the socket mode client never closed its connection")
		return Closed{}
	}
}

func (s *Socket) write(c *websocket.Conn, v any) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return c.WriteJSON(v)
}

// WaitConnected waits for the client to connect (again).
func (s *Socket) WaitConnected(t testing.TB) {
	t.Helper()
	select {
	case <-s.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("socket mode client never connected")
	}
}

func (s *Socket) current(t testing.TB) *websocket.Conn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		t.Fatal("no socket mode connection")
	}
	return s.conn
}

// Envelope sends one Socket Mode request (events_api, interactive,
// slash_commands) carrying payload.
func (s *Socket) Envelope(t testing.TB, envelopeID, typ string, payload []byte) {
	t.Helper()
	msg := map[string]any{"envelope_id": envelopeID, "type": typ, "payload": json.RawMessage(payload),
		"accepts_response_payload": typ != "events_api", "retry_attempt": 0}
	if err := s.write(s.current(t), msg); err != nil {
		t.Fatalf("send envelope: %v", err)
	}
}

// Raw sends text as is (for malformed envelopes).
func (s *Socket) Raw(t testing.TB, text string) {
	t.Helper()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.current(t).WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send raw: %v", err)
	}
}

// Ping sends a WebSocket ping and waits for the pong.
func (s *Socket) Ping(t testing.TB, data string) {
	t.Helper()
	s.wmu.Lock()
	err := s.current(t).WriteControl(websocket.PingMessage, []byte(data), time.Now().Add(5*time.Second))
	s.wmu.Unlock()
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	for {
		select {
		case got := <-s.pongs:
			if got == data {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no pong for ping")
		}
	}
}

// Disconnect asks the client to reconnect, as Slack does before it
// rotates a connection.
func (s *Socket) Disconnect(t testing.TB) {
	t.Helper()
	if err := s.write(s.current(t), map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "fake"}}); err != nil {
		t.Fatalf("send disconnect: %v", err)
	}
}

// NextAck returns the next acknowledgement the client sent.
func (s *Socket) NextAck(t testing.TB) Ack {
	t.Helper()
	select {
	case a := <-s.acks:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no ack from the socket mode client")
		return Ack{}
	}
}
