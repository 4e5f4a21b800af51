package broker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// openConv is a script that clicks a conversation's button and tells
// whether it is open. The lists are redrawn as presence and the friend
// list come in, which can replace a button between chromedp finding and
// clicking it; a click from the page finds the one shown.
func openConv(key string) string {
	return `(document.querySelector('button.conv[data-key="` + key + `"]')?.click(), state.active === '` + key + `')`
}

// aliceAndBob starts a broker where alice and bob are friends, bob
// connected and alice free to log in to the page.
func aliceAndBob(t *testing.T) (*broker.Broker, *client) {
	t.Helper()
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob, alice := connect(t, b, "bob"), connect(t, b, "alice")
	befriend(t, bob, alice)
	alice.c.Disconnect(0)
	return b, bob
}

// alicePage starts a broker where alice and bob are friends, with alice
// logged in to the page and the lobby open.
func alicePage(t *testing.T) (*client, context.Context, func(string, string), func(string, ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	b, bob := aliceAndBob(t)
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the lobby open", `document.getElementById('conv-title').textContent === '# Lobby'`)
	return bob, ctx, waitJS, run
}

// TestWebHandlerErrorKeepsChatInBrowser: a page handler that throws while a
// message arrives (Android Chrome's Notification constructor does, with the
// permission granted) must not stall MQTT.js: the next messages still come.
func TestWebHandlerErrorKeepsChatInBrowser(t *testing.T) {
	bob, ctx, waitJS, _ := alicePage(t)
	waitJS("bob in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]')`)
	waitJS("bob open", openConv("u:bob"))
	evaluate(t, ctx, "Android's Notification, the tab hidden", `(() => {
		window.Notification = class {
			static get permission() { return 'granted'; }
			constructor() { throw new TypeError("Failed to construct 'Notification': Illegal constructor."); }
		};
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
		return true;
	})()`)
	bob.pub(topics.DM("alice", "bob"), 1, "第一条私信")
	waitJS("the first DM", messageTexts+`.includes('第一条私信')`)
	bob.pub(topics.DM("alice", "bob"), 1, "第二条私信")
	bob.pub(topics.Room(topics.Lobby), 1, "大厅消息")
	waitJS("the next DM and room message too", messageTexts+`.includes('第二条私信') &&
		state.convs.get('r:lobby').messages.some((m) => m.text === '大厅消息')`)
}

// TestWebCatchUpAfterReconnectInBrowser: what friends say while the page's
// connection is down (a phone switching networks, a laptop waking) is there
// after it reconnects, once each, in order, and counted as unread.
func TestWebCatchUpAfterReconnectInBrowser(t *testing.T) {
	bob, ctx, waitJS, _ := alicePage(t)
	bob.pub(topics.Room(topics.Lobby), 1, "断线前")
	waitJS("a message before the outage", messageTexts+`.includes('断线前')`)

	// The connection drops and stays down until the test lets it back.
	evaluate(t, ctx, "drop the connection", `(state.client.options.reconnectPeriod = 3600000, state.client.stream.destroy(), true)`)
	waitJS("reconnecting", `document.getElementById('status').textContent === '连接已断开，正在重连…' && !state.client.connected`)
	bob.pub(topics.Room(topics.Lobby), 1, "断线时 1")
	bob.pub(topics.Room(topics.Lobby), 1, "断线时 2 😀")
	bob.pub(topics.DM("alice", "bob"), 1, "断线时的私信")
	evaluate(t, ctx, "reconnect", `(state.client.options.reconnectPeriod = 3000, state.client.reconnect(), true)`)
	waitJS("the missed room messages, once each, in order", `document.getElementById('status').hidden &&
		JSON.stringify(`+messageTexts+`) === JSON.stringify(['断线前', '断线时 1', '断线时 2 😀'])`)
	waitJS("the missed DM unread", `(document.querySelector('button.conv[data-key="u:bob"] .badge') || {}).textContent === '1'`)
	bob.pub(topics.Room(topics.Lobby), 1, "重连后")
	waitJS("live again", `JSON.stringify(`+messageTexts+`) === JSON.stringify(['断线前', '断线时 1', '断线时 2 😀', '重连后'])`)
	waitJS("bob open", openConv("u:bob"))
	waitJS("the missed DM once", `JSON.stringify(`+messageTexts+`) === JSON.stringify(['断线时的私信']) &&
		!document.querySelector('button.conv[data-key="u:bob"] .badge')`)
}

// TestWebRefusedMessageFailsInBrowser: a message the broker acknowledges but
// refuses (MQTT 3.1.1 has no negative PUBACK) shows "not sent" with Retry,
// never as sent; an accepted DM still settles.
func TestWebRefusedMessageFailsInBrowser(t *testing.T) {
	bob, ctx, waitJS, run := alicePage(t)
	bob.sub(topics.DM("bob", "alice"))
	waitJS("bob in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]')`)
	waitJS("bob open", openConv("u:bob"))
	// chromedp's Enter leaves a newline behind (its char event is not held back
	// by the keydown's preventDefault as a keyboard's is), hence the trim.
	mine := func(text string) string {
		return `[...document.querySelectorAll('#message-list .msg.mine')].find((e) => e.querySelector('.text').textContent.trim() === '` + text + `')`
	}
	run("a DM", chromedp.SendKeys("#input", "在吗？"+kb.Enter))
	if m := bob.expectChat(topics.DM("bob", "alice")); m.Text != "在吗？" {
		t.Fatalf("bob got %q", m.Text)
	}
	waitJS("the DM sent", mine("在吗？")+`?.className === 'msg mine'`)

	// The page has not heard of the removal yet (its event still on the way).
	evaluate(t, ctx, "lists held", `(window.refreshLists = async () => {}, true)`)
	bob.mustCall(topics.MethodFriendRemove, topics.Params{User: "alice"}, nil)
	run("a DM bob no longer takes", chromedp.SendKeys("#input", "你删了我？"+kb.Enter))
	waitJS("not sent, with Retry", mine("你删了我？")+`?.classList.contains('failed') && !!`+mine("你删了我？")+`.querySelector('button.retry') &&
		`+mine("在吗？")+`.className === 'msg mine'`)
}

// TestWebTooLongInBrowser: a message over the broker's 4,000 characters is
// not sent but kept in the input with a clear message; 4,000 emoji (8,000
// UTF-16 units) are within the limit and go.
func TestWebTooLongInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the lobby open", `document.getElementById('conv-title').textContent === '# Lobby'`)
	max := topics.MaxTextChars // the page's MAX_TEXT must agree
	evaluate(t, ctx, "paste one character too many", fmt.Sprintf(`(document.getElementById('input').value = '长'.repeat(%d), true)`, max+1))
	run("send", chromedp.Click("#send-form button"))
	waitJS("refused in the page, text kept", fmt.Sprintf(`document.getElementById('status').textContent === '消息太长：%d 个字，最多 %d 个。' &&
		document.getElementById('input').value === '长'.repeat(%[1]d) && !document.querySelector('#message-list .msg.mine')`, max+1, max))
	evaluate(t, ctx, "paste the most emoji", fmt.Sprintf(`(document.getElementById('input').value = '😀'.repeat(%d), true)`, max))
	run("send", chromedp.Click("#send-form button"))
	waitJS("sent", fmt.Sprintf(`document.querySelector('#message-list .msg.mine')?.className === 'msg mine' &&
		document.querySelector('#message-list .msg.mine .text').textContent === '😀'.repeat(%d) && document.getElementById('input').value === ''`, max))
}

// TestWebIMEEnterInBrowser: Enter that picks a Chinese IME's candidate does
// not send, whether the browser reports it during the composition
// (Chromium) or just after it with keyCode 229 (Safari); Enter then sends.
func TestWebIMEEnterInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the lobby open", `document.getElementById('conv-title').textContent === '# Lobby'`)
	run("focus", chromedp.Focus("#input"))
	if _, err := chromedp.Call(ctx, input.ImeSetComposition, input.ImeSetCompositionParams{Text: "nihao", SelectionStart: 5, SelectionEnd: 5}); err != nil {
		t.Fatal(err)
	}
	run("Enter while composing", chromedp.KeyEvent(kb.Enter))
	evaluate(t, ctx, "nothing sent", `!document.querySelector('#message-list .msg.mine')`)
	evaluate(t, ctx, "Safari's order: the composition ends, then Enter with keyCode 229", `(() => {
		const i = document.getElementById('input');
		i.value = '你好';
		i.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
		i.dispatchEvent(new CompositionEvent('compositionend', { data: '你好' }));
		i.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', keyCode: 229, bubbles: true, cancelable: true }));
		return true;
	})()`)
	evaluate(t, ctx, "nothing sent yet", `document.getElementById('input').value === '你好' && !document.querySelector('#message-list .msg.mine')`)
	run("Enter", chromedp.KeyEvent(kb.Enter))
	waitJS("one message, sent by the last Enter", `document.querySelectorAll('#message-list .msg.mine').length === 1 &&
		document.querySelector('#message-list .msg.mine .text').textContent === '你好' && document.getElementById('input').value.trim() === ''`)
}

// TestWebPasswordChangedInBrowser: after the admin sets a new password
// (tachikoma-broker user passwd), the page's token no longer logs in; the
// page asks for the new password instead of reconnecting for ever, and
// forgets the remembered token.
func TestWebPasswordChangedInBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	b := startBroker(t, cfg)
	register(t, b, "alice")
	_, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("log in, remembered", chromedp.SendKeys("#username", "alice"), chromedp.SendKeys("#password", "alice-password"),
		chromedp.Click("#remember"), chromedp.Click("#login-button"))
	waitJS("token stored", `(JSON.parse(localStorage.getItem('tachikoma.auth')) || {}).token?.startsWith('tk1.alice.') &&
		state.client.options.password.startsWith('tk1.')`)

	hash, err := password.Hash("a-new-password", brokertest.FastHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := openStore(t, cfg.DataDir).SetPassword(context.Background(), "alice", hash); err != nil {
		t.Fatal(err)
	}
	b.ReloadDirectory()
	waitJS("asked to log in again", `document.getElementById('login-error').textContent === '保存的登录已过期，请重新登录。' &&
		!document.getElementById('login-view').hidden && document.getElementById('chat-view').hidden &&
		document.getElementById('status').hidden && localStorage.getItem('tachikoma.auth') === null &&
		document.getElementById('username').value === 'alice'`)
	run("log in with the new password", chromedp.SendKeys("#password", "a-new-password"), chromedp.Click("#login-button"))
	waitJS("in again", `!document.getElementById('chat-view').hidden && document.getElementById('me').textContent === 'alice'`)
}

// TestWebLogoutLeavesNothingInBrowser: on a shared computer, logging out
// leaves nothing of the account in the page: not the nickname in the bar,
// nor the lists, the last bubble or a friend request.
func TestWebLogoutLeavesNothingInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "carol")
	bob, carol, alice := connect(t, b, "bob"), connect(t, b, "carol"), connect(t, b, "alice")
	befriend(t, bob, alice)
	alice.mustCall(topics.MethodProfileSet, topics.Params{Nickname: "小爱"}, nil)
	alice.c.Disconnect(0)
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("log in", chromedp.SendKeys("#username", "alice"), chromedp.SendKeys("#password", "alice-password"), chromedp.Click("#login-button"))
	waitJS("in, with the nickname", `document.getElementById('me').textContent === '小爱' && !document.getElementById('pet').hidden`)
	carol.mustCall(topics.MethodFriendRequest, topics.Params{User: "alice"}, nil)
	bob.pub(topics.DM("alice", "bob"), 1, "悄悄话 secret")
	waitJS("the DM in the bubble, carol's request", `document.getElementById('bubble-text').textContent === '悄悄话 secret' &&
		!!document.querySelector('#requests li[data-user="carol"]')`)
	run("log out", chromedp.Click("#logout"))
	waitJS("the form", `!document.getElementById('login-view').hidden`)
	evaluate(t, ctx, "nothing of alice's left", `(() => {
		const all = document.body.textContent;
		return document.getElementById('me').textContent === '' && !['小爱', '悄悄话', 'bob', 'carol', 'Lobby'].some((s) => all.includes(s));
	})() || (console.log(document.body.textContent), false)`)
}

