package translate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tachikoma-pet/tachikoma/petclient/dict"
)

type memStore map[string]string

func (m memStore) Save(a, s string) error { m[a] = s; return nil }
func (m memStore) Delete(a string) error  { delete(m, a); return nil }
func (m memStore) Load(a string) (string, error) {
	v, ok := m[a]
	if !ok {
		return "", errors.New("no saved credentials")
	}
	return v, nil
}

func core(t *testing.T) *dict.Dict {
	d, err := dict.Core()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestServiceWordsAndSentences(t *testing.T) {
	tr := &countingTranslator{}
	s := Service{Dict: core(t), Translator: tr}
	ctx := context.Background()

	a := s.Translate(ctx, "  mice\n")
	if a.Sentence || len(a.Entries) == 0 || a.Entries[0].Word != "mouse" || tr.n != 0 {
		t.Fatalf("a word stays offline: %+v (provider calls %d)", a, tr.n)
	}
	out := Format(&a)
	for _, want := range []string{"mouse", "← mice (复数)", "老鼠", "CET-4"} {
		if !strings.Contains(out, want) {
			t.Errorf("Format(mice) lacks %q:\n%s", want, out)
		}
	}

	a = s.Translate(ctx, "I am looking forward to the holidays with my friends.")
	if !a.Sentence || a.Translation == "" || a.Provider != "count" || tr.n != 1 {
		t.Fatalf("sentence: %+v", a)
	}

	// The provider fails: the dictionary words of the sentence still show.
	s.Translator = &failing{ErrQuota}
	a = s.Translate(ctx, "The weather is lovely and the children are playing outside.")
	if !errors.Is(a.Err, ErrQuota) || len(a.Entries) < 3 || !a.Found() {
		t.Fatalf("quota: %+v", a)
	}
	out = Format(&a)
	if !strings.Contains(out, "额度已用完") || !strings.Contains(out, "child") {
		t.Errorf("quota answer:\n%s", out)
	}
}

// A word the offline dictionary lacks goes to the online translator when
// one is set up; without one, or when it only echoes the word, it is not found.
func TestServiceUnknownWordOnline(t *testing.T) {
	ctx := context.Background()
	tr := &countingTranslator{}
	s := Service{Dict: core(t), Translator: tr}
	a := s.Translate(ctx, "smartphone")
	if a.Translation != "译:smartphone" || a.Provider != "count" || tr.n != 1 || a.Sentence || !a.Found() {
		t.Fatalf("unknown word with a translator: %+v (provider calls %d)", a, tr.n)
	}
	if out := Format(&a); !strings.Contains(out, "译:smartphone") || !strings.Contains(out, "count") {
		t.Errorf("Format lacks the online answer:\n%s", out)
	}
	if a = s.Translate(ctx, "recieve"); tr.n != 1 || len(a.Entries) == 0 {
		t.Errorf("a typo the dictionary corrects went online: %+v (provider calls %d)", a, tr.n)
	}
	for name, tr := range map[string]Translator{"none": nil, "echo": echo{}, "no key": &failing{ErrNoKey}} {
		s.Translator = tr
		if a := s.Translate(ctx, "qwzzxv"); a.Found() || a.Err != nil {
			t.Errorf("%s: qwzzxv found or failed: %+v", name, a)
		}
	}
	s.Translator = &failing{ErrNetwork}
	if a := s.Translate(ctx, "qwzzxv"); a.Found() || !errors.Is(a.Err, ErrNetwork) {
		t.Errorf("offline: %+v, want the network error said", a)
	}
}

type echo struct{}

func (echo) Name() string { return "echo" }
func (echo) Translate(_ context.Context, text, _, _ string) (string, error) {
	return strings.ToUpper(text), nil
}

type failing struct{ err error }

func (f *failing) Name() string { return "failing" }
func (f *failing) Translate(context.Context, string, string, string) (string, error) {
	return "", &Error{Provider: "failing", Kind: f.err}
}

func TestServiceBadInput(t *testing.T) {
	tr := &countingTranslator{}
	s := Service{Dict: core(t), Translator: tr}
	ctx := context.Background()
	for name, text := range map[string]string{
		"binary":       "\x00\x01\x02\xff\xfe PNG\r\n\x1a\n\x00\x00",
		"invalid utf8": "hel\xc3\x28lo wor\xffld",
		"1 MB":         strings.Repeat("All work and no play makes Jack a dull boy. ", 1<<20/44),
		"empty":        " \t\n",
	} {
		a := s.Translate(ctx, text)
		if !utf8.ValidString(a.Text) || len(a.Text) > MaxText {
			t.Errorf("%s: text not cleaned (%d bytes, valid %v)", name, len(a.Text), utf8.ValidString(a.Text))
		}
		Format(&a)
	}
	// A damaged dictionary: a clear error, no crash.
	d, err := dict.Open([]byte("TKDICT\x00\x01"+strings.Repeat("\xff", 60)), "broken")
	if err == nil {
		s.Dict = d
		a := s.Translate(ctx, "hello")
		if a.Err == nil {
			t.Error("damaged dictionary answered without error")
		}
	} else if !errors.Is(err, dict.ErrCorrupt) || !strings.Contains(Problem(err), "词典") {
		t.Errorf("damaged dictionary: %v", err)
	}
}

func TestCredentialsRoundTrip(t *testing.T) {
	ks := memStore{}
	if _, err := Open(ks, ""); !errors.Is(err, ErrNoKey) {
		t.Errorf("nothing configured: %v", err)
	}
	if err := Save(ks, "baidu", Credentials{ID: "app", Secret: "sec"}); err != nil {
		t.Fatal(err)
	}
	if err := Save(ks, "nosuch", Credentials{}); err == nil {
		t.Error("unknown provider saved")
	}
	tr, err := Open(ks, "")
	if err != nil || tr.Name() != "baidu" {
		t.Fatalf("Open = %v, %v", tr, err)
	}
	Save(ks, "youdao", Credentials{ID: "k", Secret: "s"})
	if err := SetPreferred(ks, "youdao"); err != nil {
		t.Fatal(err)
	}
	if tr, _ := Open(ks, ""); tr == nil || tr.Name() != "youdao" {
		t.Errorf("the preferred provider comes first: %v", tr)
	}
	if _, err := Open(ks, "deepl"); !errors.Is(err, ErrNoKey) {
		t.Errorf("deepl without key: %v", err)
	}
	ks[Account("youdao")] = "{not json"
	if _, err := Open(ks, "youdao"); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged credentials: %v", err)
	}
}

