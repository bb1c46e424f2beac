package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// DefaultOutboxPath is where the outbox writes when no path is configured.
const DefaultOutboxPath = "./outbox.jsonl"

// Outbox "sends" messages by appending them to a local file, one JSON line each: the demo's
// channel, and a record of what would have gone out when no SMTP relay is configured. An
// acknowledged message is on disk (fsynced); concurrent sends share one fsync.
type Outbox struct {
	path  string
	clock epilogue.Clock

	mu       sync.Mutex
	f        *os.File
	next     *outboxBatch // lines waiting for the next write
	flushing bool         // a sender is writing; the others wait for their batch
	closed   bool
	inflight sync.WaitGroup // appends Close must wait for
}

// outboxBatch is the lines that go to disk in one write and one fsync.
type outboxBatch struct {
	buf  []byte
	done chan struct{}
	err  error
}

// OutboxEntry is one line of the outbox file.
type OutboxEntry struct {
	WrittenAt time.Time `json:"written_at"`
	ShopID    string    `json:"shop_id,omitempty"`
	// MessageID is the Message-ID the email would carry.
	MessageID string `json:"message_id,omitempty"`
	*epilogue.Message
}

// NewOutbox opens (creating if needed) the outbox file at path, DefaultOutboxPath when empty.
// The file holds customer addresses, so only its owner may read it.
func NewOutbox(path string, clock epilogue.Clock) (*Outbox, error) {
	if path == "" {
		path = DefaultOutboxPath
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	// The new file's name must survive a crash too, not just its contents.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return &Outbox{path: path, clock: clock, f: f}, nil
}

// Path returns the file the outbox writes to.
func (o *Outbox) Path() string { return o.path }

// Send appends m to the file and returns once it is durable.
func (o *Outbox) Send(ctx context.Context, m *epilogue.Message) error {
	if err := ctx.Err(); err != nil {
		return &Error{Channel: m.Channel, Temp: true, Err: err}
	}
	if strings.TrimSpace(m.To) == "" {
		return &Error{Channel: m.Channel, Err: epilogue.Invalid("to", "is required")}
	}
	e := OutboxEntry{WrittenAt: o.clock.Now().UTC(), ShopID: m.ShopID, Message: m}
	if m.Channel == epilogue.ChannelEmail {
		domain := "localhost"
		if i := strings.LastIndexByte(m.From, '@'); i >= 0 {
			domain = strings.Trim(m.From[i+1:], "> ")
		}
		e.MessageID = MessageID(m, domain)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return &Error{Channel: m.Channel, Err: err}
	}
	if err := o.append(append(line, '\n')); err != nil {
		// A full or failing disk may recover; the message is not at fault.
		return &Error{Channel: m.Channel, Temp: true, Err: fmt.Errorf("outbox: %w", err)}
	}
	return nil
}

// append adds a line to the next batch and waits until it is written and synced. The first
// sender to find no write in progress writes every batch that forms meanwhile (group commit),
// so a burst of sends costs a few fsyncs, not one each.
func (o *Outbox) append(line []byte) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errors.New("closed")
	}
	b := o.next
	if b == nil {
		b = &outboxBatch{done: make(chan struct{})}
		o.next = b
	}
	b.buf = append(b.buf, line...)
	o.inflight.Add(1)
	defer o.inflight.Done()
	if o.flushing {
		o.mu.Unlock()
		<-b.done
		return b.err
	}
	o.flushing = true
	for o.next != nil {
		batch := o.next
		o.next = nil
		o.mu.Unlock()
		_, err := o.f.Write(batch.buf)
		if err == nil {
			err = o.f.Sync()
		}
		batch.err = err
		close(batch.done)
		o.mu.Lock()
	}
	o.flushing = false
	o.mu.Unlock()
	return b.err
}

// Close closes the file once pending writes are done; later sends fail as temporary.
func (o *Outbox) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	o.mu.Unlock()
	o.inflight.Wait()
	return o.f.Close()
}

// ReadOutbox reads an outbox file's entries, for the demo's mail viewer and for tests.
func ReadOutbox(r io.Reader) ([]OutboxEntry, error) {
	var out []OutboxEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		e := OutboxEntry{Message: &epilogue.Message{}}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("outbox line %d: %w", n, err)
		}
		e.Message.ShopID = e.ShopID
		out = append(out, e)
	}
	return out, sc.Err()
}
