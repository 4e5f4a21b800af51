package main

import (
	"context"
	"log/slog"

	"github.com/gotk3/gotk3/glib"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
)

// busPet is what the pet answers on the bus: screenshots from the
// screenshot tool, a second launch from the app.
type busPet struct {
	petbus.Shooter
	app *desktop.App
}

// Present runs App.Present on the GTK thread.
func (b busPet) Present(ctx context.Context, add int) (int, error) {
	got := make(chan int, 1)
	glib.IdleAdd(func() { got <- b.app.Present(add) })
	select {
	case n := <-got:
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// servePetBus puts the pet on the session bus so `tachikoma screenshot`
// and a second `tachikoma` ask it; without a bus, or when another pet
// answers, the pet runs without. The returned function leaves the bus.
func servePetBus(pet petbus.Pet, log *slog.Logger) (leave func()) {
	if !desktop.HaveSessionBus() {
		return func() {}
	}
	done := make(chan func(), 1)
	go func() { // connecting must not hold up the pet's start
		conn, err := petbus.Connect()
		if err != nil {
			log.Warn("the pet is not on the session bus", "err", err)
			done <- func() {}
			return
		}
		if err := petbus.Serve(conn, pet); err != nil {
			log.Warn("the pet is not on the session bus", "err", err)
			conn.Close()
			done <- func() {}
			return
		}
		log.Info("the pet answers on the session bus", "name", petbus.BusName)
		done <- func() { conn.Close() }
	}()
	return func() {
		select {
		case leave := <-done:
			leave()
		default: // still connecting: the process is ending anyway
		}
	}
}
