package petbus

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/dbustest"
)

// fakePet records requests and answers with what the test set.
type fakePet struct {
	mu   sync.Mutex
	got  []ShotRequest
	res  ShotResult
	err  error
	wait chan struct{} // non-nil: block until closed or ctx ends
	pets int
}

func (p *fakePet) Screenshot(ctx context.Context, req ShotRequest) (ShotResult, error) {
	p.mu.Lock()
	p.got = append(p.got, req)
	res, err, wait := p.res, p.err, p.wait
	p.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return ShotResult{}, ctx.Err()
		}
	}
	return res, err
}

func (p *fakePet) Present(_ context.Context, add int) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pets += add
	return p.pets, p.err
}

func (p *fakePet) set(res ShotResult, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res, p.err = res, err
}

func (p *fakePet) requests() []ShotRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ShotRequest(nil), p.got...)
}

func connect(t *testing.T) *dbus.Conn {
	t.Helper()
	conn, err := Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestScreenshotOverTheBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	client := connect(t)
	req := ShotRequest{Mode: ModeFull, Delay: 1500 * time.Millisecond, Output: "/tmp/截图.png", Replace: true, Copy: true}
	if _, err := Screenshot(dbustest.Context(t), client, req); !errors.Is(err, ErrNoPet) {
		t.Fatalf("no pet: %v", err)
	}

	pet := &fakePet{res: ShotResult{Path: "/tmp/截图.png", Copied: true}}
	if err := Serve(connect(t), pet); err != nil {
		t.Fatal(err)
	}
	if err := Serve(connect(t), &fakePet{}); err == nil || !strings.Contains(err.Error(), "another pet") {
		t.Fatalf("second pet: %v", err)
	}
	res, err := Screenshot(dbustest.Context(t), client, req)
	if err != nil || res.Path != "/tmp/截图.png" || !res.Copied || res.Pinned {
		t.Fatalf("Screenshot = %+v, %v", res, err)
	}
	if got := pet.requests(); len(got) != 1 || got[0] != req {
		t.Fatalf("the pet got %+v, want %+v", got, req)
	}

	pet.set(ShotResult{PNG: []byte("\x89PNG fake")}, nil)
	res, err = Screenshot(dbustest.Context(t), client, ShotRequest{Mode: ModeArea, WantPNG: true})
	if err != nil || !bytes.Equal(res.PNG, []byte("\x89PNG fake")) {
		t.Fatalf("PNG back: %+v, %v", res, err)
	}

	for _, tc := range []struct {
		err  error
		want error
		text string
	}{
		{ErrCancelled, ErrCancelled, "cancelled"},
		{ErrBusy, ErrBusy, "already taking"},
		{errors.New("read the screen: X connection lost"), nil, "the pet: read the screen: X connection lost"},
	} {
		pet.set(ShotResult{}, tc.err)
		_, err := Screenshot(dbustest.Context(t), client, ShotRequest{Mode: ModeFull})
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("pet error %v: got %v", tc.err, err)
		}
	}
	pet.set(ShotResult{}, nil)

	// Bad options never reach the pet.
	before := len(pet.requests())
	for _, r := range []ShotRequest{{Mode: "window"}, {Mode: ModeFull, Output: "rel.png"}, {Mode: ModeFull, Delay: time.Hour}} {
		if _, err := Screenshot(dbustest.Context(t), client, r); err == nil || !strings.Contains(err.Error(), "the pet: ") {
			t.Errorf("%+v: %v", r, err)
		}
	}
	if got := pet.requests(); len(got) != before {
		t.Errorf("bad requests reached the pet: %+v", got[before:])
	}
}

// The caller's deadline ends a call the pet does not answer, with a clear
// error rather than a hang.
func TestScreenshotCallerGivesUp(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	pet := &fakePet{wait: make(chan struct{})}
	defer close(pet.wait)
	if err := Serve(connect(t), pet); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Screenshot(c, connect(t), ShotRequest{Mode: ModeArea}); err == nil || !strings.Contains(err.Error(), "the pet") {
		t.Fatalf("err = %v", err)
	}
}

func TestIntrospection(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	if err := Serve(connect(t), &fakePet{}); err != nil {
		t.Fatal(err)
	}
	var xml string
	err := connect(t).Object(BusName, Path).CallWithContext(dbustest.Context(t), "org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml)
	if err != nil || !strings.Contains(xml, `<method name="Screenshot">`) || !strings.Contains(xml, `type="a{sv}"`) {
		t.Fatalf("Introspect = %q, %v", xml, err)
	}
}

// A caller that leaves the bus (the command interrupted during --delay)
// ends its request: the pet must not take the screenshot anyway.
func TestScreenshotCallerLeaves(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	ended := make(chan error, 1)
	pet := &endPet{started: make(chan struct{}), ended: ended}
	if err := Serve(connect(t), pet); err != nil {
		t.Fatal(err)
	}
	caller, err := Connect()
	if err != nil {
		t.Fatal(err)
	}
	go Screenshot(context.Background(), caller, ShotRequest{Mode: ModeFull, Delay: 5 * time.Minute})
	select {
	case <-pet.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the pet")
	}
	caller.Close()
	select {
	case err := <-ended:
		if !errors.Is(err, ErrCallerGone) {
			t.Fatalf("the request ended with %v, want ErrCallerGone", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the pet still waits for a caller that left the bus")
	}
}

// endPet waits for its request's context and says why it ended.
type endPet struct {
	fakePet
	started chan struct{}
	ended   chan error
}

func (p *endPet) Screenshot(ctx context.Context, _ ShotRequest) (ShotResult, error) {
	close(p.started)
	<-ctx.Done()
	p.ended <- context.Cause(ctx)
	return ShotResult{}, ctx.Err()
}

// A second launch asks the running pet to add pets; bounded, and ErrNoPet
// without a pet.
func TestPresentOverTheBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	client := connect(t)
	if _, err := Present(dbustest.Context(t), client, 1); !errors.Is(err, ErrNoPet) {
		t.Fatalf("no pet: %v", err)
	}
	pet := &fakePet{pets: 1}
	if err := Serve(connect(t), pet); err != nil {
		t.Fatal(err)
	}
	if n, err := Present(dbustest.Context(t), client, 2); err != nil || n != 3 {
		t.Fatalf("Present(2) = %d, %v; want 3 pets", n, err)
	}
	if _, err := Present(dbustest.Context(t), client, 1000); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("Present(1000): %v", err)
	}
}
