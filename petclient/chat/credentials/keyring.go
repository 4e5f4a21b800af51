package credentials

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

const secretsBusName = "org.freedesktop.secrets"

// secretService is the desktop keyring (GNOME Keyring, KWallet ≥ 5.97,
// KeePassXC) through go-keyring.
type secretService struct{}

func (secretService) Get(service, account string) (string, error) {
	v, err := keyring.Get(service, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	return v, err
}

func (secretService) Set(service, account, secret string) error {
	return keyring.Set(service, account, secret)
}

func (secretService) Delete(service, account string) error {
	err := keyring.Delete(service, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, keyring.ErrNotFound)
}

// probeSecretService checks, without prompting anyone and within timeout,
// that a session bus exists and that something serves (or can be started
// for) org.freedesktop.secrets. It never autolaunches a bus: on a headless
// box or over ssh that would spawn daemons or hang.
func probeSecretService(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- probe(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer from D-Bus within %v", timeout)
	}
}

func probe(ctx context.Context) error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("no session bus: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("session bus: %w", err)
	}
	bus := conn.BusObject()
	var owned bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsBusName).Store(&owned); err != nil {
		return fmt.Errorf("session bus: %w", err)
	}
	if owned {
		return nil
	}
	var names []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
		return fmt.Errorf("session bus: %w", err)
	}
	if slices.Contains(names, secretsBusName) {
		return nil
	}
	return errors.New("no Secret Service on the session bus")
}
