package remind

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors of Parse; the returned error wraps one of them and says what was
// wrong with the input.
var (
	ErrNoTime   = errors.New("no time given")
	ErrBadTime  = errors.New("not a time")
	ErrNoText   = errors.New("no text given")
	ErrTooLong  = errors.New("too long")
	ErrTooFar   = errors.New("too far ahead")
	ErrNotFound = errors.New("no such reminder")
)

// Limits on what a reminder may hold.
const (
	MaxText  = 500                  // runes of text
	MaxAhead = 366 * 24 * time.Hour // a one-off reminder further away is a typo
)

// When is a parsed schedule: a one-off time, or a time of day every day.
type When struct {
	Daily bool
	At    time.Time // one-off: the instant (wall clock)
	Hour  int       // daily: local time of day
	Min   int
}

// Parse reads a schedule at the start of s and returns the rest (the
// reminder's text, trimmed). Accepted, case-insensitive, with or without
// spaces:
//
//	20m  1h30m  90s  in 20 minutes  20 min  20分钟  1小时30分钟  半小时后
//	18:30  at 6:30pm  7pm  18点  18点半  下午6点30分  tomorrow 9:00  明天 9点
//	every day at 9:00  daily 9:00  每天 9:00  每天早上9点
//	2026-12-24 18:00
//
// A time of day that has passed today means tomorrow. In the small hours
// (see SmallHours) "tomorrow"/明天 means the coming morning when that time
// is still ahead today: 明天 8点 typed at 00:30 is in 7.5 hours, not 31.
func Parse(s string, now time.Time) (When, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return When{}, "", ErrNoTime
	}
	now = now.Round(0)
	if m := rePrefixDaily.FindStringSubmatch(s); m != nil {
		h, mi, rest, err := parseClock(s[len(m[0]):])
		if err != nil {
			return When{}, "", err
		}
		return When{Daily: true, Hour: h % 24, Min: mi}, rest, nil
	}
	if m := rePrefixTomorrow.FindStringSubmatch(s); m != nil {
		h, mi, rest, err := parseClock(s[len(m[0]):])
		if err != nil {
			return When{}, "", err
		}
		day := 1
		if SmallHours(now) && time.Date(now.Year(), now.Month(), now.Day(), h, mi, 0, 0, now.Location()).After(now) {
			day = 0 // still up after midnight: "tomorrow" is the coming morning
		}
		y, mo, d := now.AddDate(0, 0, day).Date()
		return When{At: time.Date(y, mo, d, h, mi, 0, 0, now.Location())}, rest, nil
	}
	if m := reDate.FindStringSubmatch(s); m != nil && boundary(s[len(m[0]):]) {
		return parseDate(m, s[len(m[0]):], now)
	}
	if d, rest, ok, err := parseDuration(s); ok {
		if err != nil {
			return When{}, "", err
		}
		return When{At: now.Add(d)}, rest, nil
	}
	body := s
	if m := rePrefixAt.FindString(s); m != "" {
		body = s[len(m):]
	}
	h, mi, rest, err := parseClock(body)
	if err != nil {
		return When{}, "", err
	}
	return When{At: nextClock(now, h, mi)}, rest, nil
}

// ParseReminder is Parse plus a check that there is text to say.
func ParseReminder(s string, now time.Time) (When, string, error) {
	w, text, err := Parse(s, now)
	if err != nil {
		return When{}, "", err
	}
	if err := checkText(text); err != nil {
		return When{}, "", err
	}
	return w, text, nil
}

// ParseParts reads a schedule and a text given apart (the dialog's two
// fields): all of schedule must be the time, and the text is never read as
// more of it ("30 min run" stays the text).
func ParseParts(schedule, text string, now time.Time) (When, string, error) {
	w, rest, err := Parse(schedule, now)
	if err != nil {
		return When{}, "", err
	}
	if rest != "" {
		return When{}, "", fmt.Errorf("%w: %q is not part of a time", ErrBadTime, rest)
	}
	text = strings.TrimSpace(text)
	if err := checkText(text); err != nil {
		return When{}, "", err
	}
	return w, text, nil
}

