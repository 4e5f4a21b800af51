package remind

import (
	"errors"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no zone data for %s: %v", name, err)
	}
	return loc
}

func TestParse(t *testing.T) {
	loc := mustZone(t, "Asia/Shanghai")
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, loc)
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, loc) }
	cases := []struct {
		in    string
		at    time.Time // one-off
		daily string    // "HH:MM" for daily ones
		text  string
	}{
		{"20m drink water", now.Add(20 * time.Minute), "", "drink water"},
		{"in 20 minutes drink water", now.Add(20 * time.Minute), "", "drink water"},
		{"1h30m stretch", now.Add(90 * time.Minute), "", "stretch"},
		{"90s tea", now.Add(90 * time.Second), "", "tea"},
		{"2 hours later: call", now.Add(2 * time.Hour), "", "call"},
		{"20分钟后喝水", now.Add(20 * time.Minute), "", "喝水"},
		{"1小时30分钟 开会", now.Add(90 * time.Minute), "", "开会"},
		{"半小时后 出门", now.Add(30 * time.Minute), "", "出门"},
		// Minutes after hours without a unit, and parts joined by "and".
		{"1h30 stretch", now.Add(90 * time.Minute), "", "stretch"},
		{"1小时30 开会", now.Add(90 * time.Minute), "", "开会"},
		{"in 1 hour and 30 minutes tea", now.Add(90 * time.Minute), "", "tea"},
		{"2h and 5m tea", now.Add(125 * time.Minute), "", "tea"},
		{"2h, 5m tea", now.Add(125 * time.Minute), "", "tea"},
		{"1h 5 pushups", now.Add(time.Hour), "", "5 pushups"}, // a spaced number is text
		{"18:30 call mum", at(6, 18, 30), "", "call mum"},
		{"at 18:30, call mum", at(6, 18, 30), "", "call mum"},
		{"9:00 standup", at(7, 9, 0), "", "standup"}, // passed today: tomorrow
		{"6:30pm dinner", at(6, 18, 30), "", "dinner"},
		{"7 pm film", at(6, 19, 0), "", "film"},
		{"12am midnight snack", at(7, 0, 0), "", "midnight snack"},
		{"18：30 给妈妈打电话", at(6, 18, 30), "", "给妈妈打电话"},
		{"18点半 吃饭", at(6, 18, 30), "", "吃饭"},
		{"下午6点30分吃饭", at(6, 18, 30), "", "吃饭"},
		{"晚上8点 洗衣服", at(6, 20, 0), "", "洗衣服"},
		{"tomorrow 9:00 dentist", at(7, 9, 0), "", "dentist"},
		{"明天 9点 交作业", at(7, 9, 0), "", "交作业"},
		{"2026-12-24 18:00 party", at(24, 18, 0), "", "party"},
		{"every day at 9:00 stand up", time.Time{}, "09:00", "stand up"},
		{"daily 22:30 sleep", time.Time{}, "22:30", "sleep"},
		{"每天 9:00 背单词", time.Time{}, "09:00", "背单词"},
		{"每天早上7点半起床", time.Time{}, "07:30", "起床"},
		// 晚上12点 is midnight, not noon; a period before a colon time.
		{"晚上12点 睡觉", at(7, 0, 0), "", "睡觉"},
		{"晚上12点半 睡觉", at(7, 0, 30), "", "睡觉"},
		{"明天晚上12点 交作业", at(8, 0, 0), "", "交作业"},
		{"每天晚上12点 关灯", time.Time{}, "00:00", "关灯"},
		{"凌晨12点 抢票", at(7, 0, 0), "", "抢票"},
		{"中午12点 吃饭", at(7, 12, 0), "", "吃饭"},
		{"下午3:30 开会", at(7, 15, 30), "", "开会"},
		{"晚上 8:30 洗澡", at(6, 20, 30), "", "洗澡"},
		{"早上 7:30 跑步", at(7, 7, 30), "", "跑步"},
		{"每天 下午 3:30 喝茶", time.Time{}, "15:30", "喝茶"},
		// Numbers in Chinese characters, as an input method writes them.
		{"十分钟后 喝水", now.Add(10 * time.Minute), "", "喝水"},
		{"两个小时后 出门", now.Add(2 * time.Hour), "", "出门"},
		{"一小时二十分钟 开会", now.Add(80 * time.Minute), "", "开会"},
		{"九十分钟后 下课", now.Add(90 * time.Minute), "", "下课"},
		{"下午三点半 开会", at(7, 15, 30), "", "开会"},
		{"晚上八点二十五分 看三集", at(6, 20, 25), "", "看三集"},
		{"明天早上七点 起床", at(7, 7, 0), "", "起床"},
		{"每天晚上十点 背两个单词", time.Time{}, "22:00", "背两个单词"},
		{"十二点 吃饭", at(7, 12, 0), "", "吃饭"},
		{"三点一刻 喝茶", at(7, 3, 15), "", "喝茶"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			w, text, err := ParseReminder(c.in, now)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if text != c.text {
				t.Errorf("text %q, want %q", text, c.text)
			}
			if c.daily != "" {
				if got := w.String(); !w.Daily || got != "every day "+c.daily {
					t.Errorf("got %s, want daily %s", got, c.daily)
				}
				return
			}
			if w.Daily || !w.At.Equal(c.at) {
				t.Errorf("at %v (daily %v), want %v", w.At, w.Daily, c.at)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrNoTime},
		{"   ", ErrNoTime},
		{"soon drink water", ErrBadTime},
		{"25:00 late", ErrBadTime},
		{"18:75 odd", ErrBadTime},
		{"13pm nope", ErrBadTime},
		{"0m now", ErrBadTime},
		{"every day", ErrNoTime},
		{"every day soon", ErrBadTime},
		{"每天 25点 不行", ErrBadTime},
		{"2026-02-30 10:00 no such day", ErrBadTime},
		{"2025-01-01 10:00 past", ErrBadTime},
		{"2028-01-01 10:00 far", ErrTooFar},
		{"9999999h forever", ErrTooFar},
		{"99999999999999999999m overflow", ErrTooFar},
		{"20m", ErrNoText},
		{"18:30   ", ErrNoText},
		{"20 months holiday", ErrBadTime}, // not minutes
		{"十十分钟 喝水", ErrBadTime},
		{"二十十点 不行", ErrBadTime},
		{"三十点 不行", ErrBadTime},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, _, err := ParseReminder(c.in, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if err.Error() == c.want.Error() && c.in != "" && c.in != "   " {
				t.Errorf("error %q does not say what was wrong", err)
			}
		})
	}
	long := make([]rune, MaxText+1)
	for i := range long {
		long[i] = '字'
	}
	if _, _, err := ParseReminder("20m "+string(long), now); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long text: %v", err)
	}
}

