package statefile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	w := New(path)
	s := State{PID: 1, Pets: []Pet{{ID: 1, X: 10, Anim: "walk"}}}
	if ok, err := w.Write(s); !ok || err != nil {
		t.Fatalf("first write: %v %v", ok, err)
	}
	if ok, _ := w.Write(s); ok {
		t.Fatal("unchanged state rewritten")
	}
	s.Pets[0].X = 11
	if ok, _ := w.Write(s); !ok {
		t.Fatal("change not written")
	}
	got, err := Read(path)
	if err != nil || got.Pets[0].X != 11 || got.Pets[0].Anim != "walk" {
		t.Fatalf("read back %+v %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp file left behind: %v", entries)
	}
}

func TestNilWriter(t *testing.T) {
	var w *Writer = New("")
	if ok, err := w.Write(State{}); ok || err != nil {
		t.Fatal("nil writer wrote")
	}
}