func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: what should the pet say?", ErrNoText)
	}
	if n := utf8.RuneCountInString(text); n > MaxText {
		return fmt.Errorf("%w: the text has %d characters, at most %d fit", ErrTooLong, n, MaxText)
	}
	return nil
}

var (
	rePrefixDaily    = regexp.MustCompile(`^(?i)(?:every\s*day|everyday|daily|每天|每日)\s*(?:at\s+)?`)
	rePrefixTomorrow = regexp.MustCompile(`^(?i)(?:tomorrow|明天)\s*(?:at\s+)?`)
	rePrefixAt       = regexp.MustCompile(`^(?i)at\s+`)
	reDate           = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T)(\d{1,2}):(\d{2})`)
	// 18:30, 6:30pm, 7 pm; the colon may be a full-width one.
	reClock = regexp.MustCompile(`^(?i)(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*([ap])\.?m\.?)?|^(?i)(\d{1,2})\s*([ap])\.?m\.?`)
	// 18点, 18点半, 6点30分, 9點15
	reClockZh = regexp.MustCompile(`^(\d{1,2}|` + zhDigits + `)\s*[点點时時]\s*(?:(半)|([一三])刻|(\d{1,2}|` + zhDigits + `)\s*分?)?`)
	// 下午6点, 晚上 8:30: the part of the day before a time
	rePeriod  = regexp.MustCompile(`^(凌晨|半夜|早上|早晨|上午|中午|下午|傍晚|晚上|夜里)\s*`)
	reDurPart = regexp.MustCompile(`^(?i)(\d+|` + zhDigits + `)\s*(hours|hour|hrs|hr|h|minutes|minute|mins|min|m|seconds|second|secs|sec|s|个小时|個小時|小时|小時|钟头|鐘頭|分钟|分鐘|分|秒钟|秒)`)
	reDurHalf = regexp.MustCompile(`^(?:半个?小时|半個?小時|half\s+an\s+hour)`)
	reDurIn   = regexp.MustCompile(`^(?i)in\s+`)
	reDurBare = regexp.MustCompile(`^([0-5]?\d)`)
	reDurJoin = regexp.MustCompile(`^(?i)(?:and\s+|[,，]\s*)`)
	reDurTail = regexp.MustCompile(`^(?i)\s*(?:later|以后|以後|之后|之後|后|後)`)
	reSep     = regexp.MustCompile(`^[\s,，:：;；、\-–—]+`)
)

// boundary reports whether rest can follow a time: the end, a space or
// punctuation, or a non-Latin letter ("20分钟后喝水", "9:00起床").
func boundary(rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
}

func text(rest string) string {
	return strings.TrimSpace(reSep.ReplaceAllString(rest, ""))
}

// parseDuration reads "in 1h30m", "20 minutes", "20分钟后". ok is false when
// s does not start like a duration at all.
func parseDuration(s string) (d time.Duration, rest string, ok bool, err error) {
	rest = s
	if m := reDurIn.FindString(rest); m != "" {
		rest = rest[len(m):]
	}
	matched := false
	if m := reDurHalf.FindString(rest); m != "" {
		d, rest, matched = 30*time.Minute, rest[len(m):], true
	} else {
		for {
			m := reDurPart.FindStringSubmatch(rest)
			if m == nil || !boundaryOrDigit(rest[len(m[0]):]) {
				break
			}
			u := unit(strings.ToLower(m[2]))
			n, err := parseNumber(m[1])
			if ne := (*strconv.NumError)(nil); err != nil && !errors.As(err, &ne) {
				return 0, "", true, fmt.Errorf("%w: %v", ErrBadTime, err)
			}
			if err != nil || n > int64(MaxAhead/u) {
				return 0, "", true, fmt.Errorf("%w: %s%s is more than a year away", ErrTooFar, m[1], m[2])
			}
			if d += time.Duration(n) * u; d > MaxAhead {
				return 0, "", true, fmt.Errorf("%w: %s is more than a year away", ErrTooFar, d)
			}
			after := rest[len(m[0]):]
			rest, matched = strings.TrimLeft(after, " "), true
			// "1h30", "1小时30": minutes right after the hours, without a unit.
			if b := reDurBare.FindStringSubmatch(after); u == time.Hour && b != nil && !durPart(after) && boundary(after[len(b[0]):]) {
				mins, _ := strconv.Atoi(b[1])
				d += time.Duration(mins) * time.Minute
				rest = strings.TrimLeft(after[len(b[0]):], " ")
				break
			}
			if j := reDurJoin.FindString(rest); j != "" && durPart(rest[len(j):]) {
				rest = rest[len(j):] // "1 hour and 30 minutes"
			}
		}
	}
	if !matched {
		return 0, "", false, nil
	}
	if m := reDurTail.FindString(rest); m != "" {
		rest = rest[len(m):]
	}
	switch {
	case d <= 0:
		return 0, "", true, fmt.Errorf("%w: a reminder needs a time after now", ErrBadTime)
	case d > MaxAhead:
		return 0, "", true, fmt.Errorf("%w: %s is more than a year away", ErrTooFar, d)
	}
	return d, text(rest), true, nil
}

// durPart reports whether s starts with a number and its unit ("30 s" in
// "30 stretch" is no unit).
func durPart(s string) bool {
	m := reDurPart.FindStringSubmatch(s)
	return m != nil && boundaryOrDigit(s[len(m[0]):])
}

// boundaryOrDigit lets units run together ("1h30m") but not into words
// ("20mins" is fine, "20 months" is not a duration).
func boundaryOrDigit(rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	return boundary(rest) || unicode.IsDigit(r)
}

func unit(u string) time.Duration {
	switch u {
	case "hours", "hour", "hrs", "hr", "h", "个小时", "個小時", "小时", "小時", "钟头", "鐘頭":
		return time.Hour
	case "minutes", "minute", "mins", "min", "m", "分钟", "分鐘", "分":
		return time.Minute
	}
	return time.Second
}

// parseClock reads a time of day at the start of s. 晚上12点 (midnight at
// the day's end) gives hour 24, which time.Date carries into the next day.
func parseClock(s string) (h, mi int, rest string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, "", fmt.Errorf("%w: say when, e.g. 18:30", ErrNoTime)
	}
	period, body := "", s
	if m := rePeriod.FindStringSubmatch(s); m != nil {
		period, body = m[1], s[len(m[0]):]
	}
	var n int // bytes of body read
	if m := reClock.FindStringSubmatch(body); m != nil && boundary(body[len(m[0]):]) {
		ampm := ""
		if m[1] != "" {
			h, _ = strconv.Atoi(m[1])
			mi, _ = strconv.Atoi(m[2])
			ampm = m[3]
		} else {
			h, _ = strconv.Atoi(m[4])
			ampm = m[5]
		}
		if ampm != "" {
			if h < 1 || h > 12 {
				return 0, 0, "", fmt.Errorf("%w: %q (am/pm hours are 1 to 12)", ErrBadTime, strings.TrimSpace(m[0]))
			}
			h %= 12
			if strings.EqualFold(ampm, "p") {
				h += 12
			}
			period = ""
		}
		n = len(m[0])
	} else if m := reClockZh.FindStringSubmatch(body); m != nil {
		h64, err := parseNumber(m[1])
		mi64 := int64(0)
		switch {
		case m[2] != "":
			mi64 = 30
		case m[3] == "一":
			mi64 = 15 // 一刻, a quarter
		case m[3] == "三":
			mi64 = 45
		case m[4] != "" && err == nil:
			mi64, err = parseNumber(m[4])
		}
		if err != nil {
			return 0, 0, "", fmt.Errorf("%w: %q: %v", ErrBadTime, strings.TrimSpace(m[0]), err)
		}
		h, mi = int(min(h64, 99)), int(min(mi64, 99))
		n = len(m[0])
	} else {
		word, _, _ := strings.Cut(s, " ")
		return 0, 0, "", fmt.Errorf("%w: %q (try 20m, 18:30, \"every day 9:00\" or 每天 9:00)", ErrBadTime, word)
	}
	read := strings.TrimSpace(s[:len(s)-len(body)+n])
	if h > 23 || mi > 59 {
		return 0, 0, "", fmt.Errorf("%w: %q is no time of day", ErrBadTime, read)
	}
	switch period {
	case "下午", "傍晚", "晚上", "夜里":
		if h == 12 && period != "下午" {
			h = 24
		} else if h < 12 {
			h += 12
		}
	case "中午":
		if h < 11 {
			h += 12
		}
	case "凌晨", "半夜":
		if h == 12 {
			h = 0
		}
	}
	return h, mi, text(body[n:]), nil
}

func parseDate(m []string, rest string, now time.Time) (When, string, error) {
	n := make([]int, 5)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	at := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], 0, 0, now.Location())
	if y, mo, d := at.Date(); y != n[0] || int(mo) != n[1] || d != n[2] || n[3] > 23 || n[4] > 59 {
		return When{}, "", fmt.Errorf("%w: %q is no date and time", ErrBadTime, m[0])
	}
	switch {
	case !at.After(now):
		return When{}, "", fmt.Errorf("%w: %s has passed", ErrBadTime, m[0])
	case at.Sub(now) > MaxAhead:
		return When{}, "", fmt.Errorf("%w: %s is more than a year away", ErrTooFar, m[0])
	}
	return When{At: at}, text(rest), nil
}

// smallHoursEnd is when a night ends: before it, people still count the
// day that just ended as "today".
const smallHoursEnd = 5

// SmallHours reports whether now is between midnight and 05:00, when
// "tomorrow" may mean the morning of the date that has already begun;
// confirmations then show the date.
func SmallHours(now time.Time) bool { return now.Hour() < smallHoursEnd }

// nextClock is the first h:mi strictly after now, in now's zone. In a DST
// gap the time is moved forward by the gap (time.Date's rule).
func nextClock(now time.Time, h, mi int) time.Time {
	y, mo, d := now.Date()
	for i := 0; i < 3; i++ {
		t := time.Date(y, mo, d+i, h, mi, 0, 0, now.Location())
		if t.After(now) {
			return t
		}
	}
	return time.Date(y, mo, d+3, h, mi, 0, 0, now.Location())
}

// String words a schedule for lists: "2026-12-06 18:30" or "every day 09:00".
func (w When) String() string {
	if w.Daily {
		return fmt.Sprintf("every day %02d:%02d", w.Hour, w.Min)
	}
	return w.At.Format("2006-01-02 15:04")
}

// zhDigits matches a number written in Chinese characters (十五, 两, 二十).
const zhDigits = `[零〇一二两兩三四五六七八九十]+`

var zhDigit = map[rune]int64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '兩': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// parseNumber reads decimal digits, or a Chinese number below 100 (十,
// 十五, 二十, 九十九); an error for anything else.
func parseNumber(s string) (int64, error) {
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		return strconv.ParseInt(s, 10, 64)
	}
	rs := []rune(s)
	bad := fmt.Errorf("%q is no number", s)
	digit := func(r rune) (int64, error) {
		if d, ok := zhDigit[r]; ok {
			return d, nil
		}
		return 0, bad
	}
	switch ten := slices.Index(rs, '十'); {
	case len(rs) == 1 && ten < 0:
		return digit(rs[0])
	case ten < 0 || ten > 1 || len(rs) > ten+2 || slices.Index(rs[ten+1:], '十') >= 0:
		return 0, bad
	default:
		tens, ones := int64(1), int64(0)
		var err error
		if ten == 1 {
			if tens, err = digit(rs[0]); err != nil || tens == 0 {
				return 0, bad
			}
		}
		if ten+1 < len(rs) {
			if ones, err = digit(rs[ten+1]); err != nil {
				return 0, bad
			}
		}
		return 10*tens + ones, nil
	}
}
