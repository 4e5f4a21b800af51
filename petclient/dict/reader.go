package dict

import (
	"fmt"
	"hash/crc32"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// Dict is an open dictionary file. Opening checks only the header and the
// section bounds (nothing is parsed or copied); every later read is bounds
// checked, so a damaged file gives errors wrapping ErrCorrupt, never a crash.
// A Dict is safe for concurrent use until Close.
type Dict struct {
	data     string // the whole file; strings so slicing never copies
	name     string
	n        int
	nForms   int
	nFuzzy   int
	indexOff int
	formsOff int
	fuzzyOff int
	blob     string
	unmap    func() error
}

// Open reads a dictionary held in memory (the embedded core, tests). name
// appears in errors.
func Open(data []byte, name string) (*Dict, error) {
	return open(string(data), name)
}

// openString opens data without copying it; data must outlive the Dict.
func openString(data, name string) (*Dict, error) { return open(data, name) }

func open(data, name string) (*Dict, error) {
	d := &Dict{data: data, name: name}
	if len(data) < headerSize {
		return nil, d.corrupt("%d bytes, shorter than the header", len(data))
	}
	if data[:8] != string(magic[:]) {
		return nil, fmt.Errorf("dictionary %s: not a Tachikoma dictionary (bad magic): %w", name, ErrCorrupt)
	}
	u := func(i int) int { return int(le32(data[8+4*i:])) }
	if crc32.ChecksumIEEE([]byte(data[:44])) != uint32(u(9)) {
		return nil, d.corrupt("header checksum mismatch")
	}
	d.n, d.nForms, d.nFuzzy = u(0), u(1), u(2)
	d.indexOff, d.formsOff, d.fuzzyOff = u(3), u(4), u(5)
	blobOff, blobLen, size := u(6), u(7), u(8)
	if size != len(data) {
		return nil, d.corrupt("%d bytes, the header says %d (truncated?)", len(data), size)
	}
	ok := d.n < maxEntries && d.nForms <= len(data)/8 && d.nFuzzy <= d.n &&
		d.indexOff == headerSize &&
		d.formsOff == d.indexOff+8*d.n &&
		d.fuzzyOff == d.formsOff+8*d.nForms &&
		blobOff == d.fuzzyOff+8*d.nFuzzy &&
		blobOff+blobLen == size
	if !ok {
		return nil, d.corrupt("section table out of bounds")
	}
	d.blob = data[blobOff:]
	return d, nil
}

// OpenFile maps a dictionary file into memory read-only: pages are loaded
// on demand and shared with the page cache, so an open dictionary costs
// only the pages lookups touch.
func OpenFile(path string) (*Dict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	size := fi.Size()
	if size < headerSize || size > 1<<32-1 {
		return nil, fmt.Errorf("dictionary %s: %d bytes, not a dictionary: %w", path, size, ErrCorrupt)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("dictionary %s: map: %w", path, err)
	}
	d, err := open(unsafe.String(&b[0], len(b)), path)
	if err != nil {
		syscall.Munmap(b)
		return nil, err
	}
	d.unmap = func() error { return syscall.Munmap(b) }
	return d, nil
}

// Close releases a mapped file; strings returned earlier stay valid (they
// are copies).
func (d *Dict) Close() error {
	if d.unmap == nil {
		return nil
	}
	u := d.unmap
	d.unmap = nil
	d.data, d.blob, d.n, d.nForms, d.nFuzzy = "", "", 0, 0, 0
	return u()
}

// Len is the number of entries.
func (d *Dict) Len() int { return d.n }

// Name is where the dictionary came from.
func (d *Dict) Name() string { return d.name }

func (d *Dict) corrupt(format string, args ...any) error {
	return fmt.Errorf("dictionary %s: %s: %w", d.name, fmt.Sprintf(format, args...), ErrCorrupt)
}

func (d *Dict) u32(off int) uint32 { return le32(d.data[off : off+4]) }

func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// recordOff is the blob offset of entry i's record (i < n, checked by callers).
func (d *Dict) recordOff(i int) int { return int(d.u32(d.indexOff + 8*i + 4)) }

// cursor decodes a record from the blob with bounds checks.
type cursor struct {
	s   string
	pos int
	bad bool
}

func (c *cursor) uvarint() int {
	var x uint64
	var shift uint
	for i := 0; i < 10; i++ {
		if c.pos >= len(c.s) {
			c.bad = true
			return 0
		}
		b := c.s[c.pos]
		c.pos++
		if b < 0x80 {
			x |= uint64(b) << shift
			if x > 1<<31 {
				c.bad = true
				return 0
			}
			return int(x)
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	c.bad = true
	return 0
}

func (c *cursor) str() string {
	n := c.uvarint()
	if c.bad || n > len(c.s)-c.pos {
		c.bad = true
		return ""
	}
	s := c.s[c.pos : c.pos+n]
	c.pos += n
	return s
}

// word returns entry i's headword without copying.
func (d *Dict) word(i int) (string, error) {
	c := cursor{s: d.blob, pos: int(d.u32(d.indexOff + 8*i))}
	w := c.str()
	if c.bad {
		return "", d.corrupt("entry %d is cut short", i)
	}
	return w, nil
}

// Entry decodes entry i (0 ≤ i < Len) into fresh strings.
func (d *Dict) Entry(i int) (Entry, error) {
	if i < 0 || i >= d.n {
		return Entry{}, fmt.Errorf("dictionary %s: no entry %d", d.name, i)
	}
	off := d.recordOff(i)
	if off >= len(d.blob) {
		return Entry{}, d.corrupt("entry %d points outside the file", i)
	}
	e, err := d.view(off, i)
	if err != nil {
		return Entry{}, err
	}
	if e.Word, err = d.word(i); err != nil {
		return Entry{}, err
	}
	for _, p := range []*string{&e.Word, &e.Phonetic, &e.POS, &e.Translation, &e.Exchange, &e.Definition} {
		*p = strings.Clone(*p)
	}
	return e, nil
}

// view decodes the record at off (entry i), all but the headword, with
// strings pointing into the file: valid only while the Dict is open.
func (d *Dict) view(off, i int) (Entry, error) {
	c := cursor{s: d.blob, pos: off}
	var e Entry
	for _, p := range []*string{&e.Phonetic, &e.POS, &e.Translation, &e.Exchange, &e.Definition} {
		*p = c.str()
	}
	e.Collins = c.uvarint()
	e.Oxford = c.uvarint() != 0
	e.Tags = Tags(c.uvarint())
	e.FRQ = c.uvarint()
	e.BNC = c.uvarint()
	if c.bad {
		return Entry{}, d.corrupt("entry %d is cut short", i)
	}
	return e, nil
}

// findFold returns the range [lo, hi) of entries whose folded word is key.
func (d *Dict) findFold(key string) (lo, hi int, err error) {
	search := func(after bool) (int, error) {
		a, b := 0, d.n
		for a < b {
			m := int(uint(a+b) >> 1)
			w, err := d.word(m)
			if err != nil {
				return 0, err
			}
			c := strings.Compare(Fold(w), key)
			if c < 0 || (after && c == 0) {
				a = m + 1
			} else {
				b = m
			}
		}
		return a, nil
	}
	if lo, err = search(false); err != nil {
		return 0, 0, err
	}
	if hi, err = search(true); err != nil {
		return 0, 0, err
	}
	return lo, hi, nil
}

// form is one row of the inflection table.
type form struct {
	entry int
	kind  byte
}

// forms returns the lemmas whose inflection folds to key.
func (d *Dict) forms(key string) ([]form, error) {
	text := func(i int) (string, error) {
		off := int(d.u32(d.formsOff + 8*i))
		if off >= len(d.blob) {
			return "", d.corrupt("inflection %d points outside the file", i)
		}
		c := cursor{s: d.blob, pos: off}
		s := c.str()
		if c.bad {
			return "", d.corrupt("inflection %d is cut short", i)
		}
		return s, nil
	}
	a, b := 0, d.nForms
	for a < b {
		m := int(uint(a+b) >> 1)
		s, err := text(m)
		if err != nil {
			return nil, err
		}
		if Fold(s) < key {
			a = m + 1
		} else {
			b = m
		}
	}
	var out []form
	for i := a; i < d.nForms && len(out) < 8; i++ {
		s, err := text(i)
		if err != nil {
			return nil, err
		}
		if Fold(s) != key {
			break
		}
		v := d.u32(d.formsOff + 8*i + 4)
		e := int(v & (maxEntries - 1))
		if e >= d.n {
			return nil, d.corrupt("inflection %d names entry %d of %d", i, e, d.n)
		}
		out = append(out, form{entry: e, kind: byte(v >> 24)})
	}
	return out, nil
}
