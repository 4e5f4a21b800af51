//go:build gui

package guitest

import (
	"context"
	"encoding/json"
	"image"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// TestTranslateSelection selects text with xclip (PRIMARY, as selecting with
// the mouse does), chooses "Translate selection" in the pet's menu and reads
// the bubble: the Chinese of the word, drawn without boxes. Binary, invalid
// UTF-8 and 1 MB selections get a bubble too, and the pet lives on.
func TestTranslateSelection(t *testing.T) {
	if _, err := os.Stat("/usr/bin/xclip"); err != nil {
		t.Fatal("xclip is missing (apt-get install xclip)")
	}
	s := startX(t, true)
	s.startBackdrop()
	// Sentences go to a fake LibreTranslate whose URL is stored as the
	// pet stores it without a keyring: the private credentials file.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), "where is the library") {
			w.WriteHeader(400)
			return
		}
		io.WriteString(w, `{"translatedText":"请问图书馆在哪里？"}`)
	}))
	defer fake.Close()
	cred, _ := json.Marshal(map[string]any{"version": 1, "secrets": map[string]string{
		"translate/libretranslate": `{"url":"` + fake.URL + `"}`}})
	os.MkdirAll(filepath.Join(s.dir, "config", "tachikoma"), 0o700)
	if err := os.WriteFile(filepath.Join(s.dir, "config", "tachikoma", "credentials.json"), cred, 0o600); err != nil {
		t.Fatal(err)
	}
	p := s.startPet(nil, "--pets", "1", "--no-chat", "--lang", "zh")

	// selectAndTranslate owns PRIMARY with data (as type target) and picks
	// the menu entry; it returns the bubble once it shows a new answer.
	selectAndTranslate := func(name string, data []byte, target string) statefile.Translate {
		t.Helper()
		file := filepath.Join(s.dir, name+".sel")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		owner := s.start("xclip-"+name, nil, "xclip", "-quiet", "-selection", "primary", "-t", target, "-i", file)
		// The next selection must not be answered with this one.
		defer func() { owner.Process.Kill(); owner.Wait() }()
		waitFor(t, 10*time.Second, "xclip to own PRIMARY", func() bool {
			// Not s.run: failing is expected until xclip owns the selection.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "xclip", "-o", "-selection", "primary", "-t", "TARGETS")
			cmd.Env = s.env
			out, _ := cmd.Output()
			return strings.Contains(string(out), target)
		})
		before := 0
		if tr := p.read().Translate; tr != nil {
			before = tr.Shown
		}
		translateMenu(s, p, menuSelection)
		st := p.waitState(name+": the translation bubble", 20*time.Second, func(st statefile.State) bool {
			tr := st.Translate
			return tr != nil && tr.Shown > before && tr.Visible && !strings.Contains(tr.Drawn.Text, "正在翻译")
		})
		if st.Translate.Drawn.Unknown != 0 {
			t.Errorf("%s: the bubble draws %d glyphs as boxes:\n%s", name, st.Translate.Drawn.Unknown, st.Translate.Drawn.Text)
		}
		if st.Translate.H > 420 { // 240 px of text, the buttons, the tail
			t.Errorf("%s: the bubble is %d px high; long answers must scroll inside it", name, st.Translate.H)
		}
		return *st.Translate
	}

	tr := selectAndTranslate("word", []byte("mice"), "UTF8_STRING")
	if *screenshots != "" {
		time.Sleep(500 * time.Millisecond) // the bubble follows a walking pet
		tr = *p.read().Translate
		area := image.Rect(tr.X-20, tr.Y-20, tr.X+tr.W+20, tr.Y+tr.H+90)
		savePNG(t, filepath.Join(*screenshots, "translate.png"), crop(s.screenshot(), area.Intersect(image.Rect(0, 0, 1280, 800))))
	}
	for _, want := range []string{"mouse", "老鼠", "复数", "CET-4", "复制", "朗读"} {
		if !strings.Contains(tr.Drawn.Text, want) {
			t.Errorf("bubble for mice lacks %q:\n%s", want, tr.Drawn.Text)
		}
	}

	tr = selectAndTranslate("sentence", []byte("Excuse me, where is the library of this school?"), "UTF8_STRING")
	for _, want := range []string{"请问图书馆在哪里？", "libretranslate", "library", "图书馆"} {
		if !strings.Contains(tr.Drawn.Text, want) {
			t.Errorf("bubble for a sentence lacks %q:\n%s", want, tr.Drawn.Text)
		}
	}

	tr = selectAndTranslate("binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff"), "image/png")
	if !strings.Contains(tr.Drawn.Text, "请先选中") {
		t.Errorf("binary selection: %q", tr.Drawn.Text)
	}
	tr = selectAndTranslate("invalid", []byte("hel\xc3\x28lo \xff\xfe wor\x00ld"), "UTF8_STRING")
	t.Logf("invalid UTF-8 answered: %q", tr.Drawn.Text)

	big := []byte(strings.Repeat("The children are looking forward to the holidays. ", 1<<20/51))
	tr = selectAndTranslate("megabyte", big, "UTF8_STRING")
	if !strings.Contains(tr.Drawn.Text, "翻译失败") || !strings.Contains(tr.Drawn.Text, "child") {
		t.Errorf("1 MB selection the provider refuses: %q", tr.Drawn.Text)
	}
	// Copy puts the answer on the clipboard (last: the selection tests
	// above would fall back to it); the bubble may follow a walking pet,
	// so clicks are retried.
	selectAndTranslate("word again", []byte("children"), "UTF8_STRING")
	// click presses a bubble button where the pet's state says it is.
	click := func(id string) {
		t.Helper()
		tr := p.read().Translate
		for _, b := range tr.Buttons {
			if b.ID == id {
				s.xdotool("mousemove", itoa(tr.X+b.X+b.W/2), itoa(tr.Y+b.Y+b.H/2), "click", "1")
				return
			}
		}
		t.Fatalf("no button %s in %+v", id, tr.Buttons)
	}
	waitFor(t, 20*time.Second, "Copy to fill the clipboard", func() bool {
		click("translate.copy")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "xclip", "-o", "-selection", "clipboard")
		cmd.Env = s.env
		out, _ := cmd.Output()
		return strings.Contains(string(out), "children") && strings.Contains(string(out), "孩子")
	})
	// More opens a window with the whole entry.
	waitFor(t, 20*time.Second, "the More window", func() bool {
		click("translate.more")
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "翻译 — children")
		cmd.Env = s.env
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out)) != ""
	})

	if !running(p.cmd) {
		t.Fatalf("the pet exited:\n%s", tail(s.logOf("pet"), 20))
	}
}

