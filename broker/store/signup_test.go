package store

import "testing"

// Codes arrive typed by hand, pasted from a chat, or typed in a Chinese
// input method's full-width mode; all of them are the one stored code.
func TestNormalInvite(t *testing.T) {
	for _, in := range []string{
		"abcd-efgh-jk23",
		"ABCD EFGH JK23\r\n",
		"ＡＢＣＤ－ＥＦＧＨ－ＪＫ２３",                 // full-width letters, digits and hyphen
		"ABCD\u3000EFGH\u00a0JK23\u200b", // ideographic, no-break and zero-width spaces
		"\ufeffABCD—EFGH–JK23",           // a byte-order mark; em and en dashes
	} {
		if got := NormalInvite(in); got != "ABCDEFGHJK23" {
			t.Errorf("NormalInvite(%q) = %q, want ABCDEFGHJK23", in, got)
		}
	}
}