// TestWebPhoneLayoutInBrowser: on a 375×667 touch phone nothing is wider
// than the screen (the page would scroll sideways and the pet walk off it),
// in a room with a long name (its title when none is given, as the page
// makes them) and its invite field too.
func TestWebPhoneLayoutInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("phone", chromedp.EmulateViewport(375, 667, chromedp.EmulateTouch, chromedp.EmulateMobile))
	webLogin(run, waitJS, "alice")
	// A phone's layout viewport (innerWidth) widens to what overflows: measure against the screen.
	fits := `document.documentElement.scrollWidth <= 375 && [...document.querySelectorAll('button, input, textarea, h2, select')]
		.filter((e) => e.offsetParent).every((e) => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= 375.5; })`
	waitJS("the lobby fits", `document.getElementById('conv-title').textContent === '# Lobby' && `+fits)
	run("back to the list", chromedp.Click("#back"))
	waitJS("the list fits", `!!document.getElementById('sidebar').offsetParent && `+fits)
	const room = "zju_cs2026_final_review_group_03"
	run("make the class room", chromedp.SendKeys("#room-name", room+kb.Enter))
	waitJS("the room and its invite field fit", `document.getElementById('conv-title').textContent === '# `+room+`' &&
		!!document.getElementById('invite-name').offsetParent && `+fits)
	run("the invite field takes a name", chromedp.SendKeys("#invite-name", "bob"+kb.Enter))
	waitJS("invited", `document.getElementById('status').textContent === '已邀请：bob'`)
	evaluate(t, ctx, "the pet on the screen", `(() => { const r = document.getElementById('pet-img').getBoundingClientRect(); return r.left >= 0 && r.right <= 375.5; })()`)
}

