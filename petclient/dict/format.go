package dict

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
)

// File layout, little-endian, every section 4-byte aligned:
//
//	header   magic "TKDICT\x00\x01", then 10 uint32: entries, forms, fuzzy,
//	         index offset, forms offset, fuzzy offset, blob offset, blob
//	         length, file size, CRC-32 of the header's first 44 bytes
//	index    entries × (uint32 blob offset of the headword, uint32 blob
//	         offset of the record), sorted by key
//	forms    forms × (uint32 blob offset of the inflected form's string,
//	         uint32 entry number | inflection kind << 24), sorted by form
//	fuzzy    fuzzy × (uint32 entry number, uint32 letterMask) of frequent
//	         words, by word length then frequency
//	blob     headwords, records, form strings, in that order
//
// Strings are uvarint-length prefixed. A record is five strings (phonetic,
// part-of-speech shares, Chinese translation, exchange, English definition),
// then collins, oxford, tags, frq and bnc as uvarints.
var magic = [8]byte{'T', 'K', 'D', 'I', 'C', 'T', 0, 1}

const (
	headerSize = 48
	maxEntries = 1 << 24 // entry numbers share 32 bits with the form kind
)

// ErrCorrupt is wrapped by every error about a damaged dictionary file.
var ErrCorrupt = errors.New("dictionary file is damaged")

// Tags is a set of exam word lists an entry belongs to.
type Tags uint16

// Exam word lists, as ECDICT's tag column names them.
const (
	TagZK    Tags = 1 << iota // 中考
	TagGK                     // 高考
	TagCET4                   // 四级
	TagCET6                   // 六级
	TagKY                     // 考研
	TagTOEFL                  // 托福
	TagIELTS                  // 雅思
	TagGRE                    // GRE
)

var tagNames = []struct {
	tag  Tags
	code string // ECDICT's spelling
	name string // what a student calls it
}{
	{TagZK, "zk", "中考"}, {TagGK, "gk", "高考"}, {TagCET4, "cet4", "CET-4"}, {TagCET6, "cet6", "CET-6"},
	{TagKY, "ky", "考研"}, {TagTOEFL, "toefl", "TOEFL"}, {TagIELTS, "ielts", "IELTS"}, {TagGRE, "gre", "GRE"},
}

// ParseTags reads ECDICT's space-separated tag column; unknown tags are ignored.
func ParseTags(s string) Tags {
	var t Tags
	for _, f := range strings.Fields(s) {
		for _, n := range tagNames {
			if f == n.code {
				t |= n.tag
			}
		}
	}
	return t
}