// TestCredentialsOverStored: saving the services dialog, which never shows
// the stored secret and has no region, keeps both unless a new secret is
// typed; the fields it does show are taken as typed.
func TestCredentialsOverStored(t *testing.T) {
	stored := Credentials{ID: "old-id", Secret: "s3cret", URL: "https://old.example", Region: "ap-shanghai"}
	got := Credentials{ID: "new-id", URL: ""}.Over(stored)
	want := Credentials{ID: "new-id", Secret: "s3cret", URL: "", Region: "ap-shanghai"}
	if got != want {
		t.Errorf("URL cleared, secret untouched: %+v, want %+v", got, want)
	}
	if got := (Credentials{ID: "new-id", Secret: "fresh"}).Over(stored); got.Secret != "fresh" || got.Region != "ap-shanghai" {
		t.Errorf("new secret typed: %+v", got)
	}
}

// Check says what a provider still lacks, before the CLI or the settings
// dialog stores credentials that cannot work.
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		c    Credentials
		ok   bool
	}{
		{"deepl", Credentials{Secret: "k:fx"}, true},
		{"deepl", Credentials{URL: "http://127.0.0.1:9"}, false},
		{"baidu", Credentials{ID: "2015", Secret: "s"}, true},
		{"baidu", Credentials{ID: "2015"}, false},
		{"youdao", Credentials{Secret: "s"}, false},
		{"tencent", Credentials{ID: "AKID", Secret: "s"}, true},
		{"libretranslate", Credentials{URL: "http://127.0.0.1:5000"}, true},
		{"libretranslate", Credentials{Secret: "k"}, false},
		{"nosuch", Credentials{Secret: "k"}, false},
	} {
		err := Check(c.name, c.c)
		if (err == nil) != c.ok || (err != nil && c.name != "nosuch" && !errors.Is(err, ErrNoKey)) {
			t.Errorf("Check(%s, %+v) = %v, want ok %v", c.name, c.c, err, c.ok)
		}
	}
}

// Chinese the reverse dictionary does not have (a sentence written without
// spaces, a new word) goes to the online translator as Chinese → English.
func TestServiceChineseOnline(t *testing.T) {
	tr := &langTranslator{}
	s := Service{Dict: core(t), Translator: tr}
	for _, text := range []string{"我今天很开心", "区块链"} {
		a := s.Translate(context.Background(), text)
		if a.Translation != "en:"+text || tr.from != "zh" || tr.to != "en" {
			t.Errorf("%s: %+v (asked %s→%s)", text, a, tr.from, tr.to)
		}
	}
	if a := s.Translate(context.Background(), "苹果"); len(a.Entries) == 0 || a.Entries[0].Word != "apple" || a.Translation != "" {
		t.Errorf("a word the reverse dictionary knows went online: %+v", a)
	}
}

type langTranslator struct{ from, to string }

func (l *langTranslator) Name() string { return "lang" }
func (l *langTranslator) Translate(_ context.Context, text, from, to string) (string, error) {
	l.from, l.to = from, to
	return to + ":" + text, nil
}
