package broker_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// cjkDrawn is a script giving whether every Han character in the element's
// text is drawn with a real glyph in the element's font: each differs from
// the others and from an unassigned code point (the "missing glyph" box).
func cjkDrawn(selector string) string {
	return fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return false;
		const cs = getComputedStyle(el);
		const draw = (ch) => {
			const c = document.createElement('canvas');
			c.width = 64; c.height = 64;
			const g = c.getContext('2d');
			g.font = cs.fontWeight + ' 40px ' + cs.fontFamily;
			g.fillText(ch, 4, 48);
			return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
		};
		const chars = [...new Set(el.textContent.match(/\p{Script=Han}/gu) || [])];
		if (!chars.length) return false;
		const shots = chars.map(draw);
		const box = draw('\u0378'), blank = draw(' ');
		return shots.every((s) => s !== box && s !== blank) && new Set(shots).size === shots.length;
	})()`, selector)
}

// TestWebPetMovesInBrowser: the pet walks, sits and sleeps along the bottom
// with the pack's frames, says messages with the sender's nickname, jumps
// for a DM or an @mention only, and can be dragged up and dropped.
func TestWebPetMovesInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob, alice := connect(t, b, "bob"), connect(t, b, "alice")
	befriend(t, bob, alice)
	bob.mustCall(topics.MethodProfileSet, topics.Params{Nickname: "小波"}, nil)
	alice.c.Disconnect(0)

	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the pet", `!document.getElementById('pet').hidden && document.getElementById('pet-img').naturalWidth > 0`)
	// Record every frame the pet shows; the dice are loaded to pick each action.
	evaluate(t, ctx, "frame log", `(() => {
		window.frames_ = [];
		const img = document.getElementById('pet-img');
		new MutationObserver(() => window.frames_.push(img.getAttribute('src'))).observe(img, { attributes: true, attributeFilter: ['src'] });
		window.petX = () => document.getElementById('pet-img').getBoundingClientRect().left;
		window.onBottom = () => Math.abs(document.getElementById('pet').getBoundingClientRect().bottom - innerHeight) < 1;
		window.force = (r) => { Math.random = () => r; pet.actionEnds = 0; return true; };
		return true;
	})()`)
	framesOf := func(anim string) string {
		return fmt.Sprintf(`new Set(window.frames_.filter((s) => /\/static\/[0-9a-f]{12}\/pet\/%s_[0-9]+\.png$/.test(s))).size >= 2`, anim)
	}

	evaluate(t, ctx, "walk", `force(0.1) && (window.x0 = petX()) >= 0`)
	waitJS("walking along the bottom", `document.getElementById('pet').dataset.anim === 'walk' && Math.abs(petX() - window.x0) > 30 &&
		onBottom() && `+framesOf("walk"))
	evaluate(t, ctx, "sit", `force(0.8) && (window.frames_ = []).length === 0`)
	waitJS("sitting", `document.getElementById('pet').dataset.anim === 'sit' && onBottom() && `+framesOf("sit"))
	evaluate(t, ctx, "sleep", `force(0.95) && (window.frames_ = []).length === 0`)
	waitJS("sleeping", `document.getElementById('pet').dataset.anim === 'sleep' && onBottom() && `+framesOf("sleep"))
	evaluate(t, ctx, "the pet stays asleep where it is", `(window.x1 = petX()) >= 0`)

	// A room message without a mention: a bubble, no jump.
	evaluate(t, ctx, "jump log", `(() => {
		window.jumps = 0;
		let was = '';
		new MutationObserver(() => {
			const now = document.getElementById('pet').dataset.anim;
			if (now === 'jump' && was !== 'jump') window.jumps++;
			was = now;
		})
			.observe(document.getElementById('pet'), { attributes: true, attributeFilter: ['data-anim'] });
		return true;
	})()`)
	bob.pub(topics.Room(topics.Lobby), 1, "大家好，今天天气不错")
	waitJS("room message in the bubble", `document.getElementById('bubble-text').textContent === '大家好，今天天气不错' &&
		document.getElementById('bubble-nick').textContent === '小波' && !document.getElementById('bubble').hidden`)
	// say() jumps in the same task that fills the bubble, so no jump yet means none.
	evaluate(t, ctx, "no jump for a plain room message", `window.jumps === 0`)
	bob.pub(topics.Room(topics.Lobby), 1, "@alice 一起去图书馆吗？")
	waitJS("an @mention jumps", `document.getElementById('bubble-text').textContent === '@alice 一起去图书馆吗？' && window.jumps === 1`)
	evaluate(t, ctx, "one jump only for the mention", `window.jumps === 1`)
	waitJS("back on its feet after the jump", `document.getElementById('pet').dataset.anim !== 'jump'`)
	bob.pub(topics.DM("alice", "bob"), 1, "私信：你好呀")
	waitJS("a DM jumps", `document.getElementById('bubble-text').textContent === '私信：你好呀' && window.jumps === 2`)
	waitJS("the bubble's Chinese drawn with real glyphs", cjkDrawn("#bubble"))
	if path := os.Getenv("TACHIKOMA_WEBPET_SHOT"); path != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil || os.WriteFile(path, shot, 0o644) != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}

	// Drag: the pet follows the pointer up the page, then lands at the bottom.
	evaluate(t, ctx, "sleep again", `force(0.95)`)
	waitJS("asleep, not jumping", `document.getElementById('pet').dataset.anim === 'sleep'`)
	rect, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById('pet-img').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	x, y := rect[0], rect[1]
	run("pick the pet up", chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+150, y-80, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+300, y-250, chromedp.ButtonLeft))
	waitJS("carried", fmt.Sprintf(`document.getElementById('pet').dataset.anim === 'drag' && Math.abs(petX() - (window.x1 + 300)) < 2 &&
		document.getElementById('pet').getBoundingClientRect().bottom < innerHeight - 150 && %s`, framesOf("drag")))
	run("drop it", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x+300, y-250, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	waitJS("landed where it was dropped", `onBottom() && document.getElementById('pet').dataset.anim !== 'drag' &&
		Math.abs(petX() - (window.x1 + 300)) < 2`)
}

// TestWebKeepaliveInBrowser: MQTT.js under the page's policy keeps its
// connection with pings (it times them in a blob worker, which a policy
// without worker-src blocks, and then the broker drops it), and logging in
// and chatting raises no policy violation.
func TestWebKeepaliveInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	evaluate(t, ctx, "violation log", `(() => {
		window.violations = [];
		document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
		window.pongs = 0;
		window.drops = 0;
		const c = mqtt.connect('ws://' + location.host + '/mqtt', { username: 'bob', password: 'bob-password',
			protocolVersion: 4, keepalive: 4, reconnectPeriod: 0 });
		c.on('packetreceive', (p) => { if (p.cmd === 'pingresp') pongs++; });
		c.on('close', () => drops++);
		return true;
	})()`)
	waitJS("two pings answered on one connection", `window.pongs >= 2 && window.drops === 0`)
	webLogin(run, waitJS, "alice")
	run("say hello", chromedp.SendKeys("#input", "你好，lobby"+kb.Enter))
	waitJS("sent", messageTexts+`.includes('你好，lobby') && !document.querySelector('#message-list .msg.pending')`)
	evaluate(t, ctx, "no policy violations", `window.violations.length === 0 || (console.log(violations.join('; ')), false)`)
	waitJS("the page's Chinese drawn with real glyphs", cjkDrawn("#message-list .msg.mine .text"))
}

// TestWebListsAndLanguageInBrowser: friends' presence and unread counts in
// the lists; the UI language follows the browser and can be switched, and
// the choice outlives a reload.
func TestWebListsAndLanguageInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "carol")
	bob, carol, alice := connect(t, b, "bob"), connect(t, b, "carol"), connect(t, b, "alice")
	befriend(t, bob, alice)
	befriend(t, carol, alice)
	carol.c.Disconnect(0)
	alice.c.Disconnect(0)

	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	row := func(key string) string { return `document.querySelector('button.conv[data-key="` + key + `"]')` }
	badge := func(key string) string { return `(` + row(key) + `.querySelector('.badge') || {}).textContent` }
	waitJS("bob online, carol offline", row("u:bob")+` && `+row("u:bob")+`.querySelector('.dot.on') && `+row("u:bob")+`.querySelector('.presence').textContent === '在线' &&
		`+row("u:carol")+` && !`+row("u:carol")+`.querySelector('.dot.on') && `+row("u:carol")+`.querySelector('.presence').textContent === '离线'`)
	waitJS("open carol", openConv("u:carol"))
	waitJS("carol's conversation", `document.getElementById('conv-title').textContent === 'carol'`)
	bob.pub(topics.Room(topics.Lobby), 1, "第一条")
	bob.pub(topics.Room(topics.Lobby), 1, "第二条")
	bob.pub(topics.DM("alice", "bob"), 1, "在吗")
	waitJS("unread counts", badge("r:lobby")+` === '2' && `+badge("u:bob")+` === '1' && `+badge("u:carol")+` === undefined`)
	waitJS("open the lobby", openConv("r:lobby"))
	waitJS("lobby read", badge("r:lobby")+` === undefined && `+badge("u:bob")+` === '1' && `+messageTexts+`.includes('第二条')`)
	bob.c.Disconnect(0)
	waitJS("bob offline", `!`+row("u:bob")+`.querySelector('.dot.on') && `+row("u:bob")+`.querySelector('.presence').textContent === '离线'`)

	switchTo := func(lang string) {
		evaluate(t, ctx, "switch to "+lang, `(() => { const s = document.getElementById('lang'); s.value = '`+lang+`';
			s.dispatchEvent(new Event('change')); return true; })()`)
	}
	switchTo("en")
	waitJS("English UI, Chinese messages", `document.querySelector('#sidebar h3').textContent === 'Rooms' &&
		document.querySelector('#send-form button').textContent === 'Send' && document.documentElement.lang === 'en' &&
		`+row("u:bob")+`.querySelector('.presence').textContent === 'offline' && `+messageTexts+`.includes('第二条')`)
	run("log out and reload", chromedp.Click("#logout"), chromedp.Reload())
	waitJS("still English after a reload", `document.getElementById('login-button').textContent === 'Log in' && document.getElementById('lang').value === 'en'`)
	switchTo("zh")
	waitJS("Chinese again", `document.getElementById('login-button').textContent === '登录' && document.documentElement.lang === 'zh-CN'`)
	waitJS("Chinese drawn with real glyphs", cjkDrawn("#login-form h2"))

	// A browser in English gets the English page.
	enCtx, enWait, _ := openBrowser(t, "http://"+b.HTTPAddr()+"/", chromedp.Flag("lang", "en-US"),
		chromedp.Flag("accept-lang", "en-US"), chromedp.Env("LANGUAGE=en_US"))
	enWait("English from the browser's language", `navigator.language.startsWith('en') &&
		document.getElementById('login-button').textContent === 'Log in' && document.getElementById('lang').value === 'en'`)
	evaluate(t, enCtx, "the language menu offers Chinese", `document.querySelector('#lang option[value="zh"]').textContent === '中文'`)
	enWait("its Chinese drawn with real glyphs", cjkDrawn("#lang option[value='zh']"))
}

// TestWebRetryInBrowser: a message typed while the server is away turns
// from pending to failed with Retry; Retry makes it pending again, and once
// the server is back (the page logs in again with its token) it is sent,
// shown and delivered once.
func TestWebRetryInBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob")
	_, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("the lobby open", `document.getElementById('conv-title').textContent === '# Lobby'`)
	cfg.MQTTAddr, cfg.WSAddr, cfg.HTTPAddr = b.MQTTAddr(), b.WSAddr(), b.HTTPAddr()
	b.Close()
	waitJS("reconnecting", `!document.getElementById('status').hidden && document.getElementById('status').textContent === '连接已断开，正在重连…'`)

	const text = "断线时写的消息"
	run("send while away", chromedp.SendKeys("#input", text+kb.Enter))
	waitJS("pending", `document.querySelector('#message-list .msg.mine.pending .state')?.textContent === '发送中…'`)
	waitJS("failed with Retry", `!!document.querySelector('#message-list .msg.mine.failed .state')?.textContent.startsWith('发送失败') &&
		document.querySelector('#message-list .msg.mine.failed button.retry')?.textContent === '重试'`)
	run("retry", chromedp.Click(`#message-list .msg.mine.failed button.retry`))
	waitJS("pending again", `!!document.querySelector('#message-list .msg.mine.pending') && !document.querySelector('#message-list .msg.failed')`)

	b2 := startBroker(t, cfg)
	bob := connect(t, b2, "bob")
	bob.sub(topics.Room(topics.Lobby))
	waitJS("sent once the server is back", `document.getElementById('status').hidden &&
		!document.querySelector('#message-list .msg.pending, #message-list .msg.failed') &&
		JSON.stringify(`+messageTexts+`.filter((t) => t === '`+text+`')) === '["`+text+`"]'`)
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != text || m.From != "alice" {
		t.Fatalf("bob got %+v, want alice's %q", m, text)
	}
	bob.pub(topics.Room(topics.Lobby), 1, "marker")
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "marker" {
		t.Fatalf("bob got %q after the retried message, want it once then the marker", m.Text)
	}
}

