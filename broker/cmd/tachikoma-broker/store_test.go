package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
)

// pg is a PostgreSQL server started by the first test that needs one.
var pg pgtest.Lazy

// TestAdminCommandsOnPostgreSQL: --store points the admin commands at a
// PostgreSQL database, and they answer as they do on SQLite.
func TestAdminCommandsOnPostgreSQL(t *testing.T) {
	url := pg.Need(t).NewDB(t)
	sqlite := t.TempDir()
	for _, where := range [][]string{{"--store", url, "--data-dir", t.TempDir()}, {"--data-dir", sqlite}} {
		mustRun(t, "alicepass1\n", append([]string{"user", "add", "alice", "--nickname", "爱丽丝"}, where...)...)
		mustRun(t, "", append([]string{"room", "create", "books", "--title", "读书会"}, where...)...)
	}
	out := mustRun(t, "", "user", "list", "--store", url)
	if !strings.Contains(out, "alice") || !strings.Contains(out, "爱丽丝") {
		t.Fatalf("user list on PostgreSQL:\n%s", out)
	}
	if out := mustRun(t, "", "room", "list", "--store", url); !strings.Contains(out, "books") || !strings.Contains(out, "读书会") {
		t.Fatalf("room list on PostgreSQL:\n%s", out)
	}
	pgOut, pgErr := run(t, "alicepass1\n", "user", "add", "alice", "--store", url)
	sqOut, sqErr := run(t, "alicepass1\n", "user", "add", "alice", "--data-dir", sqlite)
	if pgErr == nil || sqErr == nil || pgOut != sqOut {
		t.Fatalf("a taken name: PostgreSQL says %q (%v), SQLite %q (%v)", pgOut, pgErr, sqOut, sqErr)
	}
	if out, err := run(t, "", "room", "del", "nowhere", "--store", url); err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("deleting a missing room: %v\n%s", err, out)
	}

	// backup and restore copy SQLite's file; they refuse a PostgreSQL store
	// and do not print its password.
	secret := "postgres://tachikoma:s3cret@127.0.0.1:1/tachikoma"
	for _, args := range [][]string{{"backup", "--to", filepath.Join(t.TempDir(), "b.db")}, {"restore", "b.db"}} {
		out, err := run(t, "", append(args, "--store", secret)...)
		if err == nil || !strings.Contains(out, "pg_dump") || strings.Contains(out, "s3cret") {
			t.Fatalf("%s on PostgreSQL: %v\n%s", args[0], err, out)
		}
	}
	if out, err := run(t, "", "user", "list", "--store", "mysql://x@y/z"); err == nil || !strings.Contains(out, "no mysql store") {
		t.Fatalf("an unknown store: %v\n%s", err, out)
	}
}
