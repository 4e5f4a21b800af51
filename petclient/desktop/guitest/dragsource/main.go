// Command dragsource is a GUI-test helper: a window at -x,-y that offers
// its arguments as a text/uri-list when dragged from, the way a file
// manager does, and prints "ready" once it is on screen.
package main

import (
	"flag"
	"fmt"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/gtk"
)

func main() {
	x := flag.Int("x", 20, "window position")
	y := flag.Int("y", 20, "window position")
	flag.Parse()
	uris := flag.Args()
	gtk.Init(nil)
	w, _ := gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
	w.SetDefaultSize(100, 100)
	w.Move(*x, *y)
	te, _ := gtk.TargetEntryNew("text/uri-list", 0, 0)
	w.DragSourceSet(gdk.BUTTON1_MASK, []gtk.TargetEntry{*te}, gdk.ACTION_COPY)
	w.Connect("drag-data-get", func(_, _ any, sel *gtk.SelectionData) { sel.SetURIs(uris) })
	w.Connect("map-event", func() bool { fmt.Println("ready"); return false })
	w.Connect("destroy", gtk.MainQuit)
	w.ShowAll()
	gtk.Main()
}
