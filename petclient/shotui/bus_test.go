package shotui

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// A bus caller's output replaces an existing file only when it says so.
func TestBusOutputKeepsExistingFiles(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "截图.png")
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
	// A name whose extension is no image format is refused, not filled
	// with PNG bytes.
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("keep me"), 0o644)
	if _, err := saveRequested(shot.OSFS{}, img, petbus.ShotRequest{Output: notes, Replace: true}, "", time.Now()); err == nil ||
		!strings.Contains(err.Error(), ".txt") {
		t.Fatalf("notes.txt: %v", err)
	}
	if data, _ := os.ReadFile(notes); string(data) != "keep me" {
		t.Fatalf("notes.txt was replaced: %q", data)
	}
}

// A failed save says where the image is: on the clipboard only when the
// fallback copy worked (it used to say so even when the copy failed).
func TestSaveFailedSaysWhereTheImageIs(t *testing.T) {
	disk := &os.PathError{Op: "write", Path: "/pics/a.png", Err: syscall.ENOSPC}
	for _, tc := range []struct {
		lang   i18n.Lang
		copied bool
		want   string
	}{
		{i18n.English, true, "(the image is on the clipboard instead)"},
		{i18n.English, false, "(copying the image to the clipboard failed too, so it was not kept)"},
		{i18n.Chinese, true, "（图片已改为复制到剪贴板）"},
		{i18n.Chinese, false, "（复制到剪贴板也失败了，图片没有保留下来）"},
	} {
		err := saveFailed(tc.lang, disk, tc.copied)
		if !strings.HasPrefix(err.Error(), disk.Error()) || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%v copied=%v: %q, want it to end %q", tc.lang, tc.copied, err, tc.want)
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("%v: the cause is lost: %v", tc.lang, err)
		}
	}
}
