package chatui

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gotk3/gotk3/glib"
)

// watchControl is a test hook (TACHIKOMA_CHAT_CONTROL): it follows a file
// the test appends lines to and runs each as a command, as if the user had
// done it in the UI:
//
//	send CONV TEXT     type TEXT into CONV and send it
//	accept USER        accept USER's friend request
//	request USER       ask USER to be a friend
//	open CONV          open the chat window on CONV
//	dnd on|off         do not disturb
//	share on|off       host chat on this computer for the LAN
//	close-chat         close the chat window (as its close button does)
//
// It runs on its own goroutine and polls (the file may not exist yet).
func (c *Controller) watchControl(path string) {
	var off int64
	for c.ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if _, err := f.Seek(off, io.SeekStart); err == nil {
			r := bufio.NewReader(f)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break // a partial last line is read again next time
				}
				off += int64(len(line))
				cmd := strings.TrimSpace(line)
				glib.IdleAdd(func() { c.control(cmd) })
			}
		}
		f.Close()
	}
}

func (c *Controller) control(line string) {
	verb, rest, _ := strings.Cut(line, " ")
	arg, text, _ := strings.Cut(rest, " ")
	c.log.Info("control", "cmd", verb, "arg", arg)
	cl := c.client
	switch verb {
	case "send":
		if cl != nil {
			if _, err := cl.Send(arg, text); err != nil {
				c.log.Warn("control send", "err", err)
			}
		}
	case "accept", "request":
		if cl == nil {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
			defer cancel()
			var err error
			if verb == "accept" {
				err = cl.FriendAccept(ctx, arg)
			} else {
				_, err = cl.FriendRequest(ctx, arg)
			}
			if err != nil {
				c.log.Warn("control "+verb, "err", err)
			}
			glib.IdleAdd(c.writeState)
		}()
	case "open":
		c.openChat(arg)
	case "dnd":
		c.setDND(arg == "on")
	case "share":
		c.shareOnLAN(arg == "on")
	case "close-chat":
		if c.win != nil {
			c.win.win.Close() // delete-event, like the title bar's button
		}
	}
	c.writeState()
}