// TestWebLongConversationInBrowser: in a conversation thousands of
// messages long (a busy class room, a tab open all day) a new message adds
// its own element and leaves the others in place, and times come from one
// formatter per language, not one per message, reading as before.
func TestWebLongConversationInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob := connect(t, b, "bob")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the lobby loaded", `document.getElementById('conv-title').textContent === '# Lobby' && state.convs.get('r:lobby').loaded`)
	evaluate(t, ctx, "2,000 messages, formatters counted", `(() => {
		const c = state.convs.get('r:lobby');
		// Ids below the broker's, which are all ahead of these.
		for (let i = 1; i <= 2000; i++) add(c, { id: i - 2001, from: 'bob', nick: '小波', text: '第' + i + '条：今天复习到第几章了？', ts: Date.now() - (2000 - i) * 60000 });
		window.formats = 0;
		const Real = Intl.DateTimeFormat;
		Intl.DateTimeFormat = function (...a) { formats++; return new Real(...a); };
		const toLocale = Date.prototype.toLocaleString;
		Date.prototype.toLocaleString = function (...a) { formats++; return toLocale.apply(this, a); };
		renderMessages(true);
		window.added = 0;
		new MutationObserver((records) => records.forEach((r) => { added += r.addedNodes.length; }))
			.observe(document.getElementById('message-list'), { childList: true });
		return true;
	})()`)
	bob.pub(topics.Room(topics.Lobby), 1, "新消息：图书馆见")
	waitJS("the new message after 2,000", `document.querySelectorAll('#message-list .msg').length === 2001 &&
		document.querySelector('#message-list .msg:last-child .text').textContent === '新消息：图书馆见'`)
	evaluate(t, ctx, "times as before, from at most one new formatter", `(() => {
		const c = state.convs.get('r:lobby');
		const shown = [...document.querySelectorAll('#message-list .msg time')].map((e) => e.textContent);
		const want = c.messages.map((m) => new Date(m.ts).toLocaleString('zh-CN', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
		return JSON.stringify(shown) === JSON.stringify(want) && window.formats - 2001 <= 1 ||
			(console.log('formatters', window.formats - 2001, shown[0], want[0]), false);
	})()`)
	evaluate(t, ctx, "the new message added alone, the 2,000 left in place", `window.added === 1 || (console.log('added', window.added), false)`)
}

