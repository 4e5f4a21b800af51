package dict

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

// small is a hand-made dictionary with the shapes ECDICT has.
var small = []Entry{
	{Word: "go", Phonetic: "gəʊ", Translation: "vi. 去, 走\nn. 尝试", Exchange: "p:went/d:gone/i:going/3:goes", Tags: TagZK | TagCET4, FRQ: 44},
	{Word: "went", Translation: "go的过去式", Exchange: "0:go/1:p"},
	{Word: "mouse", Translation: "n. 老鼠, 鼠标", Exchange: "s:mice", FRQ: 2845, Tags: TagCET4},
	{Word: "good", Translation: "a. 好的", Exchange: "r:better/t:best", FRQ: 73},
	{Word: "better", Translation: "a. 较好的", Exchange: "0:good/1:r", FRQ: 452},
	{Word: "look forward to", Translation: "期望, 盼望"},
	{Word: "looking", Translation: "a. 有…相貌的", Exchange: "0:look/1:i"},
	{Word: "look", Translation: "v. 看", Exchange: "p:looked/d:looked/i:looking/3:looks", FRQ: 100},
	{Word: "receive", Translation: "vt. 收到, 接待", FRQ: 800, Tags: TagCET4},
	{Word: "apple", Translation: "n. 苹果, 家伙", FRQ: 2695},
	{Word: "pineapple", Translation: "n. 菠萝, 凤梨", FRQ: 9000},
	{Word: "Polish", Translation: "a. 波兰的", FRQ: 5000},
	{Word: "polish", Translation: "vt. 擦亮", FRQ: 4000},
	{Word: "jump", Translation: "v. 跳", FRQ: 1500},
	{Word: "cafe", Translation: "n. 咖啡馆", FRQ: 3000},
	{Word: "naive", Translation: "a. 天真的", FRQ: 6000},
	{Word: "email", Translation: "n. 电子邮件", FRQ: 2000},
	{Word: "well-known", Translation: "a. 众所周知的", FRQ: 4000},
	{Word: "e.g.", Translation: "abbr. 例如", FRQ: 3000},
	{Word: "et al.", Translation: "abbr. 以及其他人", FRQ: 9000},
}

func build(t testing.TB, es []Entry) *Dict {
	t.Helper()
	var buf bytes.Buffer
	if err := Build(&buf, es, 20000); err != nil {
		t.Fatal(err)
	}
	d, err := Open(buf.Bytes(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func words(rs []Result) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Word)
	}
	return strings.Join(out, ",")
}

func TestLookup(t *testing.T) {
	d := build(t, small)
	for _, tc := range []struct {
		q, want string
		match   Match
	}{
		{"go", "go", MatchExact},
		{"  Go! ", "go", MatchCase},
		{"went", "went,go", MatchExact},
		{"gone", "go", MatchLemma},
		{"mice", "mouse", MatchLemma},
		{"better", "better,good", MatchExact},
		{"best", "good", MatchLemma},
		{"look forward to", "look forward to", MatchExact},
		{"looking forward to", "look forward to", MatchLemma},
		{"jumped", "jump", MatchLemma},  // not in exchange: suffix rule
		{"apples", "apple", MatchLemma}, // likewise
		{"polish", "polish,Polish", MatchExact},
		{"Polish", "Polish,polish", MatchExact},
		{"recieve", "receive", MatchFuzzy},
		{"jumb", "jump", MatchFuzzy}, // a substitution changes the letter set
		{"“pineaple”", "pineapple", MatchFuzzy},
		{"苹果", "apple", MatchReverse},
		// Text copied from a web page: accents, other hyphens, soft hyphens.
		{"café", "cafe", MatchCase},
		{"Naïve", "naive", MatchCase},
		{"e-mail", "email", MatchCase},
		{"well\u2010known", "well-known", MatchExact},
		{"well\u2011known", "well-known", MatchExact},
		{"ap\u00adple", "apple", MatchExact},
		// Abbreviations keep their full stop.
		{"e.g.", "e.g.", MatchExact},
		{"(e.g.,", "e.g.", MatchExact},
		{"et  al.", "et al.", MatchExact},
		{"\xff\xfe", "", 0},
		{"zzzzqqq", "", 0},
		{strings.Repeat("a", 1<<20), "", 0},
	} {
		rs, err := d.Lookup(tc.q)
		if err != nil {
			t.Fatalf("%.20q: %v", tc.q, err)
		}
		if got := words(rs); got != tc.want {
			t.Errorf("Lookup(%.20q) = %q, want %q", tc.q, got, tc.want)
			continue
		}
		if len(rs) > 0 && rs[0].Match != tc.match {
			t.Errorf("Lookup(%q) matched %v, want %v", tc.q, rs[0].Match, tc.match)
		}
	}
	rs, _ := d.Lookup("mice")
	if len(rs) == 0 || rs[0].Kind != KindPlural {
		t.Errorf("mice: kind %q, want plural", rs[0].Kind)
	}
}

func TestReverseRanksWholeSenses(t *testing.T) {
	d := build(t, small)
	rs, err := d.Reverse("鼠标", 5)
	if err != nil || words(rs) != "mouse" {
		t.Fatalf("Reverse(鼠标) = %q, %v", words(rs), err)
	}
	// 凤梨 is a whole sense of pineapple; 苹果 is no sense of it.
	rs, _ = d.Reverse("果", 5)
	if words(rs) != "apple" {
		t.Errorf("Reverse(果) = %q", words(rs))
	}
}

