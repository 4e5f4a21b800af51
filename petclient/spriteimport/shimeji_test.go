package spriteimport

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func TestParseActionsJapaneseAndBadXML(t *testing.T) {
	jp := `<?xml version="1.0" encoding="UTF-8"?><マスコット><動作 名前="歩く"><アニメーション>
<ポーズ 画像="/shime2.png" 基準座標="64,128" 長さ="3"/></アニメーション></動作></マスコット>`
	got, err := ParseActions("actions.xml", []byte(jp))
	if err != nil {
		t.Fatal(err)
	}
	if p := got["歩く"]; len(p) != 1 || p[0].Image != "shime2.png" || p[0].Duration != 120*time.Millisecond || *p[0].Anchor != [2]int{64, 128} {
		t.Fatalf("got %+v", got)
	}
	deep := strings.Repeat("<a>", MaxXMLDepth+1) + strings.Repeat("</a>", MaxXMLDepth+1)
	for _, c := range []struct{ name, xml, want string }{
		{"entities", `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><m>&b;</m>`, "entities"},
		{"undeclared entity", `<m>&lol;</m>`, "not valid XML"},
		{"deep", deep, "deeper"},
		{"truncated", `<Mascot><Action Name="Walk"><Animation><Pose Image="/shime1.png"`, "not valid XML"},
		{"bad anchor", `<Action Name="Walk"><Animation><Pose Image="/shime1.png" ImageAnchor="x"/></Animation></Action>`, "anchor"},
		{"not png", `<Action Name="Walk"><Animation><Pose Image="/shime1.bmp"/></Animation></Action>`, ".png"},
		{"huge", "<m>" + strings.Repeat(" ", MaxXMLBytes) + "</m>", "too large"},
	} {
		_, err := ParseActions("conf/actions.xml", []byte(c.xml))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "conf/actions.xml: ") {
			t.Errorf("%s: got %v, want an error naming the file with %q", c.name, err, c.want)
		}
	}
}

// jpActions is the original Shimeji's Japanese-tag actions.xml, with the
// declaration left for the test to fill in.
const jpActions = `<マスコット><動作 名前="歩く"><アニメーション>
<ポーズ 画像="/shime2.png" 基準座標="64,128" 長さ="3"/></アニメーション></動作></マスコット>`

func encodeXML(t testing.TB, enc encoding.Encoding, text string) []byte {
	b, err := enc.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseActionsEncodings(t *testing.T) {
	decl := func(e string) string { return `<?xml version="1.0" encoding="` + e + `"?>` + "\n" }
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	cn := `<!-- 汉化版 --><Mascot><Action Name="走路"><Animation>
<Pose Image="/shime2.png" ImageAnchor="64,128" Duration="3"/></Animation></Action></Mascot>`
	for _, c := range []struct {
		name, action string
		data         []byte
	}{
		{"Shift_JIS declared", "歩く", encodeXML(t, japanese.ShiftJIS, decl("Shift_JIS")+jpActions)},
		{"windows-31j declared", "歩く", encodeXML(t, japanese.ShiftJIS, decl("windows-31j")+jpActions)},
		{"Shift_JIS undeclared", "歩く", encodeXML(t, japanese.ShiftJIS, jpActions)},
		{"EUC-JP declared", "歩く", encodeXML(t, japanese.EUCJP, decl("EUC-JP")+jpActions)},
		{"GBK declared", "歩く", encodeXML(t, simplifiedchinese.GBK, decl("GBK")+`<!-- 中文汉化：走路 -->`+jpActions)},
		{"GB18030 declared", "歩く", encodeXML(t, simplifiedchinese.GB18030, decl("GB18030")+`<!-- 简体中文 -->`+jpActions)},
		{"UTF-16 with BOM", "歩く", encodeXML(t, utf16le, decl("UTF-16")+jpActions)},
		{"GBK undeclared", "走路", encodeXML(t, simplifiedchinese.GBK, cn)},
	} {
		got, err := ParseActions("conf/actions.xml", c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p := got[c.action]; len(p) != 1 || p[0].Image != "shime2.png" || p[0].Duration != 120*time.Millisecond || *p[0].Anchor != [2]int{64, 128} {
			t.Errorf("%s: got %+v", c.name, got)
		}
	}
	// Unknown names and undeclared bytes that read as no Shimeji file keep
	// the caller's warning-and-fallback, naming the file and the encoding.
	for _, c := range []struct{ name, xml, want string }{
		{"unknown", decl("x-mac-klingon") + `<Mascot/>`, `is in encoding "x-mac-klingon"`},
		{"UTF-8 declared, Shift_JIS bytes", string(encodeXML(t, japanese.ShiftJIS, decl("UTF-8")+jpActions)), "not valid XML"},
		{"undeclared, bytes of no encoding", "<m>\xff\xfe\xfd</m>", "not valid XML"},
		{"undeclared, no Shimeji tags", "<m>\x82\xa0</m>", "not valid XML"},
	} {
		_, err := ParseActions("conf/actions.xml", []byte(c.xml))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "conf/actions.xml: ") {
			t.Errorf("%s: got %v, want an error naming the file with %q", c.name, err, c.want)
		}
	}
}