// TestWebFriendRemovedInBrowser: when a friend removes you, they leave your
// friends list at once (as in the desktop chat), and their open
// conversation gives way to the lobby.
func TestWebFriendRemovedInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "carol")
	bob, carol, alice := connect(t, b, "bob"), connect(t, b, "carol"), connect(t, b, "alice")
	befriend(t, bob, alice)
	befriend(t, carol, alice)
	bob.mustCall(topics.MethodProfileSet, topics.Params{Nickname: "小波"}, nil)
	alice.c.Disconnect(0)
	_, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("bob and carol in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]') && !!document.querySelector('button.conv[data-key="u:carol"]')`)
	waitJS("bob open", openConv("u:bob"))
	waitJS("bob's conversation", `document.getElementById('conv-title').textContent === '小波'`)
	bob.mustCall(topics.MethodFriendRemove, topics.Params{User: "alice"}, nil)
	waitJS("bob gone, carol kept, the lobby open", `!document.querySelector('button.conv[data-key="u:bob"]') &&
		!!document.querySelector('button.conv[data-key="u:carol"]') && document.getElementById('conv-title').textContent === '# Lobby' &&
		!document.getElementById('friends').textContent.includes('小波')`)
}

// TestWebLongEmojiMessageInBrowser: a long message cut short for the pet's
// bubble or a notification is cut between characters, never inside an
// emoji (half of one shows as a broken glyph).
func TestWebLongEmojiMessageInBrowser(t *testing.T) {
	bob, ctx, waitJS, _ := alicePage(t)
	waitJS("the pet", `!document.getElementById('pet').hidden`)
	bubble := strings.Repeat("哈", 139) + "😂😂 后面还有"
	bob.pub(topics.Room(topics.Lobby), 1, bubble)
	waitJS("the bubble cut after the emoji", `document.getElementById('bubble-text').textContent === '`+strings.Repeat("哈", 139)+`😂…'`)
	evaluate(t, ctx, "notifications shown, the tab hidden", `(() => {
		window.shown = [];
		window.Notification = class { static get permission() { return 'granted'; } constructor(title, o) { shown.push(o.body); } };
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
		return true;
	})()`)
	bob.pub(topics.DM("alice", "bob"), 1, strings.Repeat("嗯", 199)+"👍👍")
	waitJS("the notification cut after the emoji", `window.shown.length === 1 && window.shown[0] === '`+strings.Repeat("嗯", 199)+`👍'`)
}

