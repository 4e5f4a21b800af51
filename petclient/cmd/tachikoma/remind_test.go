package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/rofs"
	"github.com/tachikoma-pet/tachikoma/petclient/remind"
)

func remindRun(t *testing.T, path string, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := remindCmd(args, &out, &errb, path, func() time.Time { return now })
	return code, out.String(), errb.String()
}

// The command line works without a display: add, list, delete, focus, and
// bad input gets exit status 2 with a reason.
func TestRemindCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tachikoma", "reminders.json")
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, time.Local)

	if code, out, _ := remindRun(t, path, now, "20m", "drink water"); code != 0 || !strings.Contains(out, "reminder 1: today 17:20 (in 20m) drink water") {
		t.Fatalf("add: %d %q", code, out)
	}
	if code, out, _ := remindRun(t, path, now, "每天", "9:00", "背单词"); code != 0 || !strings.Contains(out, "every day 09:00 背单词") {
		t.Fatalf("add daily: %d %q", code, out)
	}
	if code, out, _ := remindRun(t, path, now, "18:30", "call mum"); code != 0 || !strings.Contains(out, "reminder 3") {
		t.Fatalf("add at: %d %q", code, out)
	}
	code, out, _ := remindRun(t, path, now, "list")
	if code != 0 || !strings.Contains(out, "drink water") || !strings.Contains(out, "背单词") || !strings.Contains(out, "today 18:30") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, _, _ := remindRun(t, path, now, "删除", "1"); code != 0 {
		t.Fatal("删除")
	}
	if code, _, errs := remindRun(t, path, now, "del", "1"); code != 1 || !strings.Contains(errs, "no such reminder: 1") {
		t.Fatalf("del twice: %d %q", code, errs)
	}
	if code, out, _ := remindRun(t, path, now, "focus", "50/10/30x3"); code != 0 || !strings.Contains(out, "focus 50 min, break 10 min, long break 30 min every 3") {
		t.Fatalf("focus: %d %q", code, out)
	}
	d, err := (&remind.Store{Path: path}).Load()
	if err != nil || len(d.Reminders) != 2 || d.Focus.Work != 50 {
		t.Fatalf("file: %+v %v", d, err)
	}

	for _, args := range [][]string{{}, {"soon", "x"}, {"25:00", "x"}, {"20m"}, {"del"}, {"del", "x"}, {"list", "extra"}} {
		if code, _, errs := remindRun(t, path, now, args...); code != 2 || errs == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a reason", args, code, errs)
		}
	}
	if code, _, errs := remindRun(t, path, now, "focus", "0/5"); code != 1 || !strings.Contains(errs, "focus of 0 minutes") {
		t.Errorf("bad focus: %d %q", code, errs)
	}
}

// A corrupt file is reported and kept aside, and the command still works.
func TestRemindCommandCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reminders.json")
	if err := os.WriteFile(path, []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := remindRun(t, path, time.Now(), "5m", "tea")
	if code != 0 || !strings.Contains(errs, "unreadable") || !strings.Contains(errs, ".bad-") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	bad, _ := filepath.Glob(path + ".bad-*")
	if len(bad) != 1 {
		t.Fatalf("bad file kept as %v", bad)
	}
}

// Listing needs no write access: a read-only data folder still lists, and
// adding says why it cannot.
func TestRemindListReadOnly(t *testing.T) {
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, time.Local)
	var path string
	rofs.Dir(t, func(dir string) {
		path = filepath.Join(dir, "tachikoma", "reminders.json")
		if code, _, errs := remindRun(t, path, now, "20m", "喝水"); code != 0 {
			t.Fatalf("add: %s", errs)
		}
	})
	if code, out, errs := remindRun(t, path, now, "list"); code != 0 || !strings.Contains(out, "喝水") {
		t.Fatalf("list on a read-only folder: exit %d %q %q", code, out, errs)
	}
	if code, _, errs := remindRun(t, path, now, "20m", "背单词"); code != 1 || !strings.Contains(errs, "cannot be written") {
		t.Fatalf("add on a read-only folder: exit %d %q", code, errs)
	}
}

// After midnight 明天 is the coming morning, and the confirmation names
// the date so the user sees which day was meant.
func TestRemindTomorrowAfterMidnight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tachikoma", "reminders.json")
	now := time.Date(2026, 12, 7, 0, 30, 0, 0, time.Local)
	code, out, errs := remindRun(t, path, now, "明天", "8点", "交作业")
	if want := "reminder 1: today 08:00 (Mon 12-07, in 7h30m) 交作业"; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("exit %d %q %q, want %q", code, out, errs, want)
	}
	// In the evening nothing changes: tomorrow is tomorrow, no date needed.
	code, out, _ = remindRun(t, path, now.Add(20*time.Hour), "明天", "8点", "交作业")
	if want := "reminder 2: tomorrow 08:00 (in 11h30m) 交作业"; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("evening: %q, want %q", out, want)
	}
}
