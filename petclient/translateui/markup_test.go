package translateui

import (
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/dict"
	"github.com/tachikoma-pet/tachikoma/petclient/translate"
)

func TestMarkup(t *testing.T) {
	word := translate.Answer{Text: "mice", Entries: []dict.Result{{
		Entry: dict.Entry{Word: "mouse", Phonetic: "maus", Translation: "n. 老鼠 <small>\nvt. 探出", Exchange: "s:mice",
			Tags: dict.TagCET4 | dict.TagIELTS},
		Match: dict.MatchLemma, Kind: dict.KindPlural, Query: "mice",
	}}}
	m := Markup(&word)
	for _, want := range []string{"<big>mouse</big>", "/maus/", "← mice（复数）", "n. 老鼠 &lt;small&gt;", "CET-4 · IELTS", "复数 mice"} {
		if !strings.Contains(m, want) {
			t.Errorf("word markup lacks %q:\n%s", want, m)
		}
	}

	sentence := translate.Answer{Text: "It rains & pours", Sentence: true,
		Err:     &translate.Error{Provider: "deepl", Kind: translate.ErrQuota},
		Entries: []dict.Result{{Entry: dict.Entry{Word: "rain", Translation: "n. 雨\nv. 下雨"}}}}
	m = Markup(&sentence)
	if !strings.Contains(m, "额度已用完") || !strings.Contains(m, "<b>rain</b>  n. 雨") || strings.Contains(m, "下雨") {
		t.Errorf("failed sentence markup:\n%s", m)
	}
	done := translate.Answer{Text: "a < b", Sentence: true, Translation: "a 小于 b <i>", Provider: "baidu"}
	if m := Markup(&done); !strings.Contains(m, "a 小于 b &lt;i&gt;") || !strings.Contains(m, "— baidu") {
		t.Errorf("translated sentence markup:\n%s", m)
	}
}
