package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// browserWait bounds each wait on the page; chromium on a busy machine is slow.
const browserWait = 60 * time.Second

// TestWebPetInBrowser drives the web client in headless chromium (Chinese
// UI): a wrong password, login, history paging, a DM from mosquitto_pub in
// the conversation and the pet's bubble, and a reply typed in the page.
func TestWebPetInBrowser(t *testing.T) {
	if _, err := exec.LookPath("mosquitto_sub"); err != nil {
		t.Skip("mosquitto_sub not installed (scripts/deps.sh test)")
	}
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "carol", "dave")
	bob := connect(t, b, "bob")
	alice := connect(t, b, "alice")
	befriend(t, bob, alice)
	const older = 35 // more than one page of history
	for i := range older {
		bob.pub(topics.Room(topics.Lobby), 1, fmt.Sprintf("lobby %02d", i))
	}
	alice.c.Disconnect(0)

	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("wrong password", chromedp.SendKeys("#username", "alice"),
		chromedp.SendKeys("#password", "not-her-password"), chromedp.Click("#login-button"))
	waitJS("wrong password message", `!document.getElementById('login-error').hidden &&
		document.getElementById('login-error').textContent === '用户名或密码错误。'`)

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('password').value = '', true`)); err != nil {
		t.Fatal(err)
	}
	run("log in", chromedp.SendKeys("#password", "alice-password"),
		chromedp.Click("#remember"), chromedp.Click("#login-button"))
	waitJS("chat view and pet", `!document.getElementById('chat-view').hidden && !document.getElementById('pet').hidden &&
		document.getElementById('pet-img').naturalWidth > 0`)
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem('tachikoma.auth') || ''`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stored, `"token":"tk1.alice.`) || strings.Contains(stored, "alice-password") {
		t.Fatalf("remember-me stored %q, want a resume token and no password", stored)
	}

	countLobby := `document.querySelectorAll('#message-list .msg').length`
	waitJS("first page of the lobby", countLobby+` === 30 && !document.getElementById('older').hidden`)
	run("earlier messages", chromedp.Click("#older"))
	waitJS("whole lobby history", countLobby+` === 35 && document.querySelector('#message-list .text').textContent === 'lobby 00'`)

	waitJS("bob in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]')`)
	waitJS("open bob", openConv("u:bob"))

	dm := "你好 alice <script>window.hacked=1</script><b>bold</b>"
	pub := runMosq(t, b, "mosquitto_pub", "bob", "-q", "1", "-t", topics.DM("alice", "bob"), "-m", dm)
	if err := pub.exit(); err != nil {
		t.Fatalf("mosquitto_pub: %v", err)
	}
	dmJS, _ := json.Marshal(dm)
	waitJS("DM in the conversation and the bubble", fmt.Sprintf(`(() => {
		const texts = [...document.querySelectorAll('#message-list .text')].map(e => e.textContent);
		return texts.includes(%[1]s) && !document.getElementById('bubble').hidden &&
			document.getElementById('bubble-text').textContent === %[1]s &&
			document.getElementById('bubble-nick').textContent === 'bob';
	})()`, dmJS))
	injected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(window.hacked || document.querySelector('#message-list script, #message-list b, #bubble script'))`))
	if err != nil || injected {
		t.Fatal("a message's markup reached the page as HTML")
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "webpet.png"), shot, 0o644); err != nil || len(shot) < 1000 {
		t.Fatalf("screenshot: %d bytes, %v", len(shot), err)
	}

	sub := runMosq(t, b, "mosquitto_sub", "bob", "-q", "1", "-t", topics.DM("bob", "alice"), "-C", "1", "-F", "%j")
	sub.waitLine("SUBACK")
	reply := "晚上好\nbob" // Shift+Enter is a new line, Enter sends
	run("type a reply", chromedp.SendKeys("#input", "晚上好"), chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.KeyEvent("bob"+kb.Enter))
	waitJS("reply acknowledged", `!!document.querySelector('#message-list .msg.mine') && !document.querySelector('#message-list .msg.pending, #message-list .msg.failed')`)
	var got topics.Message
	if r := sub.waitMessage("晚上好"); json.Unmarshal([]byte(r.Payload), &got) != nil || got.Text != reply || got.From != "alice" {
		t.Fatalf("bob received %q, want %q from alice", r.Payload, reply)
	}

	// Friend requests both ways, and a room made from the page.
	carol, dave := connect(t, b, "carol"), connect(t, b, "dave")
	dave.sub(topics.Events("dave"))
	carol.mustCall(topics.MethodFriendRequest, topics.Params{User: "alice"}, nil)
	waitJS("carol's request", `!!document.querySelector('#requests li[data-user="carol"] button.accept')`)
	evaluate(t, ctx, "accept carol", `(document.querySelector('#requests li[data-user="carol"] button.accept').click(), true)`)
	waitJS("carol a friend", `!!document.querySelector('button.conv[data-key="u:carol"]') && !document.querySelector('#requests li')`)
	run("ask dave", chromedp.SendKeys("#friend-name", "dave"+kb.Enter))
	if ev := dave.expectEvent("friend.request"); ev.User != "alice" {
		t.Fatalf("dave got %+v, want a request from alice", ev)
	}
	run("create a room", chromedp.SendKeys("#room-name", "club"+kb.Enter))
	waitJS("the new room open", `!!document.querySelector('button.conv[data-key="r:club"]') &&
		document.getElementById('conv-title').textContent === '# club'`)

	// Invitations: alice invites carol to club; bob invites alice to a private room.
	carol.sub(topics.Events("carol"))
	run("invite carol", chromedp.SendKeys("#invite-name", "carol"+kb.Enter))
	if ev := carol.expectEvent("room.invite"); ev.User != "alice" || ev.Room != "club" {
		t.Fatalf("carol got %+v, want alice's invitation to club", ev)
	}
	private := false
	bob.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den", Public: &private}, nil)
	bob.mustCall(topics.MethodRoomInvite, topics.Params{Room: "den", User: "alice"}, nil)
	waitJS("bob's invitation", `!!document.querySelector('#requests li[data-room="den"] button.accept')`)
	evaluate(t, ctx, "join den", `(document.querySelector('#requests li[data-room="den"] button.accept').click(), true)`)
	waitJS("in den", `document.getElementById('conv-title').textContent === '# den' && !document.querySelector('#requests li')`)

	// On a phone the list and the conversation take turns.
	run("phone screen", chromedp.EmulateViewport(390, 800))
	waitJS("conversation alone", `!document.getElementById('sidebar').offsetParent && !!document.getElementById('back').offsetParent`)
	run("back to the list", chromedp.Click("#back"))
	waitJS("list alone", `!!document.getElementById('sidebar').offsetParent && !document.getElementById('conversation').offsetParent`)

	// Remember-me logs in again on reload, with the token.
	run("reload", chromedp.Reload())
	waitJS("logged in again", `!document.getElementById('chat-view').hidden && document.getElementById('me').textContent === 'alice'`)
}

// TestWebRegisterInBrowser creates an account from the page: the server's
// refusal is shown, then the account logs in with its nickname.
func TestWebRegisterInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("register mode", chromedp.Click("#mode"))
	waitJS("nickname field", `!document.getElementById('nick-row').hidden &&
		document.getElementById('login-button').textContent === '注册并登录'`)
	run("weak password", chromedp.SendKeys("#username", "erin"), chromedp.SendKeys("#password", "short"),
		chromedp.SendKeys("#nickname", "小爱"), chromedp.Click("#login-button"))
	waitJS("server's refusal", `document.getElementById('login-error').textContent.includes('password too weak')`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('password').value = '', true`)); err != nil {
		t.Fatal(err)
	}
	run("register", chromedp.SendKeys("#password", "erin-password"), chromedp.Click("#login-button"))
	waitJS("logged in with the nickname", `!document.getElementById('chat-view').hidden && document.getElementById('me').textContent === '小爱'`)
	if u, ok := b.Directory().User("erin"); !ok || u.Nickname != "小爱" {
		t.Fatalf("erin in the directory: %+v, %v", u, ok)
	}
}

