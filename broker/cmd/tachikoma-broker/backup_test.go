package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupUnderChatLoad backs up a running broker while clients send QoS 1
// chat, restores the backup into a new data dir, and checks that every message
// acknowledged before the backup started is in the restored history and that
// the token key came along.
func TestBackupUnderChatLoad(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "alicepass1\n", "user", "add", "alice", "--data-dir", dir)
	addr := freePort(t)
	srv := startServer(t, dir, addr)

	load := startChatLoad(t, addr, 3, "备份", 10*time.Second, 10*time.Second)
	load.waitFor(t, 300)
	before := load.ackedSoFar()
	file := filepath.Join(t.TempDir(), "tachikoma-backup.db")
	out := mustRun(t, "", "backup", "--data-dir", dir, "--to", file)
	during := load.count() - len(before)
	load.end()
	if !strings.Contains(out, "token.key") {
		t.Errorf("backup output %q does not mention the token key", out)
	}
	srv.cmd.Process.Kill()
	srv.cmd.Wait()

	restored := filepath.Join(t.TempDir(), "restored")
	mustRun(t, "", "restore", file, "--data-dir", restored)
	want, _ := os.ReadFile(filepath.Join(dir, "token.key"))
	got, err := os.ReadFile(filepath.Join(restored, "token.key"))
	if err != nil || len(want) != 32 || !bytes.Equal(got, want) {
		t.Errorf("restored token key %x (%v), want the original %x", got, err, want)
	}
	addr2 := freePort(t)
	startServer(t, restored, addr2)
	stored := historyCIDs(t, addr2, "alice", "alicepass1")
	if missing := missingFrom(stored, before); missing > 0 {
		t.Fatalf("%d of %d messages acknowledged before the backup are missing from the restored history", missing, len(before))
	}
	t.Logf("%d acknowledged before the backup, %d during it; restored history holds %d", len(before), during, len(stored))
}

// TestBackupRestoreErrors checks the clear refusals: a missing data dir, an
// unwritable target, a file that is not a backup, a non-empty data dir.
func TestBackupRestoreErrors(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "alicepass1\n", "user", "add", "alice", "--data-dir", dir)
	file := filepath.Join(t.TempDir(), "b.db")
	mustRun(t, "", "backup", "--data-dir", dir, "--to", file)
	notDir := writeFile(t, "just a file")
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "notes.txt"), []byte("keep me"), 0o600)
	for _, c := range []struct {
		want string
		args []string
	}{
		{"data dir " + filepath.Join(dir, "missing") + ": no such file", []string{"backup", "--data-dir", filepath.Join(dir, "missing"), "--to", filepath.Join(t.TempDir(), "x.db")}},
		{"holds no database", []string{"backup", "--data-dir", t.TempDir(), "--to", filepath.Join(t.TempDir(), "x.db")}},
		{"cannot write the backup to " + notDir + "/x.db: not a directory", []string{"backup", "--data-dir", dir, "--to", notDir + "/x.db"}},
		{"--to FILE is required", []string{"backup", "--data-dir", dir}},
		{"is not a Tachikoma backup: file is not a database", []string{"restore", notDir, "--data-dir", t.TempDir()}},
		{"no such file", []string{"restore", filepath.Join(dir, "nope.db"), "--data-dir", t.TempDir()}},
		{"is not empty", []string{"restore", file, "--data-dir", full}},
	} {
		out, err := run(t, "", c.args...)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: err=%v out=%q, want an error containing %q", c.args, err, out, c.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(full, "notes.txt")); string(b) != "keep me" {
		t.Errorf("a refused restore touched the data dir")
	}
	mustRun(t, "", "restore", file, "--data-dir", full, "--force")
	if out := mustRun(t, "", "user", "list", "--data-dir", full); !strings.Contains(out, "alice") {
		t.Errorf("forced restore: user list = %q", out)
	}
}
