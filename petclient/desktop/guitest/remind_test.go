//go:build gui

package guitest

import (
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/internal/rofs"
	"github.com/tachikoma-pet/tachikoma/petclient/remind"
)

// sticky holds when the pet's first bubble shows text and stays until
// clicked.
func sticky(text string) func(statefile.State) bool {
	return func(st statefile.State) bool {
		if st.Chat == nil || len(st.Chat.Bubbles) == 0 {
			return false
		}
		b := st.Chat.Bubbles[0]
		return b.Visible && b.Sticky && strings.Contains(b.Text, text)
	}
}

// dismiss clicks the sticky bubble showing text until it is gone; the
// click must not open the chat window.
func dismiss(t *testing.T, s *xsession, p *pet, text string) {
	t.Helper()
	for try := 0; ; try++ {
		if st := p.read(); sticky(text)(st) {
			b := st.Chat.Bubbles[0]
			s.xdotool("mousemove", itoa(b.X+b.W/2), itoa(b.Y+b.H/3), "click", "1")
		}
		if pollUntil(2*time.Second, func() bool { return !sticky(text)(p.read()) }) {
			break
		}
		if try == 3 {
			p.waitState("the bubble dismissed", time.Second, func(st statefile.State) bool { return !sticky(text)(st) })
		}
	}
	if st := p.read(); st.Chat != nil && st.Chat.WindowOpen {
		t.Fatal("clicking a reminder opened the chat window")
	}
}

// TestReminder: a reminder missed while the pet was off is said at start in
// Chinese, in a bubble that stays until clicked, by a pet that walked to
// the middle of the screen; one added with `tachikoma remind` while the pet
// runs is said too; a click dismisses each without opening the chat.
func TestReminder(t *testing.T) {
	s := startX(t, true)
	s.startBackdrop()
	data := filepath.Join(s.dir, "data")
	file := filepath.Join(data, "tachikoma", "reminders.json")
	now := time.Now()
	if _, err := (&remind.Store{Path: file}).Update(func(d *remind.Data) error {
		d.Add(remind.When{At: now.Add(-3 * time.Minute)}, "喝水 💧", now.Add(-time.Hour))
		d.Quiet, d.NoNotify = true, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p := s.startPet([]string{"XDG_STATE_HOME=" + filepath.Join(s.dir, "state"), "USER=newcomer"},
		"--pets", "1", "--lang", "zh")

	missed := "错过了 " + now.Add(-3*time.Minute).Format("15:04") + " 的提醒：喝水"
	p.waitState("the missed reminder's bubble", 20*time.Second, sticky(missed))

	// The pet walks to the middle of the (1280 px wide) screen.
	p.waitState("the pet in the middle", 30*time.Second, func(st statefile.State) bool {
		// WalkTo stops exactly there; a random walk only passes by.
		return len(st.Pets) > 0 && math.Abs(st.Pets[0].X-640) < 0.01 && st.Pets[0].Anim != "walk"
	})

	// Drawn: the bubble shows more than the backdrop (glyphs are checked
	// by the chat tests' font checks; here: something is there).
	b := p.read().Chat.Bubbles[0]
	r := image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H)
	waitFor(t, 10*time.Second, "the bubble drawn", func() bool {
		return countNonBackdrop(s.screenshot(), r) > r.Dx()*r.Dy()/3
	})

	// A chat bubble fades after at most 12 s; this one stays.
	if p.poll(14*time.Second, func(st statefile.State) bool { return !sticky(missed)(st) }) {
		t.Fatalf("the reminder's bubble went away by itself: %s", mustJSON(p.state))
	}

	dismiss(t, s, p, missed)

	// The command line edits the file; the running pet notices.
	out := s.run([]string{"XDG_DATA_HOME=" + data}, bins.pet, "remind", "3s", "站起来活动一下")
	if !strings.Contains(out, "reminder 2:") {
		t.Fatalf("tachikoma remind: %q", out)
	}
	p.waitState("the new reminder's bubble", 30*time.Second, sticky("站起来活动一下"))
	dismiss(t, s, p, "站起来活动一下")
	d, err := (&remind.Store{Path: file}).Load()
	if err != nil || len(d.Reminders) != 0 {
		t.Fatalf("reminders left after both were said: %+v %v", d.Reminders, err)
	}
}

// TestReminderReadOnlyFolder: on a read-only reminders folder the pet
// still says what is due, and says in a Chinese bubble that reminders
// cannot be saved, instead of only logging it.
func TestReminderReadOnlyFolder(t *testing.T) {
	s := startX(t, true)
	data := filepath.Join(s.dir, "data")
	now := time.Now()
	ro := rofs.Dir(t, func(dir string) {
		if _, err := (&remind.Store{Path: filepath.Join(dir, "reminders.json")}).Update(func(d *remind.Data) error {
			d.Add(remind.When{At: now.Add(-3 * time.Minute)}, "背单词 📖", now.Add(-time.Hour))
			d.Quiet, d.NoNotify = true, true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "broker"), 0o700); err != nil {
			t.Fatal(err)
		}
	})
	// The folder is the pet's data folder; the hosted broker keeps a
	// writable one inside it.
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(ro, filepath.Join(data, "tachikoma")); err != nil {
		t.Fatal(err)
	}
	broker := filepath.Join(ro, "broker")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", broker).CombinedOutput(); err != nil {
		t.Fatalf("mount the broker's folder: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", broker).Run() })

	p := s.startPet([]string{"XDG_STATE_HOME=" + filepath.Join(s.dir, "state"), "USER=newcomer"},
		"--pets", "1", "--lang", "zh")
	warning := "提醒无法保存到 " + filepath.Join(data, "tachikoma") + "（文件夹只读？）"
	// The state is written once when the bubble shows and again when it is
	// drawn; only the second says what the glyphs look like.
	st := p.waitState("the cannot-save bubble drawn", 20*time.Second, func(st statefile.State) bool {
		return sticky(warning)(st) && strings.Contains(st.Chat.Bubbles[0].Drawn.Text, warning)
	})
	if d := st.Chat.Bubbles[0].Drawn; d.Unknown != 0 {
		t.Fatalf("the warning is drawn with missing glyphs: %+v", d)
	}
	dismiss(t, s, p, warning)
	p.waitState("the missed reminder said anyway", 20*time.Second, sticky("背单词"))
}
