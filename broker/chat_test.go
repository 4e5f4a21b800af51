package broker_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// A QoS 0 chat message is delivered before its history commit; when that
// commit fails the loss is counted and its cid released, so the sender's
// retry is stored instead of refused as a duplicate.
func TestUnsavedQoS0ChatIsCountedAndItsCIDReleased(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	lobby := topics.Room(topics.Lobby)
	bob.sub(lobby)

	// The store fails every insert into history, as a full disk would.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER fail_history BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}

	alice.pub(lobby, 0, `{"text":"lost","cid":"c-1"}`)
	if got := bob.expectChat(lobby); got.Text != "lost" {
		t.Fatalf("bob got %q", got.Text)
	}
	deadline := time.Now().Add(waitFor)
	for b.UnstoredChat() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("UnstoredChat = %d, want 1", b.UnstoredChat())
		}
		time.Sleep(10 * time.Millisecond)
	}

	if _, err := db.Exec(`DROP TRIGGER fail_history`); err != nil {
		t.Fatal(err)
	}
	alice.pub(lobby, 0, `{"text":"lost","cid":"c-1"}`) // the pet's retry of the same message
	if got := bob.expectChat(lobby); got.Text != "lost" {
		t.Fatalf("bob got %q", got.Text)
	}
	deadline = time.Now().Add(waitFor)
	for {
		msgs, err := b.Directory().Store().History(context.Background(), store.RoomConv(topics.Lobby), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 1 && msgs[0].CID == "c-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history %+v, want the retry of c-1 once", msgs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := b.UnstoredChat(); n != 1 {
		t.Errorf("UnstoredChat = %d after a stored retry, want 1", n)
	}
}
