package broker_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	paho "github.com/eclipse/paho.mqtt.golang"

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

// A notice about a refused publish and the reply to a request past the rate
// are queued for every session of the user, like any event: they must not
// echo a topic or an id as long as the packet allows, which let one user
// park max_queued such copies of up to max_packet_bytes in the broker for
// as long as its sessions live.
func TestRefusalEchoesAreBounded(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 0.01, 1
	b := startBroker(t, cfg)
	register(t, b, "alice")
	a := connect(t, b, "alice")
	a.sub(topics.Events("alice"), topics.Replies("alice"))
	long := strings.Repeat("x", 60_000)

	a.pub("tachikoma/users/bob/events/"+strings.Repeat("字", 20_000), 1, "hi")
	notice := a.expect(topics.Events("alice")).Payload()
	if n := len(notice); n > 1024 {
		t.Errorf("notice of a refused publish to a long topic has %d bytes", n)
	}
	var ev topics.Event
	if err := json.Unmarshal(notice, &ev); err != nil || !strings.Contains(ev.Text, "字字") || strings.ContainsRune(ev.Text, utf8.RuneError) {
		t.Errorf("notice %q: want the topic's start, cut between characters (%v)", notice, err)
	}

	a.pub(topics.Requests("alice"), 1, `{"id":"r1","method":"profile.get"}`) // the burst
	a.pub(topics.Requests("alice"), 1, `{"id":"`+long+`","method":"profile.get"}`)
	for {
		var m paho.Message
		select {
		case m = <-a.replies:
		case <-time.After(waitFor):
			t.Fatal("no reply to a request past the rate")
		}
		var r topics.Reply
		if err := json.Unmarshal(m.Payload(), &r); err != nil {
			t.Fatal(err)
		}
		if r.ID == "r1" {
			continue
		}
		if r.Error == nil || r.Error.Code != topics.CodeTooMany {
			t.Fatalf("request past the rate answered %s", m.Payload())
		}
		if n := len(m.Payload()); n > topics.MaxRequestBytes {
			t.Errorf("reply to a request past the rate has %d bytes, more than a request may", n)
		}
		break
	}
}

// A resend of a QoS 1 message (same cid, after a reconnect) that arrives
// while the first copy is still being committed is acknowledged only once
// that copy is in history: acknowledged at once, it was lost when that
// commit then failed (a full disk), though its sender had its PUBACK.
func TestResentCIDAckedOnlyOnceStored(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	register(t, b, "alice", "bob")
	lobby := topics.Room(topics.Lobby)
	bob := connect(t, b, "bob")
	bob.sub(lobby)
	first := connect(t, b, "alice")
	resend, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-after-reconnect")
	if err != nil {
		t.Fatal(err)
	}

	first.pub(lobby, 1, `{"text":"ids reserved"}`)
	bob.expectChat(lobby)

	// Another writer holds the database, so the first copy's commit waits.
	lock := holdDatabase(t, dir)
	msg := `{"text":"only once, 只一次","cid":"c-42"}`
	firstTok := first.c.Publish(lobby, 1, false, msg)
	bob.expectChat(lobby) // delivered: the first copy is accepted, its commit waiting
	resendTok := resend.c.Publish(lobby, 1, false, msg)
	if resendTok.WaitTimeout(500 * time.Millisecond) {
		t.Fatalf("the resend was acknowledged (%v) while the first copy was not stored", resendTok.Error())
	}
	// That commit fails, as on a full disk.
	if _, err := lock.ExecContext(context.Background(), `CREATE TRIGGER fail_history BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]paho.Token{"first copy": firstTok, "resend": resendTok} {
		if tok.WaitTimeout(waitFor) && tok.Error() == nil {
			t.Errorf("the %s was acknowledged, yet history could not take it", name)
		}
	}
	msgs, err := b.Directory().Store().History(context.Background(), store.RoomConv(topics.Lobby), 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("history %+v (%v), want only the first message", msgs, err)
	}
}
