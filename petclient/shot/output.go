package shot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// FileName is the name a shot taken at t is saved under.
func FileName(t time.Time) string {
	return t.Format("Tachikoma_2006-01-02_15-04-05") + ".png"
}

// Env is what DefaultDir reads from the environment; tests pass their own.
type Env struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

// OSEnv reads the real environment and files.
var OSEnv = Env{Getenv: os.Getenv, ReadFile: os.ReadFile}

// DefaultDir is $(xdg-user-dir PICTURES)/Screenshots: the PICTURES entry of
// user-dirs.dirs, or ~/Pictures when there is none.
func DefaultDir(env Env) (string, error) {
	home := env.Getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("HOME is not set: cannot find the Pictures folder (use --output)")
	}
	config, err := xdgdir.Config.HomeIn(env.Getenv)
	if err != nil {
		return "", err
	}
	pictures := filepath.Join(home, "Pictures")
	if data, err := env.ReadFile(filepath.Join(config, "user-dirs.dirs")); err == nil {
		if p, ok := userDir(data, "XDG_PICTURES_DIR", home); ok {
			pictures = p
		}
	}
	return filepath.Join(pictures, "Screenshots"), nil
}

// userDir reads one entry of user-dirs.dirs: shell-quoted, "$HOME/…" or
// absolute; an entry equal to $HOME means "not set" as xdg-user-dir treats it.
func userDir(data []byte, key, home string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	found := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		switch {
		case v == "$HOME" || v == "$HOME/":
			continue
		case strings.HasPrefix(v, "$HOME/"):
			found = filepath.Join(home, v[len("$HOME/"):])
		case filepath.IsAbs(v):
			found = filepath.Clean(v)
		}
	}
	return found, found != ""
}

// FS is the file system SaveImage writes through; tests inject failures.
type FS interface {
	MkdirAll(dir string, perm fs.FileMode) error
	CreateTemp(dir, pattern string) (File, error)
	Rename(from, to string) error
	Remove(name string) error
	Stat(name string) (fs.FileInfo, error)
	// Link and CreateExcl fail with fs.ErrExist when the name is taken.
	Link(from, to string) error
	CreateExcl(name string) (io.Closer, error)
}

// File is a temporary file being written.
type File interface {
	io.Writer
	Name() string
	Sync() error
	Close() error
	Chmod(fs.FileMode) error
}

// OSFS is the real file system.
type OSFS struct{}

func (OSFS) MkdirAll(dir string, perm fs.FileMode) error  { return os.MkdirAll(dir, perm) }
func (OSFS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }
func (OSFS) Rename(from, to string) error                 { return os.Rename(from, to) }
func (OSFS) Remove(name string) error                     { return os.Remove(name) }
func (OSFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (OSFS) Link(from, to string) error                   { return os.Link(from, to) }
func (OSFS) CreateExcl(name string) (io.Closer, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// encoderFor is the encoder the extension of path names; no extension is
// PNG, the screenshot's own format.
func encoderFor(path string) (func(io.Writer, image.Image) error, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case "", ".png":
		return encodePNG, nil
	case ".jpg", ".jpeg":
		return func(w io.Writer, img image.Image) error {
			return jpeg.Encode(w, img, &jpeg.Options{Quality: jpegQuality})
		}, nil
	default:
		return nil, fmt.Errorf("cannot save %s: %q is not an image format this can write; use .png or .jpg", path, ext)
	}
}

// encodePNG favours speed: screenshots are saved while the user waits.
var encodePNG = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode

// jpegQuality keeps text in screenshots readable.
const jpegQuality = 92

// CheckFormat says whether SaveImage can write the format path's extension
// names (.png, .jpg, .jpeg, or none for PNG).
func CheckFormat(path string) error {
	_, err := encoderFor(path)
	return err
}

// SaveImage writes img to path in the format its extension names (see
// CheckFormat), atomically: a temporary file in the same folder, synced,
// then renamed, so a failure never leaves half an image behind.
func SaveImage(fsys FS, path string, img image.Image) error {
	encode, err := encoderFor(path)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(fsys, path, img, encode)
	if err != nil {
		return err
	}
	if err := fsys.Rename(tmp, path); err != nil {
		fsys.Remove(tmp)
		return fmt.Errorf("save %s: %w", path, explain(err))
	}
	return nil
}

// writeTemp writes img, synced, to a temporary file beside path and returns
// its name; on failure nothing is left behind.
func writeTemp(fsys FS, path string, img image.Image, encode func(io.Writer, image.Image) error) (name string, err error) {
	dir := filepath.Dir(path)
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create folder %s: %w", dir, explain(err))
	}
	f, err := fsys.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("cannot write in %s: %w", dir, explain(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			fsys.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := encode(bw, img); err != nil {
		return "", fmt.Errorf("write %s: %w", path, explain(err))
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, explain(err))
	}
	if err := f.Chmod(0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", path, explain(err))
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, explain(err))
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, explain(err))
	}
	return f.Name(), nil
}

// maxSameSecond bounds the _2, _3… suffixes tried for one second's shots.
const maxSameSecond = 1000

// SaveNew saves img in dir under FileName(t), adding _2, _3… when shots
// taken in the same second would overwrite each other; it returns the path,
// and an error rather than replacing a file when every name is taken.
func SaveNew(fsys FS, dir string, t time.Time, img image.Image) (string, error) {
	base := strings.TrimSuffix(FileName(t), ".png")
	tmp, err := writeTemp(fsys, filepath.Join(dir, base+".png"), img, encodePNG)
	if err != nil {
		return "", err
	}
	defer fsys.Remove(tmp)
	for n := 1; n <= maxSameSecond; n++ {
		path := filepath.Join(dir, base+".png")
		if n > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s_%d.png", base, n))
		}
		err := claim(fsys, tmp, path)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("save %s: %w", path, explain(err))
		}
		return path, nil
	}
	return "", fmt.Errorf("save in %s: %s.png and %d numbered copies already exist; nothing was replaced", dir, base, maxSameSecond-1)
}

// claim gives the finished tmp the name path only if nobody holds it, so two
// saves in one second can never replace each other's file.
func claim(fsys FS, tmp, path string) error {
	err := fsys.Link(tmp, path)
	if err == nil || !noHardLinks(err) {
		return err
	}
	// FAT and some network shares have no hard links: an exclusive create
	// claims the name, then the finished file replaces the empty claim.
	f, err := fsys.CreateExcl(path)
	if err != nil {
		return err
	}
	f.Close()
	if err := fsys.Rename(tmp, path); err != nil {
		fsys.Remove(path)
		return err
	}
	return nil
}

// noHardLinks reports a link error meaning the file system cannot link.
func noHardLinks(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) ||
		errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EMLINK)
}

// explain adds the words a user understands to the errors they meet.
func explain(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("the disk is full: %w", err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("not allowed to write there: %w", err)
	}
	return err
}

// Grabber captures the whole screen in root device pixels.
type Grabber interface {
	Grab() (*image.RGBA, Layout, error)
}
