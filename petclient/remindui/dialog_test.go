package remindui

import (
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/remind"
)

// What the dialog's fields make is what the scheduler reads.
func TestSpec(t *testing.T) {
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, time.Local)
	cases := []struct {
		kind       int
		when, text string
		want       string
	}{
		{0, "20", "喝水", "today 17:20"},
		{0, "1h30m", "stretch", "today 18:30"},
		{1, "18:30", "call mum", "today 18:30"},
		{1, "明天 9点", "交作业", "2026-12-07 09:00"},
		{2, "9:00", "背单词", "every day 09:00"},
	}
	for _, c := range cases {
		w, text, err := remind.ParseReminder(spec(c.kind, c.when, c.text), now)
		if err != nil || text != c.text {
			t.Errorf("%d %q %q: %q %v", c.kind, c.when, c.text, text, err)
			continue
		}
		got := w.String()
		if !w.Daily && w.At.Format(time.DateOnly) == now.Format(time.DateOnly) {
			got = "today " + w.At.Format("15:04")
		}
		if got != c.want {
			t.Errorf("%d %q: %s, want %s", c.kind, c.when, got, c.want)
		}
	}
	if _, _, err := remind.ParseReminder(spec(0, "20", " "), now); err == nil {
		t.Error("a reminder without text was accepted")
	}
}
