package postgres

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/broker/store/storetest"
)

// pg is the package's PostgreSQL server, started by the first test.
var pg pgtest.Lazy

func TestMain(m *testing.M) { os.Exit(pg.Main(m)) }

func TestConformance(t *testing.T) {
	s := pg.Need(t)
	storetest.Run(t, func(t testing.TB) func() (store.Store, error) {
		url := s.NewDB(t)
		return func() (store.Store, error) { return Open(context.Background(), url) }
	})
}

// TestMigrations: nodes starting together on an empty database take turns
// making the schema, and a database from a newer broker is refused.
func TestMigrations(t *testing.T) {
	url := pg.Need(t).NewDB(t)
	ctx := context.Background()
	const nodes = 3
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	rows, _ := stores[0].pool.Query(ctx, `SELECT version FROM schema_versions ORDER BY version`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != len(migrations)-1 || versions[len(versions)-1] != len(migrations)-1 {
		t.Fatalf("schema versions %v, want 1..%d once each", versions, len(migrations)-1)
	}
	if _, err := stores[0].pool.Exec(ctx, `INSERT INTO schema_versions(version) VALUES ($1)`, len(migrations)); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, url); err == nil || !strings.Contains(err.Error(), "upgrade the broker") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a newer schema: %v", err)
	}
}

// TestTimeouts: a database that stops answering fails calls after the
// timeout instead of hanging them, and the store works again once it is
// back.
func TestTimeouts(t *testing.T) {
	srv, err := pgtest.Start()
	if err != nil {
		pg.Need(t) // skips or fails as the shared server would
		t.Fatal(err)
	}
	defer srv.Stop()
	old := callTimeout
	callTimeout = 2 * time.Second
	defer func() { callTimeout = old }()
	ctx := context.Background()
	s, err := Open(ctx, srv.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(ctx, store.User{Name: "alice", PWHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	var getErr, idErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, getErr = s.GetUser(ctx, "alice")
		_, idErr = s.NextMessageID(ctx)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		srv.Resume()
		t.Fatal("calls to a frozen database hang")
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if getErr == nil || idErr == nil {
		t.Fatalf("with the database frozen: GetUser %v, NextMessageID %v", getErr, idErr)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := s.GetUser(ctx, "alice")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRefusesNonUTF8Database: Chinese names and messages need UTF8; a
// LATIN1 database is refused at start with what to do.
func TestRefusesNonUTF8Database(t *testing.T) {
	srv := pg.Need(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE DATABASE latin ENCODING 'LATIN1' LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, srv.URL("latin"))
	if err == nil {
		s.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "encoding is LATIN1") {
		t.Fatalf("Open on a LATIN1 database: %v", err)
	}
}

// TestRelationsMoveTheGeneration: a node tells the others of a friendship
// or membership it made through NATS, at most once; one that missed it (a
// node killed between its commit and the notice, a route down) must still
// catch up at its next poll of the generation.
func TestRelationsMoveTheGeneration(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pg.Need(t).NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, n := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, store.User{Name: n, Nickname: n, PWHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateRoom(ctx, store.Room{Name: "club", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"friend request", func() error { _, err := s.RequestFriend(ctx, "alice", "bob"); return err }},
		{"request dropped", func() error { return s.DropFriendRequest(ctx, "alice", "bob") }},
		{"friends", func() error { return s.MakeFriends(ctx, "alice", "bob") }},
		{"unfriended", func() error { return s.Unfriend(ctx, "alice", "bob") }},
		{"invite", func() error { return s.Invite(ctx, "club", "bob", "alice") }},
		{"join", func() error { return s.Join(ctx, "club", "bob") }},
		{"leave", func() error { return s.Leave(ctx, "club", "bob") }},
		{"nickname", func() error { return s.SetNickname(ctx, "bob", "小鲍") }},
	} {
		before, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if after, _ := s.Generation(ctx); after == before {
			t.Errorf("%s: the generation stayed %d", step.what, before)
		}
	}
}

// TestIDsAfterARestoreFromADump: pg_dump keeps the id sequence where it
// was at the dump; pets that saw the ids handed out after it drop any new
// message that comes with one of them again, so a store opened on the
// restored database must hand out ids past them.
func TestIDsAfterARestoreFromADump(t *testing.T) {
	srv := pg.Need(t)
	ctx := context.Background()
	url := srv.NewDB(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	send := func(s *Store) int64 {
		t.Helper()
		id, err := s.NextMessageID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.AppendMessage(store.Message{ID: id, Conv: store.RoomConv("lobby"), Sender: "alice", Nick: "a", Text: "嗨", TS: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
		return id
	}
	send(s)
	dump := filepath.Join(t.TempDir(), "dump")
	if out, err := exec.Command(pgBin(t, "pg_dump"), "-Fc", "-f", dump, url).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v: %s", err, out)
	}
	var last int64
	for range 5 {
		last = send(s) // delivered, then lost with the database
	}
	s.Close()
	restored := srv.NewDB(t)
	if out, err := exec.Command(pgBin(t, "pg_restore"), "-d", restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v: %s", err, out)
	}
	s, err = Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if id := send(s); id <= last {
		t.Fatalf("id %d after the restore; %d was handed out before it", id, last)
	}
}

// pgBin is the path of a PostgreSQL program beside the server's.
func pgBin(t *testing.T, name string) string {
	t.Helper()
	for _, d := range pgtest.BinDirs {
		if p := filepath.Join(d, name); exec.Command(p, "--version").Run() == nil {
			return p
		}
	}
	t.Fatalf("no %s in %v", name, pgtest.BinDirs)
	return ""
}