// TestWebRememberMeInBrowser: "remember me" keeps only a resume token in
// the origin's storage; logging out forgets it, and a token the server no
// longer takes sends the user to the form with a clear message.
func TestWebRememberMeInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	rememberedLogin := func() {
		run("log in, remembered", chromedp.SendKeys("#username", "alice"), chromedp.SendKeys("#password", "alice-password"),
			chromedp.Click("#remember"), chromedp.Click("#login-button"))
		waitJS("token stored", `(JSON.parse(localStorage.getItem('tachikoma.auth')) || {}).token?.startsWith('tk1.alice.')`)
	}
	rememberedLogin()
	evaluate(t, ctx, "no password kept", `(() => {
		const kept = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie;
		return !kept.includes('alice-password') && document.getElementById('password').value === '';
	})()`)
	tok, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('tachikoma.auth')).token`))
	if err != nil {
		t.Fatal(err)
	}
	run("log out", chromedp.Click("#logout"))
	waitJS("forgotten", `localStorage.getItem('tachikoma.auth') === null && !document.getElementById('login-view').hidden`)
	// The server ended the token too (auth.revoke): a copy no longer logs in.
	for deadline, i := time.Now().Add(waitFor), 0; ; i++ {
		c, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", tok, fmt.Sprintf("stolen-%d", i))
		if err != nil {
			break
		}
		c.c.Disconnect(0)
		if time.Now().After(deadline) {
			t.Fatal("the token still logs in after logging out")
		}
		time.Sleep(50 * time.Millisecond)
	}
	run("reload", chromedp.Reload())
	waitJS("the form, not the chat", `!!document.getElementById('username') && !document.getElementById('login-view').hidden &&
		document.getElementById('login-button').textContent === '登录'`)
	evaluate(t, ctx, "still out", `document.getElementById('chat-view').hidden`)

	rememberedLogin()
	evaluate(t, ctx, "spoil the token", `(() => { const a = JSON.parse(localStorage.getItem('tachikoma.auth'));
		a.token = 'tk1.alice.spoilt'; localStorage.setItem('tachikoma.auth', JSON.stringify(a)); return true; })()`)
	run("reload", chromedp.Reload())
	waitJS("asked to log in again", `document.getElementById('login-error').textContent === '保存的登录已过期，请重新登录。' &&
		document.getElementById('chat-view').hidden && localStorage.getItem('tachikoma.auth') === null &&
		document.getElementById('username').value === 'alice'`)
}

// TestWebMentionRuleInBrowser: the page decides what is an @mention (the
// pet jumps) exactly as the desktop chat does.
func TestWebMentionRuleInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	ctx, _, _ := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	texts := []string{"hi @alice", "@alice: look", "@ALICE!", "hey @Ali the cat", "hey @ali_2", "@alicex", "x@alice",
		"mail alice@alice.org", "alice without at", "@阿丽你好", "@阿丽", "看 @阿丽", "@阿", "", "@@alice", "@alice@alice"}
	for _, nick := range []string{"Ali", "阿丽", ""} {
		for _, text := range texts {
			want := chat.IsMention(text, "alice", nick)
			js, _ := json.Marshal([]string{text, nick})
			got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`isMention(%s[0], 'alice', %s[1])`, js, js)))
			if err != nil || got != want {
				t.Errorf("isMention(%q, alice, %q) = %v (%v) in the page, %v in the desktop chat", text, nick, got, err, want)
			}
		}
	}
}
