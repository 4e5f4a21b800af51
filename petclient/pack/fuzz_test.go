package pack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// FuzzManifest: the parser must never panic, and whatever it accepts must
// satisfy the invariants the rest of the pet relies on.
func FuzzManifest(f *testing.F) {
	if def, err := os.ReadFile(filepath.Join("..", "..", "assets", "packs", DefaultID, ManifestFile)); err == nil {
		f.Add(def)
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
			a, ok := m.Animations[name]
			if !ok || len(a.Frames) == 0 {
				t.Fatalf("accepted without %q", name)
			}
			for _, fr := range a.Frames {
				if fr.DurationMS < MinDurationMS || fr.DurationMS > MaxDurationMS {
					t.Fatalf("accepted duration %d", fr.DurationMS)
				}
				if checkRelPath(fr.Image) != nil {
					t.Fatalf("accepted image path %q", fr.Image)
				}
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
