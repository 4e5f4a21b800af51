// Package notify shows desktop notifications and plays event sounds
// through the desktop's own tools when they are installed (notify-send,
// canberra-gtk-play, paplay); without them nothing happens, so the pet
// never depends on them.
package notify

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"time"
)

// wait bounds a helper: notify-send can hang without a session bus.
const wait = 5 * time.Second

// Send shows a notification titled title. It returns at once.
func Send(title, body string, log *slog.Logger) {
	run(log, "notify-send", "--app-name=Tachikoma", "--icon=tachikoma", "--", title, body)
}

// soundFile is the freedesktop theme's alarm sound, for paplay.
const soundFile = "/usr/share/sounds/freedesktop/stereo/alarm-clock-elapsed.oga"

// Alarm plays the theme's "alarm-clock-elapsed" sound: through
// canberra-gtk-play (the desktop's sound theme and volume), else paplay.
// It returns at once.
func Alarm(log *slog.Logger) {
	if _, err := exec.LookPath("canberra-gtk-play"); err == nil {
		run(log, "canberra-gtk-play", "--id=alarm-clock-elapsed", "--description=Tachikoma reminder")
		return
	}
	if _, err := os.Stat(soundFile); err == nil {
		run(log, "paplay", soundFile)
	}
}

func run(log *slog.Logger, name string, args ...string) {
	path, err := exec.LookPath(name)
	if err != nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		cmd := exec.CommandContext(ctx, path, args...)
		// A child it started (a D-Bus helper) can hold the output pipe open
		// after the kill; stop waiting for it.
		cmd.WaitDelay = time.Second
		if out, err := cmd.CombinedOutput(); err != nil && log != nil {
			log.Debug(name+" failed", "err", err, "out", string(out))
		}
	}()
}
