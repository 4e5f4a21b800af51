//go:build gui

package guitest

import (
	"context"
	"image"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// TestChineseComposited and TestChineseShaped run the pet in Chinese: its
// menu and bubbles in Chinese and English must show every glyph (Pango's
// unknown-glyph count is zero: no boxes) and draw the message's text, and
// GTK's own labels (Cancel) are Chinese too, in a C.UTF-8 and a C locale.
func TestChineseComposited(t *testing.T) { testChinese(t, true) }
func TestChineseShaped(t *testing.T)     { testChinese(t, false) }

func testChinese(t *testing.T, composited bool) {
	b := startTestBroker(t, t.TempDir(), "127.0.0.1:0")
	addr := b.MQTTAddr()
	host, port, _ := strings.Cut(addr, ":")
	for _, u := range []string{"alice", "bob"} {
		if err := b.Register(context.Background(), u, u+"-password", ""); err != nil {
			t.Fatal(err)
		}
	}
	s := startX(t, composited)
	s.startBackdrop()
	locale := "LANG=C.UTF-8"
	if !composited {
		locale = "LANG=C"
	}
	p := s.startPet([]string{"XDG_STATE_HOME=" + filepath.Join(s.dir, "state"), "TACHIKOMA_PASSWORD=alice-password", locale},
		"--pets", "1", "--lang", "zh", "--server", "mqtt://"+addr, "--user", "alice")
	if got := p.read().GtkCancel; got != "取消(_C)" {
		t.Errorf("with %s GTK's own Cancel label is %q, want 取消(_C)", locale, got)
	}
	p.waitState("chat online", 20*time.Second, func(st statefile.State) bool {
		return st.Chat != nil && st.Chat.Status == "online"
	})

	p.openMenu()
	st := p.waitState("the menu's glyph report", 3*time.Second, func(st statefile.State) bool { return st.Menu != nil })
	s.xdotool("key", "Escape")
	if st.Menu.Labels < 5 || !strings.Contains(st.Menu.Text, "退出") {
		t.Fatalf("the menu is not the Chinese one: %+v", *st.Menu)
	}
	if st.Menu.Unknown != 0 {
		t.Fatalf("the Chinese menu draws %d glyphs as boxes (no CJK font?):\n%s", st.Menu.Unknown, st.Menu.Text)
	}

	for _, text := range []string{"晚上好！今天的作业写完了吗？", "Good evening, is the homework done?"} {
		s.run(nil, "mosquitto_pub", "-h", host, "-p", port, "-u", "bob", "-P", "bob-password",
			"-t", "tachikoma/rooms/lobby", "-m", text)
		p.waitState("bubble "+text, 10*time.Second, func(st statefile.State) bool {
			bs := st.Chat.Bubbles
			return len(bs) > 0 && bs[0].Visible && bs[0].Text == text
		})
		checkBubbleText(t, p, text)
	}
}

// checkBubbleText checks the first pet's bubble shows text: drawn with no
// glyph as a box, and with ink in the message's lines (not blank).
func checkBubbleText(t *testing.T, p *pet, text string) {
	t.Helper()
	var bub statefile.Bubble
	var img *image.RGBA
	var r image.Rectangle
	// The bubble follows a walking pet: wait for a still moment.
	ok := pollUntil(20*time.Second, func() bool {
		st := p.read()
		if st.Chat == nil || len(st.Chat.Bubbles) == 0 {
			return false
		}
		before := st.Chat.Bubbles[0]
		img = p.s.screenshot()
		st = p.read()
		if st.Chat == nil || len(st.Chat.Bubbles) == 0 {
			return false
		}
		bub = st.Chat.Bubbles[0]
		r = image.Rect(bub.X+bub.TextX, bub.Y+bub.TextY, bub.X+bub.TextX+bub.TextW, bub.Y+bub.TextY+bub.TextH)
		return sameBubble(before, bub) && bub.Visible && strings.HasSuffix(bub.Drawn.Text, text)
	})
	if !ok {
		t.Fatalf("bubble never drawn still with %q: %+v", text, bub)
	}
	if bub.Drawn.Unknown != 0 {
		t.Errorf("bubble %q draws %d glyphs as boxes (no font for them?)", text, bub.Drawn.Unknown)
	}
	// Each visible character leaves some dark pixels (the text is near
	// black on a near-white bubble); a blank line leaves none.
	want := 0
	for _, c := range text {
		if !unicode.IsSpace(c) {
			want += 4
		}
	}
	if ink := countInk(img, r); ink < want {
		t.Errorf("bubble %q: only %d dark pixels in its text lines %v, want >= %d (blank text?)", text, ink, r, want)
	}
}

func sameBubble(a, b statefile.Bubble) bool {
	return a.X == b.X && a.Y == b.Y && a.W == b.W && a.H == b.H && a.Text == b.Text && a.Visible == b.Visible
}

// countInk counts the near-black pixels in r.
func countInk(img *image.RGBA, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*100 {
				n++
			}
		}
	}
	return n
}