// TestWebRegisterWithInviteInBrowser: on a server with invites and
// approval the form asks for the code, shows a wrong code's refusal, and a
// new account waits for the admin before it can log in.
func TestWebRegisterWithInviteInBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Registration.Mode, cfg.Registration.Approval = broker.RegistrationInvite, true
	b := startBroker(t, cfg)
	st := openStore(t, cfg.DataDir)
	inv, err := st.CreateInvite(context.Background(), 1, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	note := `document.getElementById('server-note').textContent`
	loginErr := `document.getElementById('login-error').textContent`
	run("register mode", chromedp.Click("#mode"))
	waitJS("invite field and notes", `!document.getElementById('invite-row').hidden &&
		`+note+` === '该服务器需要管理员发的邀请码才能注册。\n该服务器的新账号需要管理员审核。'`)
	run("wrong invite", chromedp.SendKeys("#username", "fay"), chromedp.SendKeys("#password", "fay-password"),
		chromedp.SendKeys("#invite-code", "WRONG-CODE"), chromedp.Click("#login-button"))
	waitJS("wrong invite refused", loginErr+` === '邀请码无效（输错了，或已被撤销）。'`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('invite-code').value = '', true`)); err != nil {
		t.Fatal(err)
	}
	run("register with the invite", chromedp.SendKeys("#invite-code", strings.ToLower(store.FormatInvite(inv.Code))),
		chromedp.Click("#login-button"))
	waitJS("waiting for approval, back to log in", note+` === '账号已创建，正在等待服务器管理员审核，通过后即可登录。' &&
		document.getElementById('nick-row').hidden && document.getElementById('invite-row').hidden`)
	run("log in too early", chromedp.SendKeys("#password", "fay-password"), chromedp.Click("#login-button"))
	waitJS("still waiting", `!document.getElementById('login-error').hidden && `+loginErr+` === '你的账号正在等待服务器管理员审核，通过后再登录。'`)
	if err := st.ApproveUser(context.Background(), "fay"); err != nil {
		t.Fatal(err)
	}
	// The broker picks the approval up from the database within a second or so.
	deadline := time.Now().Add(browserWait)
	for {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('password').value = '', true`)); err != nil {
			t.Fatal(err)
		}
		run("log in", chromedp.SendKeys("#password", "fay-password"), chromedp.Click("#login-button"))
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById('chat-view').hidden || !document.getElementById('login-error').hidden`,
			chromedp.WithPollingTimeout(browserWait))); err != nil {
			t.Fatal(err)
		}
		in, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById('chat-view').hidden`))
		if in {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("approved account cannot log in from the page")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// openBrowser opens url in headless chromium with a Chinese UI language (and
// extra options). It returns the tab's context, a wait for a JavaScript
// condition (failing with the page's text and console) and a runner of actions.
func openBrowser(t *testing.T, url string, extra ...chromedp.ExecAllocatorOption) (context.Context, func(what, expr string), func(what string, actions ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (scripts/deps.sh test)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1000, 700), chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN"), chromedp.Env("LANGUAGE=zh_CN"))
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	var consoleMu sync.Mutex
	var consoleLines []string
	if err := chromedp.Listen(ctx, func(ev any) {
		line := ""
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				line += " " + string(a.Value) + a.Description
			}
		case *runtime.EventExceptionThrown:
			line = fmt.Sprintf("exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception)
		case *cdplog.EventEntryAdded:
			line = e.Entry.Text
		default:
			return
		}
		consoleMu.Lock()
		consoleLines = append(consoleLines, line)
		consoleMu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	waitJS := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, browserWait)
		defer cancel()
		poll := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(browserWait))
		if _, err := chromedp.Run(wctx, poll); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText + '\\n' + document.getElementById('login-error').title`))
			consoleMu.Lock()
			defer consoleMu.Unlock()
			t.Fatalf("%s: %v\npage text:\n%s\nconsole:\n%s", what, err, page, strings.Join(consoleLines, "\n"))
		}
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		actx, cancel := context.WithTimeout(ctx, browserWait)
		defer cancel()
		if err := chromedp.Do(actx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("open page", chromedp.Navigate(url), chromedp.WaitVisible("#username"))
	return ctx, waitJS, run
}
