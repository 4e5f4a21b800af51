package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupCarriesFilesAndRestores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, User{Name: "alice", Nickname: "爱丽丝", PWHash: "x"}); err != nil {
		t.Fatal(err)
	}
	// Committed: a backup holds what SQLite has, not the append queue.
	appendNow(t, st, Message{ID: mustID(t, st), Conv: RoomConv("lobby"), Sender: "alice", Nick: "爱丽丝", Text: "你好", TS: 1})
	if err := os.WriteFile(filepath.Join(dir, "token.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.db")
	// Taken while the store is open, as a running broker holds it.
	info, err := Backup(ctx, dir, file, "token.key", "absent.file")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Users != 1 || info.Messages != 1 || strings.Join(info.Files, ",") != "token.key" {
		t.Errorf("backup info %+v, want 1 user, 1 message, token.key", info)
	}
	if _, err := os.Stat(file + ".part"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
	to := filepath.Join(t.TempDir(), "new")
	if _, err := Restore(ctx, file, to, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(to, "token.key")); string(b) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("restored key %q", b)
	}
	rs, err := Open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	ms, err := rs.History(ctx, RoomConv("lobby"), 0, 10)
	if err != nil || len(ms) != 1 || ms[0].Text != "你好" {
		t.Errorf("restored history %+v, %v", ms, err)
	}
	var n int
	if err := rs.db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name = ?`, backupFiles).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the carried-files table stayed in the restored database")
	}
}

func TestCheckBackupRefusesForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE users (name TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := CheckBackup(context.Background(), path); err == nil || !strings.Contains(err.Error(), "not a Tachikoma backup: no table rooms") {
		t.Errorf("CheckBackup of a foreign database: %v", err)
	}
	to := t.TempDir()
	if _, err := Restore(context.Background(), path, to, true); err == nil {
		t.Errorf("Restore accepted a foreign database")
	}
	if entries, _ := os.ReadDir(to); len(entries) != 0 {
		t.Errorf("a refused restore wrote %d entries", len(entries))
	}
}
