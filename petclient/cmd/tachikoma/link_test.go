package main

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPetLinksNoDeadMethods builds the pet as the Makefile does and checks
// that the linker dropped GTK's unused methods: one reflective method lookup
// anywhere in the pet (text/template, godbus's Conn.Export) keeps every
// exported method of every type, and the idle pet's resident size with them.
func TestPetLinksNoDeadMethods(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the pet")
	}
	bin := filepath.Join(t.TempDir(), "tachikoma")
	if out, err := exec.Command("go", "build", "-tags", "nometrics", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var gtk uint64
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && strings.HasPrefix(s.Name, "github.com/gotk3/gotk3/gtk.") {
			gtk += s.Size
		}
	}
	if gtk == 0 || gtk > 1<<20 {
		t.Errorf("the pet links %d bytes of gotk3/gtk code: a reflective method call keeps all of GTK's methods", gtk)
	}
	t.Logf("gotk3/gtk code: %d bytes", gtk)
}
