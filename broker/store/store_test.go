package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestAccountsRoomsFriends(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, n := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, User{Name: n, Nickname: n, PWHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateUser(ctx, User{Name: "alice", PWHash: "h"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	if err := s.SetPassword(ctx, "ghost", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if err := s.CreateRoom(ctx, Room{Name: "club", Owner: "alice", Public: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRoom(ctx, Room{Name: "club"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate room: %v", err)
	}
	if err := s.MakeFriends(ctx, "bob", "alice"); err != nil {
		t.Fatal(err)
	}
	f, err := s.Friends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 1 || f[0] != (Pair{"alice", "bob"}) {
		t.Fatalf("friends %v", f)
	}
	// Deleting a user removes its relations.
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	f, err = s.Friends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 0 || len(m) != 0 {
		t.Fatalf("relations survive deletion: %v %v", f, m)
	}
}

func TestMessagesAndHistory(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	conv := RoomConv("lobby")
	for i := range 10 {
		c, err := s.AppendMessage(Message{ID: mustID(t, s), Conv: conv, Sender: "a", Text: fmt.Sprint(i), CID: fmt.Sprint("c", i)})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := c.Wait(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil { // flushes the messages appended without waiting
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page, err := s.History(context.Background(), conv, 0, 4)
	if err != nil || len(page) != 4 || page[0].Text != "9" || page[3].Text != "6" {
		t.Fatalf("first page %+v %v", page, err)
	}
	page, err = s.History(context.Background(), conv, page[3].ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 6 || page[5].Text != "0" {
		t.Fatalf("second page %+v", page)
	}
	if id := mustID(t, s); id <= 10 {
		t.Fatalf("next id after reopen %d, want more than 10", id)
	}
	if id, err := s.FindByCID(context.Background(), "a", "c3"); err != nil || id != 4 {
		t.Fatalf("FindByCID = %d, %v", id, err)
	}
	var cids []string
	if err := s.EachCID(context.Background(), "a", func(c string) bool { cids = append(cids, c); return true }); err != nil || len(cids) != 10 {
		t.Fatalf("EachCID: %v %v, want the 10 cids", cids, err)
	}
	n := 0
	if err := s.EachCID(context.Background(), "a", func(string) bool { n++; return n < 3 }); err != nil || n != 3 {
		t.Fatalf("EachCID went on after a stop: %d calls, %v", n, err)
	}
	if err := s.EachCID(context.Background(), "nobody", func(string) bool { t.Fatal("a cid for nobody"); return true }); err != nil {
		t.Fatal(err)
	}
	if a, b, ok := ConvPeers(DMConv("zed", "amy")); !ok || a != "amy" || b != "zed" {
		t.Fatalf("ConvPeers %s %s %v", a, b, ok)
	}
}

func TestGenerationCountsAdminChangesOnly(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gen := func() int64 {
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := gen()
	if err := s.CreateUser(ctx, User{Name: "amy", Nickname: "amy", PWHash: "h"}); err != nil {
		t.Fatal(err)
	}
	g1 := gen()
	if g1 == g0 {
		t.Fatal("a new account did not count")
	}
	// What the broker does all day must not make it reload.
	appendNow(t, s, Message{ID: mustID(t, s), Conv: RoomConv("lobby"), Sender: "amy", Text: "hi"})
	if err := s.SetLastSeen(ctx, "amy", 5); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNickname(ctx, "amy", "Amy"); err != nil {
		t.Fatal(err)
	}
	if gen() != g1 {
		t.Fatal("chat, last-seen or nickname changed the generation")
	}
	for _, change := range []func() error{
		func() error { return s.SetPassword(ctx, "amy", "h2") },
		func() error { return s.CreateRoom(ctx, Room{Name: "club"}) },
		func() error { return s.DeleteRoom(ctx, "club") },
		func() error { return s.DeleteUser(ctx, "amy") },
	} {
		before := gen()
		if err := change(); err != nil {
			t.Fatal(err)
		}
		if gen() == before {
			t.Fatal("an admin change did not count")
		}
	}
}

func TestSinceIDAndMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A database from before since_id existed.
	old, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE users (name TEXT PRIMARY KEY, nickname TEXT NOT NULL, pwhash TEXT NOT NULL,
		created INTEGER NOT NULL, last_seen INTEGER NOT NULL DEFAULT 0);
		INSERT INTO users(name, nickname, pwhash, created) VALUES ('old', 'old', 'h', 1);`); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("open an older database: %v", err)
	}
	defer s.Close()
	if u, err := s.GetUser(ctx, "old"); err != nil || u.SinceID != 0 {
		t.Fatalf("migrated user %+v %v", u, err)
	}
	conv := DMConv("old", "new")
	for i := range 3 {
		appendNow(t, s, Message{ID: mustID(t, s), Conv: conv, Sender: "old", Text: fmt.Sprint(i)})
	}
	if err := s.CreateUser(ctx, User{Name: "new", Nickname: "new", PWHash: "h"}); err != nil {
		t.Fatal(err)
	}
	u, err := s.GetUser(ctx, "new")
	if err != nil {
		t.Fatal(err)
	}
	if u.SinceID != 3 {
		t.Fatalf("new account's SinceID = %d, want the watermark 3", u.SinceID)
	}
	appendNow(t, s, Message{ID: mustID(t, s), Conv: conv, Sender: "old", Text: "after"})
	page, err := s.HistorySince(ctx, conv, 0, u.SinceID, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].Text != "after" {
		t.Fatalf("history since the account exists: %+v", page)
	}
}

// appendNow appends m and waits for its commit.
func appendNow(t *testing.T, s Store, m Message) {
	t.Helper()
	c, err := s.AppendMessage(m)
	if err == nil {
		err = c.Wait()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Delivery does not wait for the commit, so history must: a page read right
// after an append includes it.
func TestHistoryIncludesMessagesNotYetCommitted(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conv := RoomConv("lobby")
	for i := range 30 {
		if _, err := s.AppendMessage(Message{ID: mustID(t, s), Conv: conv, Sender: "a", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		page, err := s.History(context.Background(), conv, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 1 || page[0].Text != fmt.Sprint(i) {
			t.Fatalf("after appending %d the newest stored is %+v", i, page)
		}
	}
}

func mustID(t *testing.T, s Store) int64 {
	t.Helper()
	id, err := s.NextMessageID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestIDsHandedOutWhileCommitsFailStayUsed: while history cannot be written
// (a full disk) chat goes on, each message delivered with its id and never
// stored; however many there were, a reopened store must not hand those
// ids out again, since pets drop a message whose id they have seen.
func TestIDsHandedOutWhileCommitsFailStayUsed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for range 1<<20 + 1000 {
		if last, err = s.NextMessageID(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if id, err := s.NextMessageID(ctx); err != nil || id <= last {
		t.Fatalf("id %d (%v) after a reopen; %d was handed out before", id, err, last)
	}
}
