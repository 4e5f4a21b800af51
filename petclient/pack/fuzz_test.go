package pack

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// FuzzManifest: the parser must never panic, and whatever it accepts must
// satisfy the invariants the rest of the pet relies on.
func FuzzManifest(f *testing.F) {
	def, err := os.ReadFile(filepath.Join("..", "..", "assets", "packs", DefaultID, ManifestFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	// The real manifest with one path made bad: only a complete manifest
	// gets as far as its paths being checked.
	for _, bad := range []string{"../stand_0.png", "/etc/passwd", "a/../../stand_0.png", "./stand_0.png", "a//b.png", `a\b.png`, "."} {
		f.Add(bytes.Replace(def, []byte("stand_0.png"), []byte(strconv.Quote(bad)), 1))
		f.Add(bytes.Replace(def, []byte("1: 1x"), []byte("1: "+strconv.Quote(bad)), 1))
	}
	for _, s := range []string{
		"",
		"name: x\nlicence: y\n",
		"name: [\n",
		"animations: {walk: {frames: [{image: ../../etc/passwd, duration_ms: 1}]}}",
		"scales: {.nan: 1x, -1: ../x, 1e308: y}",
		"behaviours: {walk: .inf, run: -.inf, sit: .nan}",
		"anchor: &a [*a]",
		"a: &a [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb: [*a, *a, *a, *a, *a, *a, *a, *a]",
		"!!binary AAAA",
		"---\nname: a\n---\nname: b\n",
		"animations:\n  walk:\n    frames:\n      - {image: a.png, duration_ms: 99999999999999999999}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if m != nil {
				t.Fatal("manifest returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, name := range engine.RequiredAnimations {
			if a, ok := m.Animations[name]; !ok || len(a.Frames) == 0 {
				t.Fatalf("accepted without %q", name)
			}
		}
		for name, a := range m.Animations {
			for _, fr := range a.Frames {
				if fr.DurationMS < MinDurationMS || fr.DurationMS > MaxDurationMS {
					t.Fatalf("accepted duration %d", fr.DurationMS)
				}
				if !insidePack(fr.Image) {
					t.Fatalf("accepted image path %q in %s", fr.Image, name)
				}
			}
		}
		for s, dir := range m.Scales {
			if dir != "." && !insidePack(dir) { // "." is the pack directory itself
				t.Fatalf("accepted scale %v directory %q", s, dir)
			}
		}
		for k, w := range m.weights() {
			if !finite(w) || w < 0 {
				t.Fatalf("accepted weight %s=%v", k, w)
			}
		}
		_ = m.engineAnimations()
	})
}

// insidePack is the rule for a pack's paths, stated apart from the parser's
// checkRelPath: slash-separated, already clean, and naming something below
// the pack directory once joined to it.
func insidePack(p string) bool {
	const root = "/pack"
	return p != "" && !strings.Contains(p, "\\") && !path.IsAbs(p) && path.Clean(p) == p &&
		strings.HasPrefix(path.Join(root, p), root+"/")
}