// TestWebNotificationClickInBrowser: clicking a page notification brings
// the tab forward with the conversation it was about open.
func TestWebNotificationClickInBrowser(t *testing.T) {
	bob, ctx, waitJS, _ := alicePage(t)
	evaluate(t, ctx, "notifications recorded, the tab hidden", `(() => {
		window.shown = [];
		window.Notification = class {
			static get permission() { return 'granted'; }
			constructor(title, o) { this.title = title; shown.push(this); }
			close() { this.closed = true; }
		};
		window.focused = 0;
		window.focus = () => { focused++; };
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
		return true;
	})()`)
	bob.pub(topics.DM("alice", "bob"), 1, "晚上一起吃饭吗？")
	waitJS("a notification", `window.shown.length === 1 && window.shown[0].title === 'bob'`)
	evaluate(t, ctx, "click it", `(window.shown[0].onclick && window.shown[0].onclick(new Event('click')), true)`)
	waitJS("bob's conversation open, the tab focused", `document.getElementById('conv-title').textContent === 'bob' && window.focused === 1 &&
		window.shown[0].closed === true && `+messageTexts+`.includes('晚上一起吃饭吗？')`)
}

// TestWebTwoTabsInBrowser: the broker copies a DM to its sender's other
// sessions, so a second tab of the same account (or the page beside the
// desktop pet) shows at once what was sent from the other one, as its
// own, in order, once, and not as unread.
func TestWebTwoTabsInBrowser(t *testing.T) {
	b, bob := aliceAndBob(t)
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("log in, remembered", chromedp.SendKeys("#username", "alice"), chromedp.SendKeys("#password", "alice-password"),
		chromedp.Click("#remember"), chromedp.Click("#login-button"))
	waitJS("token stored", `!!localStorage.getItem('tachikoma.auth')`)
	tab2, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	wait2 := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(tab2, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(browserWait))); err != nil {
			t.Fatalf("second tab, %s: %v", what, err)
		}
	}
	if _, err := chromedp.Run(tab2, chromedp.Navigate("http://"+b.HTTPAddr()+"/")); err != nil {
		t.Fatal(err)
	}
	openBob := openConv("u:bob")
	wait2("logged in with the token, bob open", `typeof state === 'object' && state.connected && `+openBob)
	wait2("bob's conversation loaded", `state.active === 'u:bob' && state.convs.get('u:bob').loaded`)

	waitJS("bob open in the first tab", openBob)
	run("a DM from the first tab", chromedp.SendKeys("#input", "第一个标签页发的"+kb.Enter))
	waitJS("sent", `[...document.querySelectorAll('#message-list .msg.mine')].some((e) => e.className === 'msg mine')`)
	bob.pub(topics.DM("alice", "bob"), 1, "bob 的回复")
	wait2("bob's reply", messageTexts+`.includes('bob 的回复')`)
	wait2("both, in order, once", `JSON.stringify(`+messageTexts+`.map((s) => s.trim())) === JSON.stringify(['第一个标签页发的', 'bob 的回复'])`)
	wait2("the first tab's DM shown as mine, not unread", `[...document.querySelectorAll('#message-list .msg.mine')].some((e) => e.textContent.includes('第一个标签页发的')) &&
		state.convs.get('u:bob').unread === 0`)
	waitJS("the sending tab shows it once", messageTexts+`.filter((s) => s.includes('第一个标签页发的')).length === 1`)
}

