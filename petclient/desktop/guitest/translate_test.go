//go:build gui

package guitest

import (
	"context"
	"image"
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
	p := s.startPet(nil, "--pets", "1", "--no-chat", "--lang", "zh")

	n := 0
	// selectAndTranslate owns PRIMARY with data (as type target) and picks
	// the menu entry; it returns the bubble once it shows a new answer.
	selectAndTranslate := func(name string, data []byte, target string) statefile.Translate {
		t.Helper()
		n++
		file := filepath.Join(s.dir, name+".sel")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s.start("xclip-"+name, nil, "xclip", "-quiet", "-selection", "primary", "-t", target, "-i", file)
		waitFor(t, 10*time.Second, "xclip to own PRIMARY", func() bool {
			// Not s.run: failing is expected until xclip owns the selection.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "xclip", "-o", "-selection", "primary", "-t", "TARGETS")
			cmd.Env = s.env
			out, _ := cmd.Output()
			return strings.Contains(string(out), target)
		})
		// From the bottom of the menu: Quit, About, Settings, then the
		// Tools part's last entries: "Translate…", "Translate selection".
		p.openMenu()
		time.Sleep(200 * time.Millisecond) // the grab must be in place before keys arrive
		for i := 0; i < 5; i++ {
			s.xdotool("key", "Up")
		}
		s.xdotool("key", "Return")
		st := p.waitState(name+": the translation bubble", 20*time.Second, func(st statefile.State) bool {
			tr := st.Translate
			return tr != nil && tr.Shown >= n && tr.Visible && !strings.Contains(tr.Drawn.Text, "正在翻译")
		})
		if st.Translate.Drawn.Unknown != 0 {
			t.Errorf("%s: the bubble draws %d glyphs as boxes:\n%s", name, st.Translate.Drawn.Unknown, st.Translate.Drawn.Text)
		}
		if st.Translate.H > 420 {
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

	tr = selectAndTranslate("binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff"), "image/png")
	if !strings.Contains(tr.Drawn.Text, "请先选中") {
		t.Errorf("binary selection: %q", tr.Drawn.Text)
	}
	tr = selectAndTranslate("invalid", []byte("hel\xc3\x28lo \xff\xfe wor\x00ld"), "UTF8_STRING")
	t.Logf("invalid UTF-8 answered: %q", tr.Drawn.Text)

	big := []byte(strings.Repeat("The children are looking forward to the holidays. ", 1<<20/51))
	tr = selectAndTranslate("megabyte", big, "UTF8_STRING")
	if !strings.Contains(tr.Drawn.Text, "未设置在线翻译") || !strings.Contains(tr.Drawn.Text, "child") {
		t.Errorf("1 MB selection without a provider: %q", tr.Drawn.Text)
	}
	if p.cmd.ProcessState != nil {
		t.Fatalf("the pet exited:\n%s", tail(s.logOf("pet"), 20))
	}
}
