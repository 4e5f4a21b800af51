//go:build gui

package guitest

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// TestChat runs the pet against a real broker on loopback: a room message
// sent with mosquitto_pub becomes a bubble; a DM bubble opens its
// conversation when clicked; a friend request is answered; after a broker
// restart the pet reconnects and delivers what was queued offline, once.
func TestChat(t *testing.T) {
	for _, tool := range []string{"mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (apt-get install mosquitto-clients)", tool)
		}
	}
	data := t.TempDir()
	b := startTestBroker(t, data, "127.0.0.1:0")
	addr := b.MQTTAddr()
	host, port, _ := strings.Cut(addr, ":")
	for _, u := range []string{"alice", "bob", "carol"} {
		if err := b.Register(context.Background(), u, u+"-password", strings.ToUpper(u[:1])+u[1:]); err != nil {
			t.Fatal(err)
		}
	}
	bob := testClient(t, addr, "bob")
	carol := testClient(t, addr, "carol")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := bob.c.FriendRequest(ctx, "alice"); err != nil {
		t.Fatal(err)
	}

	s := startX(t, true)
	s.startBackdrop()
	control := filepath.Join(s.dir, "control")
	p := s.startPet([]string{"TACHIKOMA_PASSWORD=alice-password", "TACHIKOMA_CHAT_CONTROL=" + control,
		"XDG_STATE_HOME=" + filepath.Join(s.dir, "state")},
		"--pets", "1", "--server", "mqtt://"+addr, "--user", "alice")
	send := func(cmd string) {
		f, err := os.OpenFile(control, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, cmd)
		f.Close()
	}
	chatState := func(st statefile.State) statefile.Chat {
		if st.Chat == nil {
			return statefile.Chat{}
		}
		return *st.Chat
	}
	p.waitState("chat online", 20*time.Second, func(st statefile.State) bool { return chatState(st).Status == "online" })

	// Befriend bob through the app: his request is shown, the app accepts.
	p.waitState("bob's request shown", 10*time.Second, func(st statefile.State) bool {
		return slicesContains(chatState(st).Incoming, "bob")
	})
	send("accept bob")
	p.waitState("bob is a friend", 10*time.Second, func(st statefile.State) bool {
		return slicesContains(chatState(st).Friends, "bob")
	})

	t.Run("room message bubble", func(t *testing.T) {
		text := "Hello from Bob! 你好 🤖 — the pet says what friends say"
		s.run(nil, "mosquitto_pub", "-h", host, "-p", port, "-u", "bob", "-P", "bob-password",
			"-t", "tachikoma/rooms/lobby", "-m", text)
		st := p.waitState("lobby bubble", 10*time.Second, func(st statefile.State) bool {
			bs := chatState(st).Bubbles
			return len(bs) > 0 && bs[0].Visible && bs[0].Text == text && bs[0].From == "Bob" && bs[0].Conv == "room:lobby"
		})
		bub := st.Chat.Bubbles[0]
		// The bubble window shows something other than the backdrop.
		var img *image.RGBA
		var r image.Rectangle
		ok := pollUntil(20*time.Second, func() bool { // the bubble follows a walking pet: wait for a still moment
			before := chatState(p.read()).Bubbles[0]
			img = s.screenshot()
			after := chatState(p.read()).Bubbles[0]
			r = image.Rect(after.X, after.Y, after.X+after.W, after.Y+after.H)
			return before == after && after.Visible && countNonBackdrop(img, r) > r.Dx()*r.Dy()/2
		})
		if !ok {
			t.Fatalf("bubble %+v not drawn: %d of %d pixels differ from the backdrop", bub, countNonBackdrop(img, r), r.Dx()*r.Dy())
		}
		// Its corners are transparent (rounded, no black box).
		checkBackdrop(t, img, r.Min.X, r.Min.Y, "bubble corner")
		checkBackdrop(t, img, r.Max.X-1, r.Min.Y, "bubble corner")
		checkBubbleText(t, p, text)
		if *screenshots != "" {
			pe := p.read().Pets[0]
			win := image.Rect(pe.WinX, pe.WinY, pe.WinX+pe.W, pe.WinY+pe.H)
			savePNG(t, filepath.Join(*screenshots, "bubble.png"), crop(img, win.Union(r).Inset(-30)))
		}
	})

	t.Run("DM bubble opens the conversation", func(t *testing.T) {
		if _, err := bob.c.Send("dm:alice", "psst, alice — click me"); err != nil {
			t.Fatal(err)
		}
		p.waitState("DM bubble", 20*time.Second, func(st statefile.State) bool {
			bs := chatState(st).Bubbles
			return len(bs) > 0 && bs[0].Visible && bs[0].Conv == "dm:bob"
		})
		for try := 0; ; try++ {
			bs := chatState(p.read()).Bubbles[0]
			if bs.Conv == "dm:bob" && bs.Visible {
				s.xdotool("mousemove", itoa(bs.X+bs.W/2), itoa(bs.Y+bs.H/3), "click", "1")
			}
			if pollUntil(2*time.Second, func() bool {
				c := chatState(p.read())
				return c.WindowOpen && c.WindowConv == "dm:bob"
			}) {
				break
			}
			if try == 3 {
				p.waitState("chat window on dm:bob", time.Second, func(st statefile.State) bool {
					return chatState(st).WindowConv == "dm:bob"
				})
			}
		}
	})

	t.Run("typing in the chat window sends", func(t *testing.T) {
		got := bob.wait(chat.EventMessage)
		win := strings.Fields(s.run(nil, "xdotool", "search", "--sync", "--name", "^Tachikoma chat$"))
		if len(win) == 0 {
			t.Fatal("no chat window")
		}
		s.xdotool("windowfocus", "--sync", win[0])
		if *screenshots != "" {
			// Let the page of history arrive and lay out before the shot.
			time.Sleep(500 * time.Millisecond)
			img := s.screenshot()
			geo := s.run(nil, "xdotool", "getwindowgeometry", "--shell", win[0])
			savePNG(t, filepath.Join(*screenshots, "chat.png"), crop(img, shellRect(geo)))
		}
		s.xdotool("type", "--delay", "20", "hi bob")
		s.xdotool("key", "Return")
		select {
		case ev := <-got:
			if ev.Message == nil || ev.Message.Text != "hi bob" || ev.Message.From != "alice" || ev.Conv != "dm:alice" {
				t.Fatalf("bob got %+v", ev.Message)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("bob never got the typed message; pet log:\n%s", tail(s.logOf("pet"), 20))
		}
	})

	t.Run("chat window closes and opens again", func(t *testing.T) {
		send("close-chat")
		p.waitState("window closed", 5*time.Second, func(st statefile.State) bool { return !chatState(st).WindowOpen })
		if !running(p.cmd) {
			t.Fatal("closing the chat window ended the pet")
		}
		send("open dm:bob")
		p.waitState("window open again", 5*time.Second, func(st statefile.State) bool {
			c := chatState(st)
			return c.WindowOpen && c.WindowConv == "dm:bob" && c.WindowMsgs >= 2
		})
	})

	t.Run("friend request round trip", func(t *testing.T) {
		accepted := carol.wait(chat.EventFriendAccepted)
		if _, err := carol.c.FriendRequest(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		p.waitState("carol's request shown", 10*time.Second, func(st statefile.State) bool {
			return slicesContains(chatState(st).Incoming, "carol")
		})
		send("accept carol")
		select {
		case ev := <-accepted:
			if ev.User != "alice" {
				t.Fatalf("accepted by %q", ev.User)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("carol never got friend.accepted")
		}
		p.waitState("carol is a friend", 10*time.Second, func(st statefile.State) bool {
			c := chatState(st)
			return slicesContains(c.Friends, "carol") && !slicesContains(c.Incoming, "carol")
		})
	})

	t.Run("do not disturb: no bubble, still unread, told after", func(t *testing.T) {
		send("dnd on")
		before := chatState(p.waitState("dnd on", 5*time.Second, func(st statefile.State) bool {
			bs := chatState(st).Bubbles
			return len(bs) > 0 && !bs[0].Visible
		}))
		s.run(nil, "mosquitto_pub", "-h", host, "-p", port, "-u", "bob", "-P", "bob-password",
			"-t", "tachikoma/rooms/lobby", "-m", "quiet please")
		after := chatState(p.waitState("unread grows", 10*time.Second, func(st statefile.State) bool {
			return chatState(st).Unread > before.Unread
		}))
		if after.Bubbled != before.Bubbled || after.Bubbles[0].Text == "quiet please" {
			t.Fatalf("a bubble despite do-not-disturb: %+v", after.Bubbles)
		}
		send("dnd off")
		p.waitState("the pet to tell what came meanwhile", 10*time.Second, func(st statefile.State) bool {
			bs := chatState(st).Bubbles
			return len(bs) > 0 && bs[0].Visible && bs[0].Text == "New messages while you were away: 1"
		})
	})

	t.Run("scrolling up loads older messages", func(t *testing.T) {
		for i := 0; i < 70; i++ {
			if _, err := bob.c.Send("room:lobby", fmt.Sprintf("page filler %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 30*time.Second, "bob's outbox to drain", func() bool { return len(bob.c.Outbox()) == 0 })
		send("open room:lobby")
		st := p.waitState("first page", 10*time.Second, func(st statefile.State) bool {
			c := chatState(st)
			return c.WindowConv == "room:lobby" && c.WindowMsgs >= 50
		})
		first := chatState(st).WindowMsgs
		win := strings.Fields(s.run(nil, "xdotool", "search", "--name", "^Tachikoma chat$"))
		geo := shellRect(s.run(nil, "xdotool", "getwindowgeometry", "--shell", win[0]))
		// the message list is right of the conversations, above the input
		s.xdotool("mousemove", itoa(geo.Min.X+geo.Dx()*2/3), itoa(geo.Min.Y+geo.Dy()/3))
		waitFor(t, 20*time.Second, "an older page", func() bool {
			s.xdotool("click", "--repeat", "15", "--delay", "10", "4") // wheel up
			return chatState(p.read()).WindowMsgs > first
		}, func() string { return mustJSON(p.state) })
	})

	t.Run("a room left on another device closes in the window", func(t *testing.T) {
		desk := testClient(t, addr, "alice")
		rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer rcancel()
		if _, err := desk.c.RoomCreate(rctx, "study", "自习室", true); err != nil {
			t.Fatal(err)
		}
		send("open room:study")
		p.waitState("the room open", 10*time.Second, func(st statefile.State) bool { return chatState(st).WindowConv == "room:study" })
		if err := desk.c.RoomLeave(rctx, "study"); err != nil {
			t.Fatal(err)
		}
		p.waitState("the window off the room", 10*time.Second, func(st statefile.State) bool {
			c := chatState(st)
			return c.WindowOpen && c.WindowConv == ""
		})
	})

	t.Run("reconnect after broker restart, offline message once", func(t *testing.T) {
		b.Close()
		p.waitState("offline", 20*time.Second, func(st statefile.State) bool { return chatState(st).Status != "online" })
		text := fmt.Sprintf("sent while offline %d", time.Now().UnixNano())
		send("send room:lobby " + text)
		p.waitState("queued", 10*time.Second, func(st statefile.State) bool { return chatState(st).Outbox == 1 })

		b = startTestBroker(t, data, addr)
		// Watch the room as bob with the real mosquitto_sub.
		subOut := filepath.Join(s.dir, "sub.txt")
		f, err := os.Create(subOut)
		if err != nil {
			t.Fatal(err)
		}
		sub := exec.Command("mosquitto_sub", "-h", host, "-p", port, "-u", "bob", "-P", "bob-password",
			"-t", "tachikoma/rooms/lobby", "-q", "1")
		sub.Stdout, sub.Stderr = f, f
		if err := sub.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Process.Kill(); sub.Wait(); f.Close() })

		p.waitState("online again", 45*time.Second, func(st statefile.State) bool {
			c := chatState(st)
			return c.Status == "online" && c.Outbox == 0
		})
		waitFor(t, 10*time.Second, "mosquitto_sub sees the message", func() bool {
			out, _ := os.ReadFile(subOut)
			return strings.Contains(string(out), text)
		}, func() string { out, _ := os.ReadFile(subOut); return string(out) })
		// History has it exactly once, and so does the subscriber after the
		// pet's own echo and catch-up settled (outbox empty, online).
		var n int
		waitFor(t, 15*time.Second, "history through bob", func() bool {
			hctx, hcancel := context.WithTimeout(ctx, 3*time.Second)
			defer hcancel()
			ms, err := bob.c.History(hctx, "room:lobby", 0, 100)
			if err != nil {
				return false
			}
			n = 0
			for _, m := range ms {
				if m.Text == text {
					n++
				}
			}
			return n > 0
		})
		if n != 1 {
			t.Fatalf("history has the offline message %d times", n)
		}
		out, _ := os.ReadFile(subOut)
		if c := strings.Count(string(out), text); c != 1 {
			t.Fatalf("subscriber got it %d times:\n%s", c, out)
		}
	})
}

// shellRect parses xdotool getwindowgeometry --shell output.
func shellRect(out string) image.Rectangle {
	v := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		if k, val, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			n, _ := strconv.Atoi(val)
			v[k] = n
		}
	}
	return image.Rect(v["X"], v["Y"], v["X"]+v["WIDTH"], v["Y"]+v["HEIGHT"])
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func countNonBackdrop(img *image.RGBA, r image.Rectangle) int {
	if img == nil {
		return 0
	}
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) != backdrop {
				n++
			}
		}
	}
	return n
}

