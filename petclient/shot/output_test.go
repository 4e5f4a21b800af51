package shot

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 5, 7, 0, time.Local)
	if got := FileName(at); got != "Tachikoma_2026-12-06_09-05-07.png" {
		t.Errorf("FileName = %q", got)
	}
}

func TestDefaultDir(t *testing.T) {
	files := map[string]string{}
	env := Env{
		Getenv: func(k string) string {
			return map[string]string{"HOME": "/home/mei", "XDG_CONFIG_HOME": "/cfg"}[k]
		},
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
	}
	for _, tc := range []struct{ dirs, want string }{
		{"", "/home/mei/Pictures/Screenshots"}, // no user-dirs.dirs
		{"# comment\nXDG_PICTURES_DIR=\"$HOME/图片\"\n", "/home/mei/图片/Screenshots"},
		{"XDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_PICTURES_DIR=\"/data/pics\"\n", "/data/pics/Screenshots"},
		{"XDG_PICTURES_DIR=\"$HOME/\"\n", "/home/mei/Pictures/Screenshots"}, // disabled entry
	} {
		delete(files, "/cfg/user-dirs.dirs")
		if tc.dirs != "" {
			files["/cfg/user-dirs.dirs"] = tc.dirs
		}
		got, err := DefaultDir(env)
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.dirs, got, err, tc.want)
		}
	}
	// A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
	files["/home/mei/.config/user-dirs.dirs"] = "XDG_PICTURES_DIR=\"$HOME/图片\"\n"
	env.Getenv = func(k string) string { return map[string]string{"HOME": "/home/mei", "XDG_CONFIG_HOME": "cfg"}[k] }
	if got, err := DefaultDir(env); err != nil || got != "/home/mei/图片/Screenshots" {
		t.Errorf("relative XDG_CONFIG_HOME: %q, %v", got, err)
	}
	for _, home := range []string{"", "mei"} {
		env.Getenv = func(k string) string { return map[string]string{"HOME": home}[k] }
		if _, err := DefaultDir(env); err == nil || !strings.Contains(err.Error(), "HOME") {
			t.Errorf("HOME=%q: %v", home, err)
		}
	}
}

func TestSaveNewWritesPNG(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Pictures", "Screenshots")
	img := pattern(image.Rect(0, 0, 30, 20))
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.Local)
	p1, err := SaveNew(OSFS{}, dir, at, img)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := SaveNew(OSFS{}, dir, at, img)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p1) != "Tachikoma_2026-12-06_20-00-00.png" || filepath.Base(p2) != "Tachikoma_2026-12-06_20-00-00_2.png" {
		t.Fatalf("paths %s %s", p1, p2)
	}
	f, err := os.Open(p2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 20; y++ {
		for x := 0; x < 30; x++ {
			if r, g, b, _ := got.At(x, y).RGBA(); uint8(r>>8) != uint8(x) || uint8(g>>8) != uint8(y) || uint8(b>>8) != uint8(x^y) {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 2 {
		t.Errorf("left behind: %v", names)
	}
}

func TestSaveUnwritableFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: a file where the folder should be fails for everyone.
		dir := t.TempDir()
		blocker := filepath.Join(dir, "Screenshots")
		os.WriteFile(blocker, []byte("x"), 0o644)
		err := SaveImage(OSFS{}, filepath.Join(blocker, "a.png"), pattern(image.Rect(0, 0, 2, 2)))
		if err == nil || !strings.Contains(err.Error(), "create folder "+blocker) {
			t.Fatalf("err = %v", err)
		}
	}
	fsys := &faultFS{createErr: &fs.PathError{Op: "open", Path: "/ro/x", Err: syscall.EACCES}}
	err := SaveImage(fsys, "/ro/a.png", pattern(image.Rect(0, 0, 2, 2)))
	if err == nil || !strings.Contains(err.Error(), "cannot write in /ro: not allowed to write there") {
		t.Fatalf("err = %v", err)
	}
}

// A full disk fails the write part-way: the error says so and neither the
// temporary file nor a half PNG is left.
func TestSaveDiskFull(t *testing.T) {
	dir := t.TempDir()
	fsys := &faultFS{limit: 200}
	path := filepath.Join(dir, "a.png")
	err := SaveImage(fsys, path, pattern(image.Rect(0, 0, 300, 300)))
	if err == nil || !strings.Contains(err.Error(), "the disk is full") || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v", err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
	// A failing rename removes the temporary file too.
	fsys = &faultFS{renameErr: syscall.EXDEV}
	if err := SaveImage(fsys, path, pattern(image.Rect(0, 0, 3, 3))); err == nil {
		t.Fatal("rename error lost")
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("left behind after rename failure: %v", names)
	}
}

// faultFS is the real file system with injected failures.
type faultFS struct {
	OSFS
	createErr error
	renameErr error
	limit     int // bytes a temporary file accepts before ENOSPC; 0 = no limit
}

func (f *faultFS) CreateTemp(dir, pattern string) (File, error) {
	if f.createErr != nil {
		return nil, f.createErr
	}
	file, err := os.CreateTemp(dir, pattern)
	if err != nil || f.limit == 0 {
		return file, err
	}
	return &fullFile{File: file, left: f.limit}, nil
}

func (f *faultFS) Rename(from, to string) error {
	if f.renameErr != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: f.renameErr}
	}
	return os.Rename(from, to)
}

type fullFile struct {
	*os.File
	left int
}

func (f *fullFile) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.File.Write(p[:f.left])
		f.left = 0
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.left -= len(p)
	return f.File.Write(p)
}

var _ io.Writer = (*fullFile)(nil)

