package i18n

// Reminders and the focus timer (petclient/remindui).
const (
	RemindMenu       Key = "remind.menu"
	RemindNew        Key = "remind.new"
	RemindNone       Key = "remind.none"
	RemindDelete     Key = "remind.delete"
	RemindEveryDay   Key = "remind.everyday"
	RemindToday      Key = "remind.today"
	RemindTomorrow   Key = "remind.tomorrow"
	RemindDated      Key = "remind.dated" // "today 08:00" with the date, after midnight
	RemindDate       Key = "remind.date"  // month, day, English and Chinese weekday
	RemindFrom       Key = "remind.from"
	RemindMissed     Key = "remind.missed"
	RemindMissedDay  Key = "remind.missed.day"
	RemindSound      Key = "remind.sound"
	RemindNotify     Key = "remind.notify"
	RemindCorrupt    Key = "remind.corrupt"
	RemindCannotSave Key = "remind.cannotsave"
	RemindAdded      Key = "remind.added"
	RemindDlgTitle   Key = "remind.dialog.title"
	RemindDlgIn      Key = "remind.dialog.in"
	RemindDlgAt      Key = "remind.dialog.at"
	RemindDlgDaily   Key = "remind.dialog.daily"
	RemindDlgText    Key = "remind.dialog.text"
	RemindDlgHint    Key = "remind.dialog.hint"
	RemindDlgAdd     Key = "remind.dialog.add"
	RemindDlgCancel  Key = "remind.dialog.cancel"
	RemindDlgError   Key = "remind.dialog.error"
	FocusMenu        Key = "focus.menu"
	FocusStart       Key = "focus.start"
	FocusStop        Key = "focus.stop"
	FocusOnBreak     Key = "focus.onbreak"
	FocusToday       Key = "focus.today"
	FocusRhythm      Key = "focus.rhythm"
	FocusBreak       Key = "focus.break"
	FocusLongBreak   Key = "focus.longbreak"
	FocusBack        Key = "focus.back"
	FocusStartedSay  Key = "focus.started"
	FocusRhythmLabel Key = "focus.rhythm.label"
)

func init() {
	for k, v := range map[Key]string{
		RemindMenu:       "Reminders",
		RemindNew:        "Remind me…",
		RemindNone:       "No reminders",
		RemindDelete:     "Delete",
		RemindEveryDay:   "every day %s",
		RemindToday:      "today %s",
		RemindTomorrow:   "tomorrow %s",
		RemindDated:      "%s (%s)",
		RemindDate:       "%[3]s %02[1]d-%02[2]d",
		RemindFrom:       "Reminder",
		RemindMissed:     "Missed at %s: %s",
		RemindMissedDay:  "Missed on %s: %s",
		RemindSound:      "Play a sound",
		RemindNotify:     "Desktop notification",
		RemindCorrupt:    "The reminders file could not be read; it was kept as %s",
		RemindCannotSave: "Reminders cannot be saved in %s (read-only?): I say them, but new ones and what was said are not kept",
		RemindAdded:      "OK! %s: %s",
		RemindDlgTitle:   "New reminder",
		RemindDlgIn:      "In … minutes",
		RemindDlgAt:      "At (HH:MM)",
		RemindDlgDaily:   "Every day at (HH:MM)",
		RemindDlgText:    "Remind me to:",
		RemindDlgHint:    "also: 1h30m, 6:30pm, tomorrow 9:00, 20分钟, 每天 9:00",
		RemindDlgAdd:     "Add",
		RemindDlgCancel:  "Cancel",
		RemindDlgError:   "Cannot add this reminder: %s",
		FocusMenu:        "Focus timer",
		FocusStart:       "Start focusing (%d min)",
		FocusStop:        "Stop (%s left)",
		FocusOnBreak:     "On a break (%s left)",
		FocusToday:       "Focus sessions today: %d",
		FocusRhythm:      "Rhythm",
		FocusRhythmLabel: "%d min focus, %d min break",
		FocusBreak:       "Time for a break! Stand up and stretch for %d minutes.",
		FocusLongBreak:   "Well done! A long break: %d minutes.",
		FocusBack:        "Break's over: %d minutes of focus.",
		FocusStartedSay:  "Let's focus for %d minutes!",
	} {
		catalogues[English][k] = v
	}
	for k, v := range map[Key]string{
		RemindMenu:       "提醒",
		RemindNew:        "新提醒…",
		RemindNone:       "没有提醒",
		RemindDelete:     "删除",
		RemindEveryDay:   "每天 %s",
		RemindToday:      "今天 %s",
		RemindTomorrow:   "明天 %s",
		RemindDated:      "%s（%s）",
		RemindDate:       "%[1]d月%[2]d日 周%[4]s",
		RemindFrom:       "提醒",
		RemindMissed:     "错过了 %s 的提醒：%s",
		RemindMissedDay:  "错过了 %s 的提醒：%s",
		RemindSound:      "播放提示音",
		RemindNotify:     "桌面通知",
		RemindCorrupt:    "提醒文件无法读取，已另存为 %s",
		RemindCannotSave: "提醒无法保存到 %s（文件夹只读？）：到时还会提醒，但新提醒和已提醒的记录不会保存",
		RemindAdded:      "好的！%s：%s",
		RemindDlgTitle:   "新提醒",
		RemindDlgIn:      "几分钟后",
		RemindDlgAt:      "在某时刻（时:分）",
		RemindDlgDaily:   "每天（时:分）",
		RemindDlgText:    "提醒我：",
		RemindDlgHint:    "也可以写：1h30m、明天 9:00、20分钟、18点半、每天 9:00",
		RemindDlgAdd:     "添加",
		RemindDlgCancel:  "取消",
		RemindDlgError:   "无法添加提醒：%s",
		FocusMenu:        "专注计时",
		FocusStart:       "开始专注（%d 分钟）",
		FocusStop:        "停止（还剩 %s）",
		FocusOnBreak:     "休息中（还剩 %s）",
		FocusToday:       "今日专注：%d 次",
		FocusRhythm:      "节奏",
		FocusRhythmLabel: "专注 %d 分钟，休息 %d 分钟",
		FocusBreak:       "休息一下！站起来伸个懒腰，%d 分钟。",
		FocusLongBreak:   "干得好！长休息 %d 分钟。",
		FocusBack:        "休息结束，继续专注 %d 分钟。",
		FocusStartedSay:  "一起专注 %d 分钟吧！",
	} {
		catalogues[Chinese][k] = v
	}
}
