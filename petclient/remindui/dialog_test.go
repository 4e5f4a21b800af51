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
		// The text field is never read as more of the time.
		{0, "20", "30 min run", "today 17:20"},
		{0, "20", "5分钟 平板支撑", "today 17:20"},
		{1, "18:30", "2 hours of study", "today 18:30"},
	}
	for _, c := range cases {
		w, text, err := remind.ParseParts(schedule(c.kind, c.when), c.text, now)
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
	if _, _, err := remind.ParseParts(schedule(0, "20"), " ", now); err == nil {
		t.Error("a reminder without text was accepted")
	}
	if _, _, err := remind.ParseParts(schedule(1, "18:30 call mum"), "call mum", now); err == nil {
		t.Error("text in the time field was accepted as part of the time")
	}
}