func startTestBroker(t *testing.T, dir, mqttAddr string) *broker.Broker {
	t.Helper()
	cfg := brokertest.Config(dir)
	cfg.MQTTAddr = mqttAddr
	b, err := broker.New(cfg, broker.Options{PasswordCost: &brokertest.FastHash, Logger: brokertest.Logger(t, slog.LevelWarn)})
	if err != nil {
		t.Fatal(err)
	}
	// The old listener's port may linger a moment after a restart.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = b.Start()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// testClient is another user's chat client (toolkit-free) with its events.
type tclient struct {
	c       *chat.Client
	mu      sync.Mutex
	waiters map[chat.EventType][]chan chat.Event
}

func testClient(t *testing.T, addr, user string) *tclient {
	t.Helper()
	c, err := chat.New(chat.Config{Server: "mqtt://" + addr, User: user, Password: user + "-password",
		ClientID: "guitest-" + user, BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond},
		slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	tc := &tclient{c: c, waiters: map[chat.EventType][]chan chat.Event{}}
	c.OnEvent(func(ev chat.Event) {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		for _, ch := range tc.waiters[ev.Type] {
			select {
			case ch <- ev:
			default:
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return tc
}

// wait returns a channel that gets the next event of type typ.
func (tc *tclient) wait(typ chat.EventType) <-chan chat.Event {
	ch := make(chan chat.Event, 1)
	tc.mu.Lock()
	tc.waiters[typ] = append(tc.waiters[typ], ch)
	tc.mu.Unlock()
	return ch
}

// TestChatLoginShaped: without a password the login dialog asks; a wrong
// password is answered in words, the right one logs in; then, without a
// compositor, a bubble is a shaped window (no black box around it).
func TestChatLoginShaped(t *testing.T) {
	data := t.TempDir()
	b := startTestBroker(t, data, "127.0.0.1:0")
	addr := b.MQTTAddr()
	host, port, _ := strings.Cut(addr, ":")
	for _, u := range []string{"alice", "bob"} {
		if err := b.Register(context.Background(), u, u+"-password", ""); err != nil {
			t.Fatal(err)
		}
	}
	s := startX(t, false)
	s.startBackdrop()
	p := s.startPet([]string{"XDG_STATE_HOME=" + filepath.Join(s.dir, "state")},
		"--pets", "1", "--server", "mqtt://"+addr, "--user", "alice")
	chatOf := func(st statefile.State) statefile.Chat {
		if st.Chat == nil {
			return statefile.Chat{}
		}
		return *st.Chat
	}
	p.waitState("login dialog", 10*time.Second, func(st statefile.State) bool { return chatOf(st).LoginOpen })
	win := strings.Fields(s.run(nil, "xdotool", "search", "--sync", "--name", "^Log in to chat$"))
	if len(win) == 0 {
		t.Fatal("no login window")
	}
	login := func(pw string) {
		s.xdotool("windowfocus", "--sync", win[0])
		// server and user are filled in: the password entry has the focus
		s.xdotool("key", "ctrl+a")
		s.xdotool("type", "--delay", "20", pw)
		s.xdotool("key", "Return")
	}
	login("not-her-password")
	p.waitState("wrong password message", 15*time.Second, func(st statefile.State) bool {
		return chatOf(st).LoginMsg == "Wrong username or password."
	})
	login("alice-password")
	p.waitState("logged in, dialog gone", 15*time.Second, func(st statefile.State) bool {
		c := chatOf(st)
		return !c.LoginOpen && c.Status == "online" && c.User == "alice"
	})

	text := "shaped 你好"
	s.run(nil, "mosquitto_pub", "-h", host, "-p", port, "-u", "bob", "-P", "bob-password",
		"-t", "tachikoma/rooms/lobby", "-m", text)
	p.waitState("bubble", 10*time.Second, func(st statefile.State) bool {
		bs := chatOf(st).Bubbles
		return len(bs) > 0 && bs[0].Visible && bs[0].Text == text
	})
	var img *image.RGBA
	var r image.Rectangle
	if !pollUntil(20*time.Second, func() bool { // the bubble follows a walking pet: wait for a still moment
		before := chatOf(p.read()).Bubbles[0]
		img = s.screenshot()
		after := chatOf(p.read()).Bubbles[0]
		r = image.Rect(after.X, after.Y, after.X+after.W, after.Y+after.H)
		return before == after && after.Visible && countNonBackdrop(img, r) > r.Dx()*r.Dy()/2
	}) {
		t.Fatalf("bubble not drawn: %d of %d pixels differ", countNonBackdrop(img, r), r.Dx()*r.Dy())
	}
	checkBackdrop(t, img, r.Min.X, r.Min.Y, "shaped bubble corner")
	checkBackdrop(t, img, r.Max.X-1, r.Min.Y, "shaped bubble corner")
	checkBackdrop(t, img, r.Min.X, r.Max.Y-1, "shaped bubble corner")
	checkBubbleText(t, p, text)
	if *screenshots != "" {
		savePNG(t, filepath.Join(*screenshots, "bubble-shaped.png"), crop(img, r.Inset(-20)))
	}
}

// TestChatHosted: a fresh install (no server configured) hosts a server in
// the pet and logs in to the local account at once.
func TestChatHosted(t *testing.T) {
	s := startX(t, true)
	control := filepath.Join(s.dir, "control")
	p := s.startPet([]string{"XDG_STATE_HOME=" + filepath.Join(s.dir, "state"), "USER=newcomer",
		"TACHIKOMA_CHAT_CONTROL=" + control}, "--pets", "1")
	st := p.waitState("hosted chat online", 30*time.Second, func(st statefile.State) bool {
		return st.Chat != nil && st.Chat.Status == "online" && st.Chat.Hosting
	})
	if st.Chat.User != "newcomer" || !strings.HasPrefix(st.Chat.Server, "mqtt://127.0.0.1:") {
		t.Fatalf("hosted login: %+v", *st.Chat)
	}
	// Sharing on the LAN restarts the server's listeners; the pet logs in
	// again by itself.
	if err := os.WriteFile(control, []byte("share on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.waitState("shared and online again", 30*time.Second, func(st statefile.State) bool {
		return st.Chat != nil && st.Chat.Status == "online" && st.Chat.Sharing
	})
	p.openMenu()
	if *screenshots != "" {
		time.Sleep(300 * time.Millisecond) // let the menu finish mapping before the shot
		img := s.screenshot()
		pe := p.read().Pets[0]
		area := image.Rect(pe.WinX-40, pe.WinY-420, pe.WinX+pe.W+320, pe.WinY+pe.H+20).Intersect(img.Bounds())
		savePNG(t, filepath.Join(*screenshots, "chat-menu.png"), crop(img, area))
	}
	s.xdotool("key", "Escape")
}

// TestChatWebSocket: --server ws://HOST:PORT/mqtt works like mqtt://.
func TestChatWebSocket(t *testing.T) {
	b := startTestBroker(t, t.TempDir(), "127.0.0.1:0")
	if err := b.Register(context.Background(), "alice", "alice-password", ""); err != nil {
		t.Fatal(err)
	}
	s := startX(t, true)
	p := s.startPet([]string{"XDG_STATE_HOME=" + filepath.Join(s.dir, "state"), "TACHIKOMA_PASSWORD=alice-password"},
		"--pets", "1", "--server", "ws://"+b.WSAddr()+"/mqtt", "--user", "alice")
	p.waitState("online over WebSocket", 20*time.Second, func(st statefile.State) bool {
		return st.Chat != nil && st.Chat.Status == "online" && strings.HasPrefix(st.Chat.Server, "ws://")
	})
}
