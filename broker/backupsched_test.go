package broker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// TestScheduledBackups runs backups every second with keep: 2: after several
// have been made exactly the newest two remain, other files in the directory
// stay, and the newest restores with the chat sent before it.
func TestScheduledBackups(t *testing.T) {
	for _, bad := range []broker.BackupsConfig{{Every: broker.Duration(time.Millisecond), Keep: 2}, {Every: broker.Duration(time.Hour)}} {
		cfg := testConfig(t.TempDir())
		cfg.Backups = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "backups: every must be") {
			t.Errorf("backups %+v: %v", bad, err)
		}
	}
	dir := t.TempDir()
	cfg := testConfig(t.TempDir())
	cfg.Backups = broker.BackupsConfig{Every: broker.Duration(time.Second), Keep: 2, Dir: dir}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600)
	b := startBroker(t, cfg)
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	alice.pub(topics.Room(topics.Lobby), 1, `{"text":"定时备份"}`)

	base := "http://" + b.HTTPAddr()
	for deadline := time.Now().Add(60 * time.Second); scrape(t, base)[`tachikoma_backups_total{result="ok"}`] < 4; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 4 scheduled backups in 60 s: %v", scrape(t, base)[`tachikoma_backups_total{result="ok"}`])
		}
	}
	if m := scrape(t, base); m[`tachikoma_backups_total{result="failed"}`] != 0 || m["tachikoma_backup_last_success_timestamp_seconds"] < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("backup metrics: failed %v, last success %v", m[`tachikoma_backups_total{result="failed"}`], m["tachikoma_backup_last_success_timestamp_seconds"])
	}
	b.Close() // no backup half way through while the directory is read
	entries, _ := os.ReadDir(dir)
	var backups []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tachikoma-") && strings.HasSuffix(e.Name(), ".db") {
			backups = append(backups, e.Name())
		}
	}
	if len(backups) != 2 {
		t.Fatalf("%d backups kept (%v), want 2", len(backups), backups)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Error("retention deleted a file it did not write")
	}
	restored := t.TempDir()
	if _, err := broker.Restore(context.Background(), filepath.Join(dir, backups[1]), restored, false); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := st.History(context.Background(), store.RoomConv(topics.Lobby), 0, 10)
	if err != nil || len(ms) != 1 || ms[0].Text != "定时备份" {
		t.Errorf("restored history %+v, %v", ms, err)
	}
}

// A backup written over one of the data dir's own files (the database, its
// WAL, the token key), named directly or through a symlink, is refused:
// renamed over the live database it left the broker unable to start
// ("database disk image is malformed").
func TestBackupOverTheLiveDataIsRefused(t *testing.T) {
	cfg := testConfig(t.TempDir())
	b := startBroker(t, cfg)
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	lobby := topics.Room(topics.Lobby)
	alice.pub(lobby, 1, `{"text":"before"}`)
	link := filepath.Join(t.TempDir(), "data")
	if err := os.Symlink(cfg.DataDir, link); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(cfg.DataDir, store.FileName)
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{db, db + "-wal", filepath.Join(cfg.DataDir, store.TokenKeyFile), filepath.Join(link, store.FileName)} {
		if _, err := broker.Backup(context.Background(), cfg.DataDir, to); err == nil {
			t.Errorf("backup to %s was written", to)
		}
	}
	if after, err := os.Stat(db); err != nil || !os.SameFile(before, after) {
		t.Fatalf("the live database was replaced (%v)", err)
	}
	alice.pub(lobby, 1, `{"text":"after"}`)
	if _, err := broker.Backup(context.Background(), cfg.DataDir, filepath.Join(t.TempDir(), "ok.db")); err != nil {
		t.Fatalf("a backup elsewhere: %v", err)
	}
}
