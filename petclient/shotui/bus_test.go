package shotui

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// A bus caller's output replaces an existing file only when it says so.
func TestBusOutputKeepsExistingFiles(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(old, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	req := petbus.ShotRequest{Mode: petbus.ModeFull, Output: old}
	if _, err := saveRequested(shot.OSFS{}, img, req, "", time.Now()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("replace not asked: %v", err)
	}
	if data, _ := os.ReadFile(old); string(data) != "keep me" {
		t.Fatalf("the file was replaced: %q", data)
	}
	fresh := filepath.Join(dir, "new.png")
	if path, err := saveRequested(shot.OSFS{}, img, petbus.ShotRequest{Output: fresh}, "", time.Now()); err != nil || path != fresh {
		t.Fatalf("a new file: %q, %v", path, err)
	}
	req.Replace = true
	if path, err := saveRequested(shot.OSFS{}, img, req, "", time.Now()); err != nil || path != old {
		t.Fatalf("replace asked: %q, %v", path, err)
	}
	if data, _ := os.ReadFile(old); !strings.HasPrefix(string(data), "\x89PNG") {
		t.Fatalf("not replaced: %q", data)
	}
}
