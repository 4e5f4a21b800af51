package broker_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// TestWebHandlerErrorKeepsChatInBrowser: a page handler that throws while a
// message arrives (Android Chrome's Notification constructor does, with the
// permission granted) must not stall MQTT.js: the next messages still come.
func TestWebHandlerErrorKeepsChatInBrowser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob, alice := connect(t, b, "bob"), connect(t, b, "alice")
	befriend(t, bob, alice)
	alice.c.Disconnect(0)
	ctx, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	webLogin(run, waitJS, "alice")
	waitJS("bob in the friends list", `!!document.querySelector('button.conv[data-key="u:bob"]')`)
	run("open bob", chromedp.Click(`button.conv[data-key="u:bob"]`))
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