// The translation entries, as the Chinese menu labels them.
const (
	menuTypeIn    = "翻译…"
	menuScreen    = "翻译屏幕文字"
	menuSelection = "翻译选中文字"
)

// translateMenu chooses an entry of the pet's menu by keyboard, counting Up
// presses from the bottom (Quit, About, Settings, then the Tools part) with
// the labels the menu reported, so other tools' entries may come and go.
func translateMenu(s *xsession, p *pet, label string) {
	s.t.Helper()
	p.openMenu() // open means mapped, and the menu's grab comes before its map
	st := p.waitState("the menu's labels", 3*time.Second, func(st statefile.State) bool { return st.Menu != nil })
	labels := strings.Split(strings.TrimSuffix(st.Menu.Text, "\n"), "\n")
	ups := 0
	for i := len(labels) - 1; i >= 0; i-- {
		ups++
		if labels[i] == label {
			break
		}
		if i == 0 {
			s.t.Fatalf("no %q in the menu:\n%s", label, st.Menu.Text)
		}
	}
	for i := 0; i < ups; i++ {
		s.xdotool("key", "Up")
	}
	s.xdotool("key", "Return")
}

// TestTranslateScreenText shows English text in a window (ImageMagick's
// display), picks "Translate screen text", drags over the text and reads
// the bubble: tesseract's reading, translated. Then the global hotkey
// translates the selection.
func TestTranslateScreenText(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	font, err := exec.Command("fc-match", "-f", "%{file}", "sans").Output()
	if err != nil {
		t.Fatalf("fc-match: %v", err)
	}
	img := filepath.Join(s.dir, "text.png")
	if out, err := exec.Command("convert", "-size", "560x100", "xc:white", "-font", string(font), "-fill", "black",
		"-pointsize", "44", "-annotate", "+12+66", "look forward to", img).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v %s", err, out)
	}
	s.start("display", nil, "display", "-geometry", "+700+100", img)
	visible := func(what, name string) {
		t.Helper()
		waitFor(t, 15*time.Second, what, func() bool {
			cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", name)
			cmd.Env = s.env
			out, _ := cmd.Output()
			return strings.TrimSpace(string(out)) != ""
		})
	}
	visible("ImageMagick's window", "text.png")
	// The global hotkey is on in this test's settings.
	os.MkdirAll(filepath.Join(s.dir, "config", "tachikoma"), 0o700)
	os.WriteFile(filepath.Join(s.dir, "config", "tachikoma", "settings.yaml"), []byte("translate:\n  hotkey: Ctrl+Alt+T\n"), 0o600)
	p := s.startPet(nil, "--pets", "1", "--no-chat", "--lang", "zh")

	// The screenshot tool's overlay selects the area: drag, then Enter.
	translateMenu(s, p, menuScreen)
	visible("the area selector", "^"+shotOverlay+"$")
	overlayKeys(t, s, 1)
	s.xdotool("mousemove", "702", "102", "mousedown", "1")
	s.xdotool("mousemove", "900", "150")
	s.xdotool("mousemove", "1258", "198", "mouseup", "1")
	s.xdotool("key", "Return")
	st := p.waitState("the bubble with the text read", 40*time.Second, func(st statefile.State) bool {
		tr := st.Translate
		return tr != nil && tr.Visible && strings.Contains(tr.Drawn.Text, "盼望")
	})
	if !strings.Contains(strings.ToLower(st.Translate.Query), "look forward to") || st.Translate.Drawn.Unknown != 0 {
		t.Errorf("screen text: %+v", *st.Translate)
	}

	// The type-in box: its title is 翻译; type a Chinese word, Enter.
	translateMenu(s, p, menuTypeIn)
	var box string
	waitFor(t, 10*time.Second, "the type-in box", func() bool {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^翻译$")
		cmd.Env = s.env
		out, _ := cmd.Output()
		box = strings.TrimSpace(string(out))
		return box != ""
	})
	shown := p.read().Translate.Shown
	s.xdotool("windowfocus", "--sync", box)
	s.xdotool("type", "--delay", "20", "mice")
	s.xdotool("key", "Return")
	st = p.waitState("the typed word's bubble", 15*time.Second, func(st statefile.State) bool {
		tr := st.Translate
		return tr != nil && tr.Shown > shown && strings.Contains(tr.Drawn.Text, "老鼠")
	})

	// Ctrl+Alt+T from anywhere translates the selection.
	file := filepath.Join(s.dir, "sel.txt")
	os.WriteFile(file, []byte("children"), 0o644)
	s.start("xclip", nil, "xclip", "-quiet", "-selection", "primary", "-i", file)
	before := st.Translate.Shown
	waitFor(t, 20*time.Second, "the hotkey's bubble", func() bool {
		s.xdotool("key", "ctrl+alt+t")
		return p.poll(3*time.Second, func(st statefile.State) bool {
			tr := st.Translate
			return tr != nil && tr.Shown > before && strings.Contains(tr.Drawn.Text, "孩子")
		})
	})
}
