package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

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
	run("open bob", chromedp.Click(`button.conv[data-key="u:bob"]`))
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
