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