// TestWebNameRulesInBrowser: a Chinese user who types a Chinese username
// (or a room name with capitals and spaces) is told in Chinese what a name
// may be, not the browser's "match the requested format".
func TestWebNameRulesInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("register mode", chromedp.Click("#mode"))
	run("a Chinese username", chromedp.SendKeys("#username", "小明"), chromedp.SendKeys("#password", "xiaoming-password"),
		chromedp.Click("#login-button"))
	waitJS("the rule, in Chinese", `document.getElementById('username').validationMessage === '用户名只能用 3 到 32 个小写字母、数字或下划线（昵称可以用中文）。' &&
		document.getElementById('login-error').hidden`)
	evaluate(t, ctx, "a good name passes", `(() => { const u = document.getElementById('username'); u.value = 'xiaoming';
		u.dispatchEvent(new Event('input')); const ok = u.validity.valid;
		u.value = document.getElementById('password').value = ''; return ok; })()`)
	run("back to log in", chromedp.Click("#mode"))
	webLogin(run, waitJS, "alice")
	run("a room name with capitals and a space", chromedp.SendKeys("#room-name", "CS 2026"+kb.Enter))
	waitJS("the room rule, in Chinese", `document.getElementById('room-name').validationMessage === '房间名只能用 1 到 32 个小写字母、数字、下划线或减号。'`)
}

// TestWebPhoneKeyboardInBrowser: on a touch phone, opening a conversation
// does not focus the input (the on-screen keyboard would cover half of
// what one opened it to read); with a mouse and keyboard it still does.
func TestWebPhoneKeyboardInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the input focused on a computer", `document.getElementById('conv-title').textContent === '# Lobby' && document.activeElement === document.getElementById('input')`)
	run("phone", chromedp.EmulateViewport(375, 667, chromedp.EmulateTouch, chromedp.EmulateMobile))
	waitJS("a touch screen", `matchMedia('(pointer: coarse)').matches`)
	run("back to the list", chromedp.Click("#back"))
	waitJS("the lobby opened by a tap", `(document.activeElement.blur(), `+openConv("r:lobby")+`)`)
	evaluate(t, ctx, "no keyboard", `document.activeElement !== document.getElementById('input') && !!document.getElementById('input').offsetParent`)
	run("type there", chromedp.Click("#input"), chromedp.SendKeys("#input", "手机上发的"+kb.Enter))
	waitJS("sent", messageTexts+`.includes('手机上发的')`)
}