// When a second's base name and all its numbered copies exist, SaveNew
// says so and replaces nothing (it used to overwrite the last copy).
func TestSaveNewAllNamesTaken(t *testing.T) {
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.Local)
	fsys := &takenFS{free: map[string]bool{}}
	if _, err := SaveNew(fsys, "/pics", at, pattern(image.Rect(0, 0, 2, 2))); err == nil ||
		!strings.Contains(err.Error(), "Tachikoma_2026-12-06_20-00-00.png and 999 numbered copies already exist") {
		t.Fatalf("err = %v", err)
	}
	if fsys.written != 0 {
		t.Errorf("%d files written over existing ones", fsys.written)
	}
	// The last free name is found, not skipped.
	fsys.free["/pics/Tachikoma_2026-12-06_20-00-00_1001.png"] = true
	fsys.free["/pics/Tachikoma_2026-12-06_20-00-00_1000.png"] = false
	if _, err := SaveNew(fsys, "/pics", at, pattern(image.Rect(0, 0, 2, 2))); err == nil {
		t.Fatal("a name past the limit was used")
	}
	fsys.free["/pics/Tachikoma_2026-12-06_20-00-00_1000.png"] = true
	p, err := SaveNew(fsys, "/pics", at, pattern(image.Rect(0, 0, 2, 2)))
	if err != nil || p != "/pics/Tachikoma_2026-12-06_20-00-00_1000.png" || fsys.written != 1 {
		t.Fatalf("SaveNew = %q, %v (written %d)", p, err, fsys.written)
	}
}

// takenFS has every file but the free ones; writes are counted, not made.
type takenFS struct {
	OSFS
	free    map[string]bool
	written int
}

func (f *takenFS) Link(from, to string) error {
	if !f.free[to] {
		return &os.LinkError{Op: "link", Old: from, New: to, Err: syscall.EEXIST}
	}
	f.written++
	return nil
}

func (f *takenFS) MkdirAll(string, fs.FileMode) error { return nil }

func (f *takenFS) CreateTemp(dir, pattern string) (File, error) {
	return os.CreateTemp("", pattern)
}

func (f *takenFS) Rename(from, to string) error {
	f.written++
	return os.Remove(from)
}

// Two saves in the same second used to both find the first name free and
// rename onto it, so one shot replaced the other; each must keep its own.
func TestSaveNewConcurrentSameSecond(t *testing.T) {
	for _, tc := range []struct {
		name    string
		linkErr error
	}{{"hard links", nil}, {"no hard links", syscall.EPERM}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.Local)
			fsys := &barrierFS{linkErr: tc.linkErr, arrived: make(chan struct{}, 2), release: make(chan struct{})}
			imgs := []*image.RGBA{image.NewRGBA(image.Rect(0, 0, 4, 4)), image.NewRGBA(image.Rect(0, 0, 4, 4))}
			for i, c := range []color.RGBA{{255, 0, 0, 255}, {0, 0, 255, 255}} {
				draw.Draw(imgs[i], imgs[i].Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
			}
			paths := make([]string, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range imgs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					paths[i], errs[i] = SaveNew(fsys, dir, at, imgs[i])
				}()
			}
			// Both saves are past their name check before either goes on.
			for range 2 {
				select {
				case <-fsys.arrived:
				case <-time.After(30 * time.Second):
					t.Fatal("saves did not start")
				}
			}
			close(fsys.release)
			wg.Wait()
			if errs[0] != nil || errs[1] != nil || paths[0] == paths[1] {
				t.Fatalf("saves: %q %v, %q %v", paths[0], errs[0], paths[1], errs[1])
			}
			for i, p := range paths {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				got, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if got.At(1, 1) != imgs[i].At(1, 1) {
					t.Errorf("%s holds %v, want its own %v", p, got.At(1, 1), imgs[i].At(1, 1))
				}
			}
			if names, _ := os.ReadDir(dir); len(names) != 2 {
				t.Errorf("folder holds %v", names)
			}
		})
	}
}

// barrierFS holds every temporary file's creation until the test releases it.
type barrierFS struct {
	OSFS
	linkErr          error
	arrived, release chan struct{}
}

func (f *barrierFS) CreateTemp(dir, pattern string) (File, error) {
	f.arrived <- struct{}{}
	<-f.release
	return os.CreateTemp(dir, pattern)
}

func (f *barrierFS) Link(from, to string) error {
	if f.linkErr != nil {
		return &os.LinkError{Op: "link", Old: from, New: to, Err: f.linkErr}
	}
	return os.Link(from, to)
}

// The file's extension names its format: .jpg gets JPEG bytes, not a PNG
// under a JPEG name; an extension we cannot write is refused up front.
func TestSaveFormatFromExtension(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{200, 30, 30, 255}}, image.Point{}, draw.Src)
	for _, tc := range []struct{ name, magic string }{
		{"截图.jpg", "\xff\xd8\xff"}, {"b.JPEG", "\xff\xd8\xff"}, {"c.png", "\x89PNG"}, {"no-extension", "\x89PNG"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := CheckFormat(path); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err := SaveImage(OSFS{}, path, img); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil || !strings.HasPrefix(string(data), tc.magic) {
			t.Errorf("%s starts %q (%v), want %q", tc.name, data[:min(4, len(data))], err, tc.magic)
		}
	}
	for _, name := range []string{"d.gif", "e.webp", "f.bmp"} {
		path := filepath.Join(dir, name)
		err := CheckFormat(path)
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), ".jpg") {
			t.Errorf("%s: %v, want a refusal naming it and what works", name, err)
		}
		if err := SaveImage(OSFS{}, path, img); err == nil {
			t.Errorf("%s saved", name)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left on disk: %v", name, err)
		}
	}
}
