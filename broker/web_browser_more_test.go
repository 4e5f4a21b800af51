package broker_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// webLogin logs user in from the page's form and waits for the chat view.
func webLogin(run func(string, ...chromedp.Action[chromedp.Void]), waitJS func(string, string), user string) {
	run("log in "+user, chromedp.SendKeys("#username", user), chromedp.SendKeys("#password", user+"-password"),
		chromedp.Click("#login-button"))
	waitJS("chat view", `!document.getElementById('chat-view').hidden && document.getElementById('me').textContent === '`+user+`'`)
}

// evaluate runs a script in the page that must return true.
func evaluate(t *testing.T, ctx context.Context, what, script string) {
	t.Helper()
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script)); err != nil || !ok {
		t.Fatalf("%s: %v, %v", what, ok, err)
	}
}

// messageTexts is a script giving the open conversation's texts, oldest first.
const messageTexts = `[...document.querySelectorAll('#message-list .msg .text')].map(e => e.textContent)`

// TestWebNotificationsInBrowser: with the permission granted, a DM that
// arrives while the tab is hidden raises a page notification with the
// sender and the text; while the tab is visible, the pet's bubble is enough.
func TestWebNotificationsInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob, alice := connect(t, b, "bob"), connect(t, b, "alice")
	befriend(t, bob, alice)
	alice.c.Disconnect(0)

	origin := "http://" + b.HTTPAddr()
	ctx, waitJS, run := openBrowser(t, origin+"/")
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted,
		Origin: origin}); err != nil {
		t.Fatalf("grant notifications: %v", err)
	}
	webLogin(run, waitJS, "alice")
	waitJS("permission granted", `Notification.permission === 'granted'`)
	// Count what the page shows through the real API.
	evaluate(t, ctx, "notification spy", `(() => {
		window.shown = [];
		const Real = window.Notification;
		window.Notification = class extends Real {
			constructor(title, options) { super(title, options); window.shown.push({ title, body: options.body, tag: options.tag }); }
		};
		return true;
	})()`)

	bob.pub(topics.DM("alice", "bob"), 1, "visible tab")
	waitJS("DM in the bubble", `document.getElementById('bubble-text').textContent === 'visible tab'`)
	evaluate(t, ctx, "no notification in a visible tab", `window.shown.length === 0`)

	evaluate(t, ctx, "hide the tab", `(() => {
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
		document.dispatchEvent(new Event('visibilitychange'));
		return document.hidden;
	})()`)
	bob.pub(topics.DM("alice", "bob"), 1, "你在吗？tab hidden")
	waitJS("a notification", `window.shown.length === 1 && window.shown[0].title === 'bob' &&
		window.shown[0].body === '你在吗？tab hidden' && window.shown[0].tag === 'u:bob'`)
}

// TestWebDMHistoryPagingInBrowser: scrolling a DM conversation to the top
// loads the older pages, each once, in order; a DM arriving meanwhile goes
// last without moving the view.
func TestWebDMHistoryPagingInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob, alice := connect(t, b, "bob"), connect(t, b, "alice")
	befriend(t, bob, alice)
	const total = 75 // two and a half pages of the page's 30
	var want []string
	for i := range total {
		want = append(want, fmt.Sprintf("dm %02d 第%d条", i, i))
		bob.pub(topics.DM("alice", "bob"), 1, want[i])
	}
	alice.c.Disconnect(0)

	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("bob in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]')`)
	waitJS("open bob", openConv("u:bob"))
	texts := func(from, to int) string {
		j, _ := json.Marshal(want[from:to])
		return string(j)
	}
	waitJS("newest page", fmt.Sprintf(`JSON.stringify(%s) === %q`, messageTexts, texts(total-30, total)))

	scrollUp := `(() => { document.getElementById('messages').scrollTop = 0; return true; })()`
	evaluate(t, ctx, "scroll to the top", scrollUp)
	waitJS("second page above the first", fmt.Sprintf(`JSON.stringify(%s) === %q`, messageTexts, texts(total-60, total)))
	// A DM arriving while alice reads older messages does not move her view.
	evaluate(t, ctx, "reading place", `(window.place = document.getElementById('messages').scrollTop) > 0`)
	bob.pub(topics.DM("alice", "bob"), 1, "live 新消息")
	want = append(want, "live 新消息")
	waitJS("the live DM last, the view kept", fmt.Sprintf(`JSON.stringify(%s) === %q &&
		document.getElementById('messages').scrollTop === window.place`, messageTexts, texts(total-60, len(want))))
	evaluate(t, ctx, "scroll to the top again", scrollUp)
	waitJS("the whole conversation, each message once", fmt.Sprintf(`JSON.stringify(%s) === %q &&
		document.getElementById('older').hidden`, messageTexts, texts(0, len(want))))
}

// TestWebOverHTTPSInBrowser: with TLS configured the page, its assets and
// the MQTT WebSocket (wss, same origin) work in a browser that trusts only
// the test certificate's key.
func TestWebOverHTTPSInBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	var pool *x509.CertPool
	cfg.TLS.CertFile, cfg.TLS.KeyFile, pool = brokertest.SelfSigned(t)
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob")
	withTLS := func(o *paho.ClientOptions) { o.SetTLSConfig(&tls.Config{RootCAs: pool}) }
	bob, err := dial(t, "ssl://"+b.MQTTAddr(), "bob", "bob-password", "bob-tls", withTLS)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := dial(t, "ssl://"+b.MQTTAddr(), "alice", "alice-password", "alice-tls", withTLS)
	if err != nil {
		t.Fatal(err)
	}
	befriend(t, bob, alice)
	alice.c.Disconnect(0)

	pemBytes, err := os.ReadFile(cfg.TLS.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	url := "https://" + b.HTTPAddr() + "/"
	ctx, waitJS, run := openBrowser(t, url,
		chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	evaluate(t, ctx, "the page over https", `location.protocol === 'https:'`)
	webLogin(run, waitJS, "alice")
	waitJS("bob in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]')`)
	waitJS("open bob", openConv("u:bob"))

	bob.sub(topics.DM("bob", "alice"))
	bob.pub(topics.DM("alice", "bob"), 1, "over wss 加密")
	// The broker copies a DM to its sender's sessions, bob's own first.
	if m := bob.expectChat(topics.DM("bob", "alice")); m.Text != "over wss 加密" || m.From != "bob" {
		t.Fatalf("bob's copy of his DM: %+v", m)
	}
	waitJS("bob's DM", messageTexts+`.includes('over wss 加密')`)
	run("reply", chromedp.SendKeys("#input", "收到 over wss"+kb.Enter))
	if m := bob.expectChat(topics.DM("bob", "alice")); m.Text != "收到 over wss" || m.From != "alice" {
		t.Fatalf("bob received %+v", m)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[string](`performance.getEntriesByType('resource').map(e => e.name).join(' ')`))
	if err != nil || !strings.Contains(loaded, "https://"+b.HTTPAddr()+"/static/") || strings.Contains(loaded, "http://") {
		t.Fatalf("the page's resources: %q, %v", loaded, err)
	}
}