// TestWebRoomsElsewhereInBrowser: rooms the user joins, creates or leaves
// from another session (the desktop pet, mosquitto_pub) come and go in the
// page at once (the broker's room.joined and room.left events): a joined
// room is listed under its Chinese title, drawn, with its history read and
// its new messages counted; a left one's open conversation gives way to
// the lobby.
func TestWebRoomsElsewhereInBrowser(t *testing.T) {
	b, bob := aliceAndBob(t)
	bob.mustCall(topics.MethodRoomCreate, topics.Params{Room: "study", Title: "自习室"}, nil)
	bob.pub(topics.Room("study"), 1, `{"text":"欢迎来自习","cid":"b1"}`)
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the lobby open", `document.getElementById('conv-title').textContent === '# Lobby'`)
	evaluate(t, ctx, "not listed before the join", `!document.querySelector('button.conv[data-key="r:study"]')`)

	desk := connect(t, b, "alice")
	desk.mustCall(topics.MethodRoomJoin, topics.Params{Room: "study"}, nil)
	study := `document.querySelector('button.conv[data-key="r:study"]')`
	waitJS("the room joined elsewhere, under its title", study+`?.textContent === '# 自习室'`)
	waitJS("its title drawn", cjkDrawn(`button.conv[data-key="r:study"] .name`))
	waitJS("its history read, the lobby still open", `state.convs.get('r:study').loaded &&
		state.convs.get('r:study').messages.some((m) => m.text === '欢迎来自习') && state.active === 'r:lobby'`)
	bob.pub(topics.Room("study"), 1, `{"text":"有人吗","cid":"b2"}`)
	waitJS("a new message there counted", study+`?.querySelector('.badge')?.textContent === '1'`)
	waitJS("opened", openConv("r:study"))
	waitJS("both messages shown", `JSON.stringify(`+messageTexts+`) === JSON.stringify(['欢迎来自习', '有人吗'])`)

	desk.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den", Title: "书房"}, nil)
	waitJS("a room created elsewhere", `document.querySelector('button.conv[data-key="r:den"]')?.textContent === '# 书房'`)
	// A list read already on its way when the leave comes (the tab coming
	// to the front) must not bring the room back.
	evaluate(t, ctx, "a room list held back", `(() => {
		const ask = request;
		request = (method, params) => method !== 'room.list' || window.release ? ask(method, params) :
			ask(method, params).then((r) => new Promise((done) => { window.release = () => done(r); }));
		refreshLists().then(() => { window.refreshed = true; });
		return true;
	})()`)
	waitJS("the held list answered", `typeof window.release === 'function'`)
	desk.mustCall(topics.MethodRoomLeave, topics.Params{Room: "study"}, nil)
	waitJS("the room left elsewhere gone, the lobby open", `!`+study+` && state.active === 'r:lobby' &&
		!!document.querySelector('button.conv[data-key="r:den"]')`)
	evaluate(t, ctx, "the held list let go", `(window.release(), true)`)
	waitJS("the old list read, the room still gone", `window.refreshed === true && !`+study)
	desk.mustCall(topics.MethodRoomLeave, topics.Params{Room: "den"}, nil)
	waitJS("the other one gone too", `!document.querySelector('button.conv[data-key="r:den"]')`)
}

