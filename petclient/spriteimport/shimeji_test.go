package spriteimport

import (
	"strings"
	"testing"
	"time"
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
		{"shift_jis", `<?xml version="1.0" encoding="Shift_JIS"?><m/>`, "UTF-8"},
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
