package i18n

// Message keys. Grouped by where they show.
const (
	// Pet menu: actions.
	ActSit   Key = "act.sit"
	ActSleep Key = "act.sleep"
	ActJump  Key = "act.jump"
	ActWalk  Key = "act.walk"
	ActRun   Key = "act.run"
	ActLook  Key = "act.look"
	ActJoy   Key = "act.joy"
	ActWake  Key = "act.wake"

	// Pet menu: structure.
	MenuActions      Key = "menu.actions"
	MenuSize         Key = "menu.size"
	MenuPack         Key = "menu.pack"
	MenuPackDefault  Key = "menu.pack.default"
	MenuPackBroken   Key = "menu.pack.broken"
	MenuSummon       Key = "menu.summon"
	MenuSummonLimit  Key = "menu.summon.limit"
	MenuDismiss      Key = "menu.dismiss"
	MenuDismissOther Key = "menu.dismiss.others"
	MenuSettings     Key = "menu.settings"
	MenuAbout        Key = "menu.about"
	MenuQuit         Key = "menu.quit"

	// Tray.
	TrayTooltip Key = "tray.tooltip"
	TrayShow    Key = "tray.show"
	TrayHide    Key = "tray.hide"

	// Settings dialog.
	SetTitle           Key = "settings.title"
	SetScale           Key = "settings.scale"
	SetPack            Key = "settings.pack"
	SetLanguage        Key = "settings.language"
	SetLangAuto        Key = "settings.language.auto"
	SetMaxPets         Key = "settings.maxpets"
	SetSleepAfter      Key = "settings.sleepafter"
	SetSleepAfterHint  Key = "settings.sleepafter.hint"
	SetAvoidFullscreen Key = "settings.avoidfullscreen"
	SetStartOnLogin    Key = "settings.startonlogin"
	SetSave            Key = "settings.save"
	SetCancel          Key = "settings.cancel"
	SetSaveFailed      Key = "settings.savefailed"
	SetAutostartFailed Key = "settings.autostartfailed"

	// About dialog.
	AboutComment Key = "about.comment"
)

var catalogues = map[Lang]map[Key]string{
	English: {
		ActSit:   "Sit",
		ActSleep: "Sleep",
		ActJump:  "Jump",
		ActWalk:  "Walk",
		ActRun:   "Run",
		ActLook:  "Look around",
		ActJoy:   "Celebrate",
		ActWake:  "Wake up",

		MenuActions:      "Actions",
		MenuSize:         "Size",
		MenuPack:         "Sprite pack",
		MenuPackDefault:  "Default",
		MenuPackBroken:   "Cannot be used: %s",
		MenuSummon:       "Summon another Tachikoma",
		MenuSummonLimit:  "Limit of %d Tachikomas reached (see Settings)",
		MenuDismiss:      "Dismiss this one",
		MenuDismissOther: "Dismiss all others",
		MenuSettings:     "Settings…",
		MenuAbout:        "About Tachikoma",
		MenuQuit:         "Quit",

		TrayTooltip: "Tachikoma",
		TrayShow:    "Show Tachikoma",
		TrayHide:    "Hide Tachikoma",

		SetTitle:           "Tachikoma Settings",
		SetScale:           "Size",
		SetPack:            "Sprite pack",
		SetLanguage:        "Language",
		SetLangAuto:        "Automatic (from the system)",
		SetMaxPets:         "Most Tachikomas at once",
		SetSleepAfter:      "Fall asleep after (minutes)",
		SetSleepAfterHint:  "0 means never fall asleep on its own",
		SetAvoidFullscreen: "Hide while a fullscreen window is active",
		SetStartOnLogin:    "Start on login",
		SetSave:            "Save",
		SetCancel:          "Cancel",
		SetSaveFailed:      "Could not save settings: %s",
		SetAutostartFailed: "Could not change the login entry: %s",

		AboutComment: "A small blue spider-tank robot that lives on your desktop.",
	},
	Chinese: {
		ActSit:   "坐下",
		ActSleep: "睡觉",
		ActJump:  "跳跃",
		ActWalk:  "散步",
		ActRun:   "奔跑",
		ActLook:  "四处看看",
		ActJoy:   "欢呼",
		ActWake:  "醒醒",

		MenuActions:      "动作",
		MenuSize:         "大小",
		MenuPack:         "形象包",
		MenuPackDefault:  "默认",
		MenuPackBroken:   "无法使用：%s",
		MenuSummon:       "再召唤一只塔奇克马",
		MenuSummonLimit:  "已达到 %d 只的上限（见设置）",
		MenuDismiss:      "让这只离开",
		MenuDismissOther: "让其他的都离开",
		MenuSettings:     "设置…",
		MenuAbout:        "关于塔奇克马",
		MenuQuit:         "退出",

		TrayTooltip: "塔奇克马",
		TrayShow:    "显示塔奇克马",
		TrayHide:    "隐藏塔奇克马",

		SetTitle:           "塔奇克马设置",
		SetScale:           "大小",
		SetPack:            "形象包",
		SetLanguage:        "语言",
		SetLangAuto:        "自动（跟随系统）",
		SetMaxPets:         "同时最多几只",
		SetSleepAfter:      "多久后入睡（分钟）",
		SetSleepAfterHint:  "0 表示不会自己睡着",
		SetAvoidFullscreen: "有全屏窗口时隐藏",
		SetStartOnLogin:    "登录时启动",
		SetSave:            "保存",
		SetCancel:          "取消",
		SetSaveFailed:      "无法保存设置：%s",
		SetAutostartFailed: "无法修改登录启动项：%s",

		AboutComment: "一只住在你桌面上的蓝色小多脚战车。",
	},
}