// Names lists the exam names in the set, easiest exam first.
func (t Tags) Names() []string {
	var out []string
	for _, n := range tagNames {
		if t&n.tag != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Entry is one dictionary entry.
type Entry struct {
	Word        string
	Phonetic    string // IPA-like, without slashes
	POS         string // ECDICT's shares, e.g. "n:46/v:54"
	Translation string // Chinese senses, one part of speech per line
	Exchange    string // inflections, e.g. "p:went/d:gone/i:going/3:goes"
	Definition  string // English senses (full dictionary only)
	Collins     int    // 0-5 stars
	Oxford      bool   // in the Oxford 3000
	Tags        Tags
	FRQ         int // rank in the contemporary corpus, 0: unknown
	BNC         int // rank in the British National Corpus, 0: unknown
}

// rank orders entries by how common they are (smaller is more common).
func (e *Entry) rank() int {
	r := 1 << 30
	if e.FRQ > 0 {
		r = e.FRQ
	}
	if e.BNC > 0 && e.BNC < r {
		r = e.BNC
	}
	return r
}

// Fold is the case-insensitive key entries are sorted and found by.
func Fold(s string) string { return strings.ToLower(s) }

func less(a, b string) int {
	if c := strings.Compare(Fold(a), Fold(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Inflection kinds of the exchange column.
const (
	KindPast       = 'p'
	KindParticiple = 'd'
	KindPresent    = 'i'
	KindThird      = '3'
	KindPlural     = 's'
	KindComparativ = 'r'
	KindSuperlativ = 't'
	KindLemma      = '0' // the word is an inflection of its lemma, kind unknown
)

// Exchange splits an exchange column into kind → form.
func Exchange(s string) map[byte]string {
	out := map[byte]string{}
	for _, part := range strings.Split(s, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok || len(k) != 1 || v == "" {
			continue
		}
		out[k[0]] = v
	}
	return out
}

// Build writes a dictionary file of entries. Entries may come in any order;
// duplicates (same word) keep the first. fuzzyRank bounds which words take
// part in typo correction (rank ≤ fuzzyRank, or an exam tag).
func Build(w io.Writer, entries []Entry, fuzzyRank int) error {
	es := slices.Clone(entries)
	slices.SortStableFunc(es, func(a, b Entry) int { return less(a.Word, b.Word) })
	es = slices.CompactFunc(es, func(a, b Entry) bool { return a.Word == b.Word })
	if len(es) >= maxEntries {
		return fmt.Errorf("dict: %d entries, at most %d fit", len(es), maxEntries-1)
	}
	byWord := make(map[string]int, len(es))
	for i := range es {
		if !strings.ContainsRune(es[i].Word, 0) {
			byWord[es[i].Word] = i
		}
	}

	// Headwords first and together: a binary search then touches only them,
	// not pages all over the records.
	var blob []byte
	index := make([]uint32, 0, 2*len(es))
	for i := range es {
		index = append(index, uint32(len(blob)), 0)
		blob = appendString(blob, es[i].Word)
	}
	for i := range es {
		index[2*i+1] = uint32(len(blob))
		blob = appendRecord(blob, &es[i])
	}

	type form struct {
		text  string
		entry int
		kind  byte
	}
	var forms []form
	seen := map[string]bool{}
	add := func(text string, entry int, kind byte) {
		if text == "" || text == es[entry].Word {
			return
		}
		k := text + "\x00" + es[entry].Word
		if seen[k] {
			return
		}
		seen[k] = true
		forms = append(forms, form{text, entry, kind})
	}
	for i := range es {
		ex := Exchange(es[i].Exchange)
		for _, kind := range []byte{KindPast, KindParticiple, KindPresent, KindThird, KindPlural, KindComparativ, KindSuperlativ} {
			if f, ok := ex[kind]; ok {
				add(f, i, kind)
			}
		}
	}
	// A form that is an entry naming its lemma ("went": 0:go) is found
	// through that entry at lookup; the table needs only the others.
	named := map[string]bool{}
	for i := range es {
		if lemma, ok := Exchange(es[i].Exchange)['0']; ok {
			named[es[i].Word+"\x00"+lemma] = true
		}
	}
	forms = slices.DeleteFunc(forms, func(f form) bool { return named[f.text+"\x00"+es[f.entry].Word] })
	slices.SortFunc(forms, func(a, b form) int {
		if c := less(a.text, b.text); c != 0 {
			return c
		}
		return a.entry - b.entry
	})
	formTab := make([]uint32, 0, 2*len(forms))
	strs := map[string]uint32{}
	for _, f := range forms {
		off, ok := strs[f.text]
		if !ok {
			off = uint32(len(blob))
			strs[f.text] = off
			blob = appendString(blob, f.text)
		}
		formTab = append(formTab, off, uint32(f.entry)|uint32(f.kind)<<24)
	}

	var fuzzy []uint32
	for i := range es {
		e := &es[i]
		if (e.rank() <= fuzzyRank || e.Tags != 0) && fuzzyWord(e.Word) {
			fuzzy = append(fuzzy, uint32(i))
		}
	}
	slices.SortStableFunc(fuzzy, func(a, b uint32) int {
		if c := len(es[a].Word) - len(es[b].Word); c != 0 {
			return c
		}
		return es[a].rank() - es[b].rank()
	})

	indexOff := uint32(headerSize)
	formsOff := indexOff + 4*uint32(len(index))
	fuzzyTab := make([]uint32, 0, 2*len(fuzzy))
	for _, e := range fuzzy {
		fuzzyTab = append(fuzzyTab, e, letterMask(es[e].Word))
	}
	fuzzyOff := formsOff + 4*uint32(len(formTab))
	blobOff := fuzzyOff + 4*uint32(len(fuzzyTab))
	size := uint64(blobOff) + uint64(len(blob))
	if size > 1<<32-1 {
		return fmt.Errorf("dict: %d bytes do not fit a 32-bit offset", size)
	}
	hdr := make([]byte, 0, headerSize)
	hdr = append(hdr, magic[:]...)
	for _, v := range []uint32{uint32(len(es)), uint32(len(forms)), uint32(len(fuzzy)),
		indexOff, formsOff, fuzzyOff, blobOff, uint32(len(blob)), uint32(size)} {
		hdr = binary.LittleEndian.AppendUint32(hdr, v)
	}
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.ChecksumIEEE(hdr))
	out := hdr
	for _, tab := range [][]uint32{index, formTab, fuzzyTab} {
		for _, v := range tab {
			out = binary.LittleEndian.AppendUint32(out, v)
		}
	}
	out = append(out, blob...)
	_, err := w.Write(out)
	return err
}

// letterMask is the set of letters in w (bits 0-25) and its length (bits
// 26-31): one edit changes at most two letters of the set, so masks rule
// out most typo candidates without reading them.
func letterMask(w string) uint32 {
	var m uint32
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 'a' && c <= 'z' {
			m |= 1 << (c - 'a')
		}
	}
	return m | uint32(min(len(w), 63))<<26
}

// fuzzyWord: only plain lowercase words are offered as typo corrections.
func fuzzyWord(w string) bool {
	if len(w) < 3 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendRecord(b []byte, e *Entry) []byte {
	for _, s := range []string{e.Phonetic, e.POS, e.Translation, e.Exchange, e.Definition} {
		b = appendString(b, s)
	}
	ox := 0
	if e.Oxford {
		ox = 1
	}
	for _, v := range []int{e.Collins, ox, int(e.Tags), e.FRQ, e.BNC} {
		b = binary.AppendUvarint(b, uint64(max(v, 0)))
	}
	return b
}
