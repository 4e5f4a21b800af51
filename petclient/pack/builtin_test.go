package pack

import (
	"io/fs"
	"maps"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/tachikoma-pet/tachikoma/assets"
)

// openLog records the names a pack loader opens.
type openLog struct {
	fs.FS
	mu     sync.Mutex
	opened []string
}

func (o *openLog) Open(name string) (fs.File, error) {
	o.mu.Lock()
	o.opened = append(o.opened, name)
	o.mu.Unlock()
	return o.FS.Open(name)
}

// The built-in pack is validated in full here, so that the pet can load it
// from PNG headers of one set and agree with the full load.
func TestBuiltinLoadAgreesWithFullValidation(t *testing.T) {
	sub, err := fs.Sub(assets.Packs(), DefaultID)
	if err != nil {
		t.Fatal(err)
	}
	full, err := LoadFS(sub)
	if err != nil {
		t.Fatalf("built-in pack fails full validation: %v", err)
	}
	log := &openLog{FS: sub}
	light, err := loadBuiltin(log)
	if err != nil {
		t.Fatalf("loadBuiltin: %v", err)
	}
	if !maps.Equal(full.logical, light.logical) || light.FrameSize() != full.FrameSize() {
		t.Errorf("sizes differ: full %v, built-in %v", full.logical, light.logical)
	}
	if got, want := light.Scales(), full.Scales(); len(got) != len(want) {
		t.Errorf("scales %v, want %v", got, want)
	}
	smallest := light.sets[0].dir
	for _, name := range log.opened {
		if name != ManifestFile && !strings.HasPrefix(name, path.Clean(smallest)+"/") {
			t.Errorf("loading the built-in pack opened %s, outside the smallest set %s", name, smallest)
		}
	}
	if len(log.opened) < 2 {
		t.Errorf("opened only %v", log.opened)
	}
	if _, err := light.Frames("walk", 2); err != nil {
		t.Errorf("frames at 2x: %v", err)
	}
}
