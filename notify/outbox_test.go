package notify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

func TestOutboxConcurrentAppendsAreWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	o, err := notify.NewOutbox(path, epilogue.NewManualClock(created))
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := testMessage(fmt.Sprintf("w%d-%d", w, i))
				// Big enough that a torn write would show.
				m.HTML = fmt.Sprintf("<p>%0*d</p>", 8000, i)
				if err := o.Send(context.Background(), m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e notify.OutboxEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not JSON: %v", len(seen)+1, err)
		}
		if seen[e.IdempotencyKey] {
			t.Fatalf("%s written twice", e.IdempotencyKey)
		}
		seen[e.IdempotencyKey] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d lines, want %d", len(seen), writers*each)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("outbox mode = %v, want 0600: it holds customer addresses", fi.Mode().Perm())
	}
}

func TestOutboxEntriesReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	o, err := notify.NewOutbox(path, epilogue.NewManualClock(created))
	if err != nil {
		t.Fatal(err)
	}
	sms := smsMessage()
	for _, m := range []*epilogue.Message{testMessage("a"), sms} {
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Send(context.Background(), &epilogue.Message{Channel: epilogue.ChannelEmail}); notify.Temporary(err) || err == nil {
		t.Errorf("message without recipient: %v", err)
	}
	o.Close()
	if err := o.Send(context.Background(), testMessage("late")); !notify.Temporary(err) {
		t.Errorf("send after close: err = %v, want temporary", err)
	}

	// Reopening appends.
	o2, _ := notify.NewOutbox(path, epilogue.NewManualClock(created))
	o2.Send(context.Background(), testMessage("b"))
	o2.Close()

	f, _ := os.Open(path)
	defer f.Close()
	entries, err := notify.ReadOutbox(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3", len(entries))
	}
	e := entries[0]
	if e.ShopID != "shop_1" || e.ShopID != e.Message.ShopID || e.To != "ada@example.com" || e.HTML == "" ||
		!e.WrittenAt.Equal(created) || e.MessageID != notify.MessageID(testMessage("a"), "brew.example") {
		t.Errorf("entry = %+v", e)
	}
	if entries[1].Channel != epilogue.ChannelSMS || entries[1].MessageID != "" {
		t.Errorf("sms entry = %+v", entries[1])
	}
}

func BenchmarkOutbox(b *testing.B) {
	o, err := notify.NewOutbox(filepath.Join(b.TempDir(), "outbox.jsonl"), epilogue.SystemClock{})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		m := testMessage("bench")
		for pb.Next() {
			if err := o.Send(context.Background(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
