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
	SetFullscreen      Key = "settings.fullscreen"
	SetFullscreenHide  Key = "settings.fullscreen.hide"
	SetFullscreenFade  Key = "settings.fullscreen.fade"
	SetFullscreenStay  Key = "settings.fullscreen.stay"
	SetStartOnLogin    Key = "settings.startonlogin"
	SetSave            Key = "settings.save"
	SetCancel          Key = "settings.cancel"
	DialogClose        Key = "dialog.close"
	SetSaveFailed      Key = "settings.savefailed"
	SetAutostartFailed Key = "settings.autostartfailed"

	// About dialog.
	AboutComment Key = "about.comment"

	// Chat: menu, window, login dialog, notifications.
	ChatStatusOnline     Key = "chat.status.online"
	ChatStatusConnecting Key = "chat.status.connecting"
	ChatStatusOffline    Key = "chat.status.offline"
	ChatStatusLoggedOut  Key = "chat.status.loggedout"
	ChatOpen             Key = "chat.open"
	ChatOpenUnread       Key = "chat.open.unread"
	ChatLogin            Key = "chat.login"
	ChatLogout           Key = "chat.logout"
	ChatDND              Key = "chat.dnd"
	ChatHeld             Key = "chat.held"
	ChatHost             Key = "chat.host"
	ChatHostAddr         Key = "chat.host.addr"
	ChatHostCopy         Key = "chat.host.copy"
	ChatHostNoLAN        Key = "chat.host.nolan"
	ChatWindowTitle      Key = "chat.window.title"
	ChatSend             Key = "chat.send"
	ChatRetry            Key = "chat.retry"
	ChatDiscard          Key = "chat.discard"
	ChatPending          Key = "chat.pending"
	ChatFailed           Key = "chat.failed"
	ChatFriends          Key = "chat.friends"
	ChatRooms            Key = "chat.rooms"
	ChatAddFriend        Key = "chat.friend.add"
	ChatFriendUser       Key = "chat.friend.user"
	ChatFriendRemove     Key = "chat.friend.remove"
	ChatAccept           Key = "chat.friend.accept"
	ChatDecline          Key = "chat.friend.decline"
	ChatRequestFrom      Key = "chat.friend.requestfrom"
	ChatRequested        Key = "chat.friend.requested"
	ChatRoomCreate       Key = "chat.room.create"
	ChatRoomJoin         Key = "chat.room.join"
	ChatRoomLeave        Key = "chat.room.leave"
	ChatRoomInvite       Key = "chat.room.invite"
	ChatRoomMembers      Key = "chat.room.members"
	ChatRoomName         Key = "chat.room.name"
	ChatRoomInvited      Key = "chat.room.invited"
	ChatOlder            Key = "chat.older"
	ChatNoConversation   Key = "chat.noconv"
	ChatLoginTitle       Key = "chat.login.title"
	ChatRegisterTitle    Key = "chat.register.title"
	ChatServer           Key = "chat.login.server"
	ChatUser             Key = "chat.login.user"
	ChatPassword         Key = "chat.login.password"
	ChatNickname         Key = "chat.login.nickname"
	ChatRemember         Key = "chat.login.remember"
	ChatRegisterMode     Key = "chat.login.registermode"
	ChatLoginButton      Key = "chat.login.button"
	ChatRegisterButton   Key = "chat.register.button"
	ChatCancel           Key = "chat.cancel"
	ChatWorking          Key = "chat.login.working"
	ChatErrAuth          Key = "chat.err.auth"
	ChatErrTaken         Key = "chat.err.taken"
	ChatErrInvalid       Key = "chat.err.invalid"
	ChatErrTooMany       Key = "chat.err.toomany"
	ChatErrRegOff        Key = "chat.err.regoff"
	ChatErrUnreachable   Key = "chat.err.unreachable"
	ChatErrTLS           Key = "chat.err.tls"
	ChatErrBadURL        Key = "chat.err.badurl"
	ChatErrOther         Key = "chat.err.other"
	ChatNotifyDM         Key = "chat.notify.dm"
	ChatMute             Key = "chat.mute"
	ChatOK               Key = "chat.ok"
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
		SetFullscreen:      "While a window is fullscreen",
		SetFullscreenHide:  "Hide",
		SetFullscreenFade:  "Fade, let clicks through",
		SetFullscreenStay:  "Stay",
		SetStartOnLogin:    "Start on login",
		SetSave:            "Save",
		SetCancel:          "Cancel",
		DialogClose:        "Close",
		SetSaveFailed:      "Could not save settings: %s",
		SetAutostartFailed: "Could not change the login entry: %s",

		AboutComment: "A small blue spider-tank robot that lives on your desktop.",

		ChatStatusOnline:     "Chat: online as %s",
		ChatStatusConnecting: "Chat: connecting…",
		ChatStatusOffline:    "Chat: offline",
		ChatStatusLoggedOut:  "Chat: not logged in",
		ChatOpen:             "Open chat…",
		ChatOpenUnread:       "Open chat… (%d unread)",
		ChatLogin:            "Log in / Register…",
		ChatLogout:           "Log out",
		ChatDND:              "Do not disturb",
		ChatHeld:             "New messages while you were away: %d",
		ChatHost:             "Host chat on this computer",
		ChatHostAddr:         "Friends connect to %s",
		ChatHostCopy:         "Copy address",
		ChatHostNoLAN:        "No network address found",
		ChatWindowTitle:      "Tachikoma chat",
		ChatSend:             "Send",
		ChatRetry:            "Retry",
		ChatDiscard:          "Discard",
		ChatPending:          "sending…",
		ChatFailed:           "not sent: %s",
		ChatFriends:          "Friends",
		ChatRooms:            "Rooms",
		ChatAddFriend:        "Add friend",
		ChatFriendUser:       "Username",
		ChatFriendRemove:     "Remove friend",
		ChatAccept:           "Accept",
		ChatDecline:          "Decline",
		ChatRequestFrom:      "%s wants to be your friend",
		ChatRequested:        "Request sent to %s",
		ChatRoomCreate:       "Create room",
		ChatRoomJoin:         "Join",
		ChatRoomLeave:        "Leave room",
		ChatRoomInvite:       "Invite…",
		ChatRoomMembers:      "Members",
		ChatRoomName:         "Room name",
		ChatRoomInvited:      "%s invited you to %s",
		ChatOlder:            "Load older messages",
		ChatNoConversation:   "Pick a conversation on the left.",
		ChatLoginTitle:       "Log in to chat",
		ChatRegisterTitle:    "Create a chat account",
		ChatServer:           "Server",
		ChatUser:             "Username",
		ChatPassword:         "Password",
		ChatNickname:         "Nickname",
		ChatRemember:         "Remember me",
		ChatRegisterMode:     "Create a new account",
		ChatLoginButton:      "Log in",
		ChatRegisterButton:   "Register",
		ChatCancel:           "Cancel",
		ChatWorking:          "Connecting…",
		ChatErrAuth:          "Wrong username or password.",
		ChatErrTaken:         "That username is taken; pick another.",
		ChatErrInvalid:       "The server refused: %s",
		ChatErrTooMany:       "Too many attempts; try again in a minute.",
		ChatErrRegOff:        "This server does not accept new accounts.",
		ChatErrUnreachable:   "Cannot reach the server: is the address right and the server running?",
		ChatErrTLS:           "Secure connection failed (certificate problem): %s",
		ChatErrBadURL:        "Not a server address: %s",
		ChatErrOther:         "Could not connect: %s",
		ChatNotifyDM:         "Message from %s",
		ChatMute:             "Mute bubbles",
		ChatOK:               "OK",
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
		SetFullscreen:      "有全屏窗口时",
		SetFullscreenHide:  "隐藏",
		SetFullscreenFade:  "变淡，点击穿透",
		SetFullscreenStay:  "照常",
		SetStartOnLogin:    "登录时启动",
		SetSave:            "保存",
		SetCancel:          "取消",
		DialogClose:        "关闭",
		SetSaveFailed:      "无法保存设置：%s",
		SetAutostartFailed: "无法修改登录启动项：%s",

		AboutComment: "一只住在你桌面上的蓝色小多脚战车。",

		ChatStatusOnline:     "聊天：已上线（%s）",
		ChatStatusConnecting: "聊天：连接中…",
		ChatStatusOffline:    "聊天：离线",
		ChatStatusLoggedOut:  "聊天：未登录",
		ChatOpen:             "打开聊天…",
		ChatOpenUnread:       "打开聊天…（%d 条未读）",
		ChatLogin:            "登录 / 注册…",
		ChatLogout:           "退出登录",
		ChatDND:              "勿扰模式",
		ChatHeld:             "勿扰期间收到的新消息：%d 条",
		ChatHost:             "在本机托管聊天",
		ChatHostAddr:         "朋友可连接 %s",
		ChatHostCopy:         "复制地址",
		ChatHostNoLAN:        "未找到网络地址",
		ChatWindowTitle:      "塔奇克马聊天",
		ChatSend:             "发送",
		ChatRetry:            "重试",
		ChatDiscard:          "丢弃",
		ChatPending:          "发送中…",
		ChatFailed:           "未发送：%s",
		ChatFriends:          "好友",
		ChatRooms:            "聊天室",
		ChatAddFriend:        "添加好友",
		ChatFriendUser:       "用户名",
		ChatFriendRemove:     "删除好友",
		ChatAccept:           "接受",
		ChatDecline:          "拒绝",
		ChatRequestFrom:      "%s 想加你为好友",
		ChatRequested:        "已向 %s 发送请求",
		ChatRoomCreate:       "创建聊天室",
		ChatRoomJoin:         "加入",
		ChatRoomLeave:        "退出聊天室",
		ChatRoomInvite:       "邀请…",
		ChatRoomMembers:      "成员",
		ChatRoomName:         "聊天室名称",
		ChatRoomInvited:      "%s 邀请你加入 %s",
		ChatOlder:            "加载更早的消息",
		ChatNoConversation:   "请在左侧选择一个对话。",
		ChatLoginTitle:       "登录聊天",
		ChatRegisterTitle:    "注册聊天账号",
		ChatServer:           "服务器",
		ChatUser:             "用户名",
		ChatPassword:         "密码",
		ChatNickname:         "昵称",
		ChatRemember:         "记住我",
		ChatRegisterMode:     "注册新账号",
		ChatLoginButton:      "登录",
		ChatRegisterButton:   "注册",
		ChatCancel:           "取消",
		ChatWorking:          "正在连接…",
		ChatErrAuth:          "用户名或密码错误。",
		ChatErrTaken:         "该用户名已被占用，请换一个。",
		ChatErrInvalid:       "服务器拒绝：%s",
		ChatErrTooMany:       "尝试次数过多，请一分钟后再试。",
		ChatErrRegOff:        "该服务器不接受注册新账号。",
		ChatErrUnreachable:   "无法连接服务器：地址是否正确、服务器是否在运行？",
		ChatErrTLS:           "安全连接失败（证书问题）：%s",
		ChatErrBadURL:        "不是有效的服务器地址：%s",
		ChatErrOther:         "无法连接：%s",
		ChatNotifyDM:         "来自 %s 的消息",
		ChatMute:             "不显示气泡",
		ChatOK:               "确定",
	},
}