// A daily time in a DST gap or overlap still gives one instant per day, in
// the future.
func TestNextClockDST(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	// 2026-03-08 02:30 does not exist in New York (clocks jump 2:00 -> 3:00).
	now := time.Date(2026, 3, 8, 1, 0, 0, 0, ny)
	got := nextClock(now, 2, 30)
	if !got.After(now) || got.Sub(now) > 3*time.Hour {
		t.Fatalf("gap: %v", got)
	}
	// 9:00 across the change is 23 hours after 9:00 the day before.
	before := time.Date(2026, 3, 7, 9, 0, 0, 0, ny)
	next := nextClock(before, 9, 0)
	if next.Sub(before) != 23*time.Hour || next.Hour() != 9 {
		t.Fatalf("spring forward: %v (%v later)", next, next.Sub(before))
	}
	// and 25 hours across the autumn change.
	before = time.Date(2026, 10, 31, 9, 0, 0, 0, ny)
	next = nextClock(before, 9, 0)
	if next.Sub(before) != 25*time.Hour || next.Hour() != 9 {
		t.Fatalf("fall back: %v (%v later)", next, next.Sub(before))
	}
	// Across the end of a month and a year.
	eve := time.Date(2026, 12, 31, 23, 59, 30, 0, ny)
	if n := nextClock(eve, 0, 0); !n.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, ny)) {
		t.Fatalf("new year: %v", n)
	}
}

func TestParseFocus(t *testing.T) {
	good := map[string]FocusConfig{
		"25/5":       {25, 5, 15, 4},
		"50/10/30x3": {50, 10, 30, 3},
		" 45/15x2 ":  {45, 15, 15, 2},
	}
	for in, want := range good {
		if got, err := ParseFocus(in); err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "25", "25/", "a/5", "0/5", "25/5/15xq", "25/5x0", "300/5", "1/2/3/4"} {
		if _, err := ParseFocus(in); !errors.Is(err, ErrBadTime) {
			t.Errorf("%q: %v, want ErrBadTime", in, err)
		}
	}
}

// A student still up after midnight means this morning by 明天/tomorrow:
// before 05:00, a time still ahead today is today; later, the next day.
func TestTomorrowAfterMidnight(t *testing.T) {
	loc := mustZone(t, "Asia/Shanghai")
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, loc) }
	for _, c := range []struct {
		now  time.Time
		in   string
		want time.Time
	}{
		{at(7, 0, 30), "明天 8点 交作业", at(7, 8, 0)},
		{at(7, 0, 30), "tomorrow 7:30 run", at(7, 7, 30)},
		{at(7, 4, 59), "明天早上6点 起床", at(7, 6, 0)},
		{at(7, 0, 30), "明天 0:10 睡觉", at(8, 0, 10)}, // already past today
		{at(7, 5, 0), "明天 8点 交作业", at(8, 8, 0)},
		{at(6, 23, 30), "明天 8点 交作业", at(7, 8, 0)},
	} {
		w, _, err := Parse(c.in, c.now)
		if err != nil || !w.At.Equal(c.want) {
			t.Errorf("%q at %s: %v %v, want %v", c.in, c.now.Format("15:04"), w.At, err, c.want)
		}
	}
}
