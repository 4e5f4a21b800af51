package spriteimport

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// xmlEncoding names the decoder for an XML declaration's encoding label,
// nil for UTF-8 and ASCII; ok is false for labels we cannot read.
func xmlEncoding(label string) (enc encoding.Encoding, ok bool) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return nil, true
	case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932":
		return japanese.ShiftJIS, true
	case "euc-jp", "eucjp", "x-euc-jp", "cseucpkdfmtjapanese":
		return japanese.EUCJP, true
	case "gbk", "gb2312", "cp936", "ms936", "windows-936", "x-gbk", "euc-cn", "csgb2312":
		return simplifiedchinese.GBK, true
	case "gb18030":
		return simplifiedchinese.GB18030, true
	}
	return nil, false
}

// utf16Bytes recognises UTF-16 by its byte-order mark or by a leading "<"
// (XML 1.0 appendix F), since encoding/xml cannot read the declaration in it.
func utf16Bytes(data []byte) encoding.Encoding {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(data, []byte("<\x00?\x00")):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case bytes.HasPrefix(data, []byte("\x00<\x00?")):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	return nil
}

// sniffedEncodings are tried, in order, on undeclared non-UTF-8 files:
// Japanese sets are Shift_JIS, Chinese re-packs GBK (a subset of GB18030).
var sniffedEncodings = []struct {
	name string
	enc  encoding.Encoding
}{{"Shift_JIS", japanese.ShiftJIS}, {"GB18030", simplifiedchinese.GB18030}}

// oddRunes counts what a wrong guess leaves: undecodable bytes, and the
// half-width katakana that GBK text turns into when read as Shift_JIS.
func oddRunes(text []byte) int {
	n := 0
	for _, r := range string(text) {
		if r == utf8.RuneError || r >= 0xff61 && r <= 0xff9f {
			n++
		}
	}
	return n
}
