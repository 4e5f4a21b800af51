package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type memKeys map[string]string

func (m memKeys) Save(a, s string) error { m[a] = s; return nil }
func (m memKeys) Delete(a string) error  { delete(m, a); return nil }
func (m memKeys) Load(a string) (string, error) {
	if v, ok := m[a]; ok {
		return v, nil
	}
	return "", errors.New("no saved credentials")
}

func translateRun(t *testing.T, ks memKeys, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := translateMain(args, strings.NewReader(stdin), &out, &errb, ks)
	return code, out.String(), errb.String()
}

func TestTranslateCommand(t *testing.T) {
	t.Setenv("DISPLAY", "")                // no display needed
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // the built-in dictionary
	ks := memKeys{}

	code, out, _ := translateRun(t, ks, "", "went")
	if code != 0 || !strings.Contains(out, "go /") || !strings.Contains(out, "过去式") || !strings.Contains(out, "去") {
		t.Errorf("went: exit %d\n%s", code, out)
	}
	if code, out, _ := translateRun(t, ks, "", "look", "forward", "to"); code != 0 || !strings.Contains(out, "盼望") {
		t.Errorf("phrase: exit %d\n%s", code, out)
	}
	if code, out, _ := translateRun(t, ks, "苹果\n", "-"); code != 0 || !strings.Contains(out, "apple") {
		t.Errorf("stdin, reverse: exit %d\n%s", code, out)
	}
	if code, _, errs := translateRun(t, ks, "", "qwzzxv"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("unknown word: exit %d, %s", code, errs)
	}
	if code, _, _ := translateRun(t, ks, ""); code != 2 {
		t.Errorf("no text: exit %d, want 2", code)
	}
	if code, _, _ := translateRun(t, ks, "", "--provider", "nosuch", "hello"); code != 2 {
		t.Errorf("unknown provider: exit %d, want 2", code)
	}

	// A sentence through a provider (a fake LibreTranslate on loopback).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), "Where is the library") {
			w.WriteHeader(400)
			return
		}
		io.WriteString(w, `{"translatedText":"图书馆在哪里？"}`)
	}))
	defer srv.Close()
	if code, out, _ := translateRun(t, ks, "secret-key\n", "--set-key", "libretranslate", "--url", srv.URL); code != 0 || !strings.Contains(out, "saved") {
		t.Fatalf("--set-key: exit %d %s", code, out)
	}
	if !strings.Contains(ks["translate/libretranslate"], "secret-key") {
		t.Fatalf("key not stored: %v", ks)
	}
	code, out, _ = translateRun(t, ks, "", "--provider", "libretranslate", "Where", "is", "the", "library", "of", "this", "town?")
	if code != 0 || !strings.Contains(out, "图书馆在哪里？") || !strings.Contains(out, "libretranslate") || !strings.Contains(out, "library") {
		t.Errorf("sentence: exit %d\n%s", code, out)
	}
	// The provider is down: the words of the sentence still print, the reason goes to stderr.
	srv.Close()
	code, out, errs := translateRun(t, ks, "", "--provider", "libretranslate", "Where", "is", "the", "station", "in", "the", "town?")
	if code != 0 || !strings.Contains(out, "需要联网") || !strings.Contains(out, "station") || errs == "" {
		t.Errorf("offline sentence: exit %d\n%s\n%s", code, out, errs)
	}
	// --offline with a provider set up: the words, and no claim that none is.
	code, out, errs = translateRun(t, ks, "", "--offline", "Where", "is", "the", "station", "in", "the", "town?")
	if code != 0 || !strings.Contains(out, "station") || strings.Contains(out+errs, "no online translator") || strings.Contains(out+errs, "no key") {
		t.Errorf("--offline sentence: exit %d\n%s\n%s", code, out, errs)
	}
	// Binary and invalid UTF-8 on stdin: a clear "not found", no crash.
	if code, _, _ := translateRun(t, ks, "\x00\xff\xfe\x01", "--offline"); code != 1 {
		t.Errorf("binary input: exit %d, want 1", code)
	}
}

// --set-key with nothing on stdin keeps the stored secret (changing only
// the URL or the id); it never stores a provider that cannot work.
func TestTranslateSetKeyKeepsSecret(t *testing.T) {
	ks := memKeys{}
	if code, _, errs := translateRun(t, ks, "abc:fx\r\n", "--set-key", "deepl"); code != 0 {
		t.Fatalf("--set-key deepl: exit %d %s", code, errs)
	}
	if code, _, errs := translateRun(t, ks, "", "--set-key", "deepl", "--url", "http://127.0.0.1:9/v2/translate"); code != 0 {
		t.Fatalf("--set-key deepl --url: exit %d %s", code, errs)
	}
	if v := ks["translate/deepl"]; !strings.Contains(v, `"secret":"abc:fx"`) || !strings.Contains(v, "127.0.0.1:9") {
		t.Errorf("stored %s, want the old secret with the new URL", v)
	}
	for _, args := range [][]string{{"--set-key", "youdao"}, {"--set-key", "baidu", "--id", "2015063000000001"}, {"--set-key", "libretranslate"}} {
		code, _, errs := translateRun(t, ks, "\n", args...)
		if code == 0 || errs == "" {
			t.Errorf("%v with no secret: exit %d, stderr %q; want a refusal", args, code, errs)
		}
		if _, ok := ks["translate/"+args[1]]; ok {
			t.Errorf("%v with no secret stored %s", args, ks["translate/"+args[1]])
		}
	}
}

func TestTranslateIsRegistered(t *testing.T) {
	if _, ok := subcommands["translate"]; !ok {
		t.Fatal("translate is not a subcommand")
	}
}
