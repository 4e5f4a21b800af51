package spriteimport

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// tree is a folder or an archive of input files, addressed by slash paths.
type tree interface {
	label(name string) string // how errors name a file inside
	list() []string           // regular files, sorted
	read(name string, limit int) ([]byte, error)
}

// dirTree reads a folder through os.Root, so symlinks cannot lead outside it.
type dirTree struct {
	dir   string
	root  *os.Root
	files []string
	meter *meter
}

func openDir(dir string, m *meter) (*dirTree, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, errf(dir, "cannot be opened: %v", unwrapPath(err))
	}
	t := &dirTree{dir: dir, root: root, meter: m}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return errf(path.Join(dir, p), "cannot be read: %v", unwrapPath(err))
		}
		if d.IsDir() && strings.Count(p, "/") > 8 {
			return fs.SkipDir
		}
		if d.Type().IsRegular() {
			t.files = append(t.files, p)
			if len(t.files) > MaxEntries {
				return errf(dir, "holds more than %d files; point at the folder with the pictures", MaxEntries)
			}
		}
		return nil
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	sort.Strings(t.files)
	return t, nil
}

func (t *dirTree) label(name string) string { return path.Join(t.dir, name) }
func (t *dirTree) list() []string           { return t.files }
func (t *dirTree) read(name string, limit int) ([]byte, error) {
	f, err := t.root.Open(name)
	if err != nil {
		return nil, errf(t.label(name), "cannot be opened: %v", unwrapPath(err))
	}
	defer f.Close()
	return t.meter.readAll(t.label(name), f, limit)
}

// zipTree holds a zip whose entries were all checked when it was opened:
// safe names, sizes and compression ratios within the limits.
type zipTree struct {
	name    string
	zr      *zip.Reader
	entries map[string]*zip.File
	files   []string
	meter   *meter
	closer  io.Closer
}

func openZip(name string, m *meter) (*zipTree, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, errf(name, "cannot be opened: %v", unwrapPath(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, errf(name, "cannot be read: %v", unwrapPath(err))
	}
	if st.Size() > MaxArchiveBytes {
		f.Close()
		return nil, errf(name, "is too large (%d bytes, limit %d)", st.Size(), MaxArchiveBytes)
	}
	t, err := newZipTree(name, f, st.Size(), m)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.closer = f
	return t, nil
}

func newZipTree(name string, r io.ReaderAt, size int64, m *meter) (*zipTree, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, errf(name, "is not a valid zip: %v", err)
	}
	if len(zr.File) > MaxEntries {
		return nil, errf(name, "holds %d entries, limit %d", len(zr.File), MaxEntries)
	}
	t := &zipTree{name: name, zr: zr, entries: map[string]*zip.File{}, meter: m}
	legacy := legacyNames(zr.File)
	var claimed uint64
	for _, f := range zr.File {
		n := f.Name
		if !utf8.ValidString(n) {
			if n = legacy[f]; n == "" {
				continue
			}
		}
		if err := checkEntryName(n); err != nil {
			return nil, errf(name+"!"+n, "%v; the archive is refused", err)
		}
		if strings.HasSuffix(n, "/") || f.Mode().IsDir() {
			continue
		}
		if !f.Mode().IsRegular() {
			continue // symlinks and devices in an archive are never followed
		}
		if f.UncompressedSize64 > MaxFileBytes {
			return nil, errf(name+"!"+n, "unpacks to %d bytes, limit %d", f.UncompressedSize64, MaxFileBytes)
		}
		if f.UncompressedSize64 > 1<<20 && f.UncompressedSize64 > MaxZipRatio*max(1, f.CompressedSize64) {
			return nil, errf(name+"!"+n, "compresses %d times: refused as a zip bomb", f.UncompressedSize64/max(1, f.CompressedSize64))
		}
		claimed += f.UncompressedSize64
		if claimed > MaxTotalBytes {
			return nil, errf(name, "unpacks to more than %d bytes", MaxTotalBytes)
		}
		n = path.Clean(n)
		if _, dup := t.entries[n]; dup {
			return nil, errf(name+"!"+n, "appears twice in the archive")
		}
		t.entries[n] = f
		t.files = append(t.files, n)
	}
	sort.Strings(t.files)
	return t, nil
}

// legacyNames decodes the names that are not UTF-8 (zips from Windows'
// compressor and older tools use the system code page without saying so)
// with the one code page that reads all of them most plausibly; the names
// are then checked like any other.
func legacyNames(files []*zip.File) map[*zip.File]string {
	var raw []*zip.File
	for _, f := range files {
		if !utf8.ValidString(f.Name) {
			raw = append(raw, f)
		}
	}
	if len(raw) == 0 {
		return nil
	}
	var best map[*zip.File]string
	bestOdd := -1
	for _, c := range sniffedEncodings {
		names, odd := map[*zip.File]string{}, 0
		for _, f := range raw {
			n, err := c.enc.NewDecoder().String(f.Name)
			if err != nil {
				odd = -1
				break
			}
			names[f], odd = n, odd+oddRunes([]byte(n))
		}
		if odd >= 0 && (bestOdd < 0 || odd < bestOdd) {
			best, bestOdd = names, odd
		}
	}
	for f, n := range best {
		if strings.ContainsRune(n, utf8.RuneError) {
			delete(best, f) // still unreadable: skipped, as pictures we need are named readably
		}
	}
	return best
}

// checkEntryName refuses names that would leave an extraction directory.
func checkEntryName(n string) error {
	switch {
	case n == "":
		return errors.New("has an empty name")
	case strings.ContainsRune(n, '\\'):
		return errors.New("has a backslash in its name")
	case strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':'):
		return errors.New("has an absolute path")
	case strings.ContainsRune(n, 0):
		return errors.New("has a NUL in its name")
	}
	for _, el := range strings.Split(strings.TrimSuffix(n, "/"), "/") {
		if el == ".." {
			return errors.New("points outside the archive (..)")
		}
	}
	return nil
}

func (t *zipTree) label(name string) string { return t.name + "!" + name }
func (t *zipTree) list() []string           { return t.files }
func (t *zipTree) read(name string, limit int) ([]byte, error) {
	f, ok := t.entries[name]
	if !ok {
		return nil, errf(t.label(name), "is not in the archive")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errf(t.label(name), "cannot be unpacked: %v", err)
	}
	defer rc.Close()
	return t.meter.readAll(t.label(name), rc, limit)
}

// meter counts bytes read over one import; headers can lie, the count cannot.
type meter struct{ total int64 }

func (m *meter) readAll(label string, r io.Reader, limit int) ([]byte, error) {
	limit = min(limit, MaxFileBytes)
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, errf(label, "cannot be read: %v", unwrapPath(err))
	}
	if len(data) > limit {
		return nil, errf(label, "is too large (limit %d bytes)", limit)
	}
	if m != nil {
		m.total += int64(len(data))
		if m.total > MaxTotalBytes {
			return nil, errf(label, "takes the import over %d bytes read", MaxTotalBytes)
		}
	}
	if len(data) == 0 {
		return nil, errf(label, "is empty (0 bytes)")
	}
	return data, nil
}

func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return fmt.Sprint(err)
}
