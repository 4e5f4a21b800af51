package chatui

import (
	"context"
	"log/slog"
	"os/exec"
	"time"
)

// notify shows a desktop notification through notify-send when it is
// installed; without it (or without a notification daemon) nothing happens.
func notify(title, body string, log *slog.Logger) {
	path, err := exec.LookPath("notify-send")
	if err != nil {
		return
	}
	go func() {
		// notify-send can hang without a session bus; never wait long.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, path, "--app-name=Tachikoma", "--icon=tachikoma", title, body)
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Debug("notification not shown", "err", err, "out", string(out))
		}
	}()
}
