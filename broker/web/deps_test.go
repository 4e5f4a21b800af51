package web

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The pet links this package (it hosts the broker), and text/template's
// reflective method calls make the linker keep every method of every type
// in the program, GTK's thousands included.
func TestNoTemplatePackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, bad := range []string{"text/template", "html/template"} {
		if slices.Contains(deps, bad) {
			t.Errorf("broker/web depends on %s", bad)
		}
	}
}

// A pet hosting the broker must not read and hash the page's files at
// start: New defers that to the first request.
func TestNewReadsNothing(t *testing.T) {
	if allocs := testing.AllocsPerRun(5, func() { _, _ = New() }); allocs > 10 {
		t.Errorf("New made %v allocations: it read the files", allocs)
	}
	h, err := New()
	if err != nil || len(h.Version()) != 12 {
		t.Fatalf("New: %v, version %q", err, h.Version())
	}
}