// TestWebUnsentKeptOnLeavingInBrowser: closing or reloading the page while
// a message is still unsent (pending or failed) asks first, as the page
// keeps unsent messages nowhere else; with everything sent it does not.
func TestWebUnsentKeptOnLeavingInBrowser(t *testing.T) {
	_, ctx, waitJS, run := alicePage(t)
	dialogs := make(chan page.DialogType, 4)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs <- e.Type
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}) //nolint:errcheck
		}
	}); err != nil {
		t.Fatal(err)
	}
	run("a sent message", chromedp.SendKeys("#input", "发出去了"+kb.Enter))
	waitJS("sent", `[...document.querySelectorAll('#message-list .msg.mine')].some((e) => e.className === 'msg mine')`)
	evaluate(t, ctx, "nothing to keep", `(() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return !e.defaultPrevented; })()`)

	evaluate(t, ctx, "drop the connection", `(state.client.options.reconnectPeriod = 3600000, state.client.stream.destroy(), true)`)
	waitJS("reconnecting", `!state.client.connected`)
	run("a message while away", chromedp.SendKeys("#input", "还没发出去"+kb.Enter))
	waitJS("pending", `!!document.querySelector('#message-list .msg.mine.pending')`)
	go chromedp.Run(ctx, chromedp.Reload()) //nolint:errcheck // held by the dialog, then cancelled
	select {
	case typ := <-dialogs:
		if typ != page.DialogTypeBeforeunload {
			t.Fatalf("dialog %s, want beforeunload", typ)
		}
	case <-time.After(browserWait):
		t.Fatal("the page left with a message unsent, without asking")
	}
	waitJS("still there, unsent", `[...document.querySelectorAll('#message-list .msg.mine .text')].some((e) => e.textContent.trim() === '还没发出去')`)
}

// TestWebTokenRenewedInBrowser: every reconnect gets a fresh resume token,
// as the desktop pet does, so a tab left open for weeks is not logged out
// when the one from its login runs out 30 days later.
func TestWebTokenRenewedInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("log in, remembered", chromedp.SendKeys("#username", "alice"), chromedp.SendKeys("#password", "alice-password"),
		chromedp.Click("#remember"), chromedp.Click("#login-button"))
	waitJS("token stored", `(window.first = (JSON.parse(localStorage.getItem('tachikoma.auth')) || {}).token || '').startsWith('tk1.alice.')`)
	evaluate(t, ctx, "the connection drops", `(state.client.stream.destroy(), true)`)
	waitJS("a newer token in use and remembered", `state.client.connected && (() => {
		const saved = JSON.parse(localStorage.getItem('tachikoma.auth')) || {};
		return saved.token !== window.first && saved.token.startsWith('tk1.alice.') && state.client.options.password === saved.token &&
			Number(saved.token.split('.')[2]) > Number(window.first.split('.')[2]);
	})()`)
	waitJS("chat goes on, 中文", `document.getElementById('me').textContent === 'alice'`)
}

// TestWebShortScreenInBrowser: on a short screen (a phone with its keyboard
// up or turned sideways, a laptop at 200% zoom) the conversation keeps most
// of the height: the strip the pet walks in is given back to it.
func TestWebShortScreenInBrowser(t *testing.T) {
	bob, ctx, waitJS, run := alicePage(t)
	for i := range 8 {
		bob.pub(topics.Room(topics.Lobby), 1, fmt.Sprintf("第%d条消息", i))
	}
	waitJS("the messages", messageTexts+`.length === 8`)
	for _, v := range []struct {
		name          string
		width, height int64
		opts          []chromedp.EmulateViewportOption
	}{
		{"a laptop at 200% zoom", 683, 300, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2)}},
		{"a phone with its keyboard up", 375, 340, []chromedp.EmulateViewportOption{chromedp.EmulateTouch, chromedp.EmulateMobile}},
		{"a phone sideways", 667, 320, []chromedp.EmulateViewportOption{chromedp.EmulateTouch, chromedp.EmulateMobile}},
	} {
		run(v.name, chromedp.EmulateViewport(v.width, v.height, v.opts...))
		waitJS(v.name+": the messages get a third of the height", `document.getElementById('messages').clientHeight >= innerHeight / 3 &&
			document.documentElement.scrollHeight <= innerHeight`)
	}
	run("a tall screen again", chromedp.EmulateViewport(1000, 700))
	evaluate(t, ctx, "the pet back", `!!document.getElementById('pet-img').offsetParent`)
}