func TestWordsOfSentence(t *testing.T) {
	d := build(t, small)
	rs, err := d.Words("I am looking forward to the apples, and it went well.", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := words(rs); got != "look forward to,apple,went" {
		t.Errorf("Words = %q", got)
	}
	rs, err = d.Words("A naïve e-mail from the café.", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := words(rs); got != "naive,email,cafe" {
		t.Errorf("Words = %q", got)
	}
}

func TestCoreDictionary(t *testing.T) {
	d, err := Core()
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() < 30000 {
		t.Fatalf("core has %d entries", d.Len())
	}
	for q, want := range map[string]string{
		"went": "go", "mice": "mouse", "better": "good", "children": "child",
		"look forward to": "look forward to", "looking forward to": "look forward to", "recieve": "receive", "苹果": "apple",
		"naïve": "naive", "résumé": "resume", "e-mail": "email", "co-operate": "cooperate",
		"i.e.": "i.e.", "e.g.": "e.g.", "et al.": "et al.", "a.m.": "a.m.", "cf.": "cf.", "hello.": "hello",
	} {
		rs, err := d.Lookup(q)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rs {
			found = found || r.Word == want
		}
		if !found {
			t.Errorf("core: Lookup(%q) = %q, want %q among them", q, words(rs), want)
		}
	}
	rs, _ := d.Lookup("polish")
	if len(rs) == 0 || rs[0].Tags&TagCET4 == 0 {
		t.Errorf("polish: %+v, want a CET-4 word", rs)
	}
}

func TestCorruptFiles(t *testing.T) {
	var buf bytes.Buffer
	if err := Build(&buf, small, 20000); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	cases := map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello, this is not a dictionary at all, but it is long enough"),
		"truncated": good[:len(good)-7],
		"header":    append(append([]byte{}, good[:20]...), good[21:]...),
	}
	for name, b := range cases {
		if _, err := Open(b, name); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
	// A damaged body opens (only the header is checked) but answers with
	// errors, not crashes.
	b := bytes.Clone(good)
	for i := headerSize; i < headerSize+8*len(small); i++ {
		b[i] = 0xff
	}
	d, err := Open(b, "body")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lookup("mouse"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("lookup in a damaged body: %v, want ErrCorrupt", err)
	}
	p := filepath.Join(t.TempDir(), "cut.tkd")
	os.WriteFile(p, good[:100], 0o644)
	if _, err := OpenFile(p); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("OpenFile(truncated) = %v", err)
	}
}

func TestOpenFileMaps(t *testing.T) {
	p := filepath.Join(t.TempDir(), FullFile)
	var buf bytes.Buffer
	if err := Build(&buf, small, 20000); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, buf.Bytes(), 0o644)
	d, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := d.Lookup("went")
	if err != nil || len(rs) == 0 {
		t.Fatalf("went: %v %v", rs, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if rs[0].Translation != "go的过去式" { // copies survive the unmap
		t.Errorf("after Close: %q", rs[0].Translation)
	}
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	os.MkdirAll(filepath.Join(data, "tachikoma", "dict"), 0o755)
	os.WriteFile(filepath.Join(data, "tachikoma", "dict", FullFile), []byte("garbage"), 0o644)
	d, err = OpenDefault(nil)
	if err != nil || d.Len() < 30000 {
		t.Errorf("a damaged full dictionary must fall back to the core: %v", err)
	}
	// No data folder at all (no HOME): the core, and the reason logged.
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	var logged bytes.Buffer
	d, err = OpenDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil || d.Len() < 30000 {
		t.Errorf("no data folder must fall back to the core: %v", err)
	}
	if !strings.Contains(logged.String(), "$HOME") {
		t.Errorf("the missing data folder is not logged: %q", logged.String())
	}
}

func TestDataDir(t *testing.T) {
	xdgdirtest.Check(t, xdgdir.Data, DataDir, "tachikoma/dict", "dictionary: ")
}

func FuzzOpenLookup(f *testing.F) {
	var buf bytes.Buffer
	if err := Build(&buf, small, 20000); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), 60, byte(0x55), "went")
	f.Add(buf.Bytes(), 300, byte(0x80), "苹果")
	f.Add(buf.Bytes(), 100, byte(0xff), "recieve")
	f.Fuzz(func(t *testing.T, b []byte, at int, x byte, q string) {
		b = bytes.Clone(b)
		if len(b) > 0 {
			at = (at%len(b) + len(b)) % len(b)
			b[at] ^= x
		}
		d, err := Open(b, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		d.Lookup(q)
		d.Words(q+" look forward to", 5)
		d.Reverse("苹果", 3)
		d.Fuzzy("recieve", 3)
	})
}

// Has is an exact, case-folded entry: no lemmas, typos or hyphen dropping.
func TestHas(t *testing.T) {
	d, err := Core()
	if err != nil {
		t.Fatal(err)
	}
	for w, want := range map[string]bool{
		"well-known": true, "Well-Known": true, "email": true, "self-esteem": true,
		"wellknown": false, "e-mail": false, "recieve": false, "well-": false, "": false,
	} {
		if got := d.Has(w); got != want {
			t.Errorf("Has(%q) = %v, want %v", w, got, want)
		}
	}
}
