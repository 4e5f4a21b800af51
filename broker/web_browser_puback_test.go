package broker_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestWebSendSettlesOnPuback: the web client's copy of a sent message waits
// for the PUBACK, not the echo, so a failure reported after the echo shows
// "not sent" with Retry, and Retry sends it once.
func TestWebSendSettlesOnPuback(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	_, waitJS, run := openBrowser(t, "http://"+b.HTTPAddr()+"/")
	run("log in", chromedp.SendKeys("#username", "alice"), chromedp.SendKeys("#password", "alice-password"),
		chromedp.Click("#login-button"))
	waitJS("lobby open", `!document.getElementById('chat-view').hidden && document.getElementById('conv-title').textContent !== ''`)

	// The PUBACK's callback is held until the echo is in, then reports a failure.
	waitJS("PUBACK failing after the echo", `(() => {
		const client = state.client, publish = client.publish.bind(client);
		client.publish = (topic, msg, opts, done) => {
			client.publish = publish;
			const cid = JSON.parse(msg).cid;
			const echoed = () => state.convs.get(state.active).messages.some((x) => x.cid === cid && x.id);
			const later = () => echoed() ? done(new Error('refused after the echo')) : setTimeout(later, 20);
			return publish(topic, msg, opts, later);
		};
		return true;
	})()`)
	run("send", chromedp.SendKeys("#input", "你好，世界"+kb.Enter))
	mine := `[...document.querySelectorAll('#message-list .msg.mine')].filter((e) => e.querySelector('.text').textContent === '你好，世界')`
	waitJS("failure shown with Retry", mine+`.length === 1 && `+mine+`[0].classList.contains('failed') && !!`+mine+`[0].querySelector('button.retry')`)
	run("retry", chromedp.Click("#message-list .msg.failed button.retry"))
	waitJS("sent once", mine+`.length === 1 && !document.querySelector('#message-list .msg.pending, #message-list .msg.failed')`)
}
