// Command fakeportal is a GUI-test helper: a stand-in xdg-desktop-portal
// Screenshot service on $DBUS_SESSION_BUS_ADDRESS that answers every request
// with -uri (or -code 1 cancelled, 2 failed), then prints "ready".
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"

	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal/portaltest"
)

func main() {
	uri := flag.String("uri", "", "file URI of the screenshot to hand out")
	code := flag.Uint("code", 0, "response: 0 success, 1 cancelled, 2 failed")
	flag.Parse()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeportal:", err)
		os.Exit(1)
	}
	fake, err := portaltest.Serve(conn, 2)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeportal:", err)
		os.Exit(1)
	}
	fake.Answer(uint32(*code), *uri)
	fmt.Println("ready")
	select {}
}
