package web

import (
	"os"
	"os/exec"
	"regexp"
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

// The committed MQTT.js is the version scripts/fetch-mqttjs.sh fetches, with
// its MIT licence beside it.
func TestVendoredMQTTJS(t *testing.T) {
	script, err := os.ReadFile("../../scripts/fetch-mqttjs.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^version=([0-9.]+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("no version= in scripts/fetch-mqttjs.sh")
	}
	bundle, err := static.ReadFile("static/vendor/mqtt.min.js")
	if err != nil || !strings.Contains(string(bundle), `"`+string(m[1])+`"`) {
		t.Errorf("vendor/mqtt.min.js is not MQTT.js %s (%v)", m[1], err)
	}
	licence, err := static.ReadFile("static/vendor/mqtt.LICENSE.md")
	if err != nil || !strings.HasPrefix(string(licence), "The MIT License") || !strings.Contains(string(licence), "MQTT.js contributors") {
		t.Errorf("vendor/mqtt.LICENSE.md is not MQTT.js's MIT licence (%v)", err)
	}
}
