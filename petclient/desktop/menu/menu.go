// Package menu is the toolkit-free menu model shared by the pet's right-click
// menu and the tray. Features plug in as sections (chat, tools, ...) without
// touching the core menu code: a Section returns Items, the desktop layer
// turns them into GTK menu items or tray (D-Bus) items.
package menu

import (
	"slices"
	"sort"
	"sync"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// Kind is how an item looks.
type Kind int

// Item kinds. An item with Children is a submenu whatever its Kind.
const (
	Normal Kind = iota
	Check
	Radio // shown as a check mark in a group; the section keeps them exclusive
	Separator
)

// Item is one menu entry.
type Item struct {
	ID       string // stable identifier for tests and logs, e.g. "chat.open"
	Label    string
	Tooltip  string
	Kind     Kind
	Checked  bool
	Disabled bool
	Children []Item
	// Activate runs on the GTK main thread when the item is chosen.
	Activate func()
}

// Place says which menu is being built.
type Place uint8

// Places a section can appear in.
const (
	PetMenu Place = 1 << iota
	TrayMenu
	Everywhere = PetMenu | TrayMenu
)

// Context is what a section may look at while building.
type Context struct {
	Place Place
	Lang  i18n.Lang
	PetID int // the right-clicked pet; 0 in the tray
}

// Section contributes a group of items; the registry puts separators
// between non-empty sections.
type Section interface {
	Items(ctx Context) []Item
}

// SectionFunc adapts a function to Section.
type SectionFunc func(ctx Context) []Item

// Items implements Section.
func (f SectionFunc) Items(ctx Context) []Item { return f(ctx) }

// Orders of the built-in sections. A plug-in picks a number between them.
const (
	OrderActions = 100 // sit, sleep, jump...
	OrderLook    = 200 // size, sprite pack
	OrderPets    = 300 // summon / dismiss
	OrderChat    = 500 // reserved for the chat issue
	OrderTools   = 600 // reserved for the tools issue
	OrderApp     = 1000
)

// PackSubmenu is the ID of the pet menu's sprite-pack submenu, which
// plug-ins may Extend.
const PackSubmenu = "pack"

type entry struct {
	name   string
	order  int
	places Place
	s      Section
	parent string // the submenu item an Extend entry adds to; "" for a section
}

// Registry holds the sections. It is safe for concurrent use; Invalidate
// may be called from any goroutine (e.g. when the chat status changes).
type Registry struct {
	mu      sync.Mutex
	entries []entry
	onInval []func()
}

// Add registers (or replaces, by name) a section shown in places.
func (r *Registry) Add(name string, order int, places Place, s Section) {
	r.add(entry{name: name, order: order, places: places, s: s})
}

// Extend registers (or replaces, by name) items added at the end of the
// submenu whose item has ID parent, after a separator, so a feature can
// live where users look for it (e.g. an import entry in the pack
// submenu). Where no such submenu is built the items are left out.
func (r *Registry) Extend(parent, name string, order int, places Place, s Section) {
	r.add(entry{name: name, order: order, places: places, s: s, parent: parent})
}

func (r *Registry) add(e entry) {
	name := e.name
	r.mu.Lock()
	for i, e := range r.entries {
		if e.name == name {
			r.entries = append(r.entries[:i], r.entries[i+1:]...)
			break
		}
	}
	r.entries = append(r.entries, e)
	sort.SliceStable(r.entries, func(i, j int) bool { return r.entries[i].order < r.entries[j].order })
	r.mu.Unlock()
	r.Invalidate()
}

// Remove drops a section.
func (r *Registry) Remove(name string) {
	r.mu.Lock()
	for i, e := range r.entries {
		if e.name == name {
			r.entries = append(r.entries[:i], r.entries[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	r.Invalidate()
}

// Names lists the sections in order (for tests and logs).
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.name
	}
	return out
}

// OnInvalidate registers f to be called when a section asks for a rebuild.
func (r *Registry) OnInvalidate(f func()) {
	r.mu.Lock()
	r.onInval = append(r.onInval, f)
	r.mu.Unlock()
}

// Invalidate tells the menus that some section's items changed. Menus built
// on demand (the pet menu) need nothing; persistent ones (the tray) rebuild.
func (r *Registry) Invalidate() {
	r.mu.Lock()
	fs := append([]func(){}, r.onInval...)
	r.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Build returns the items of every section for ctx.Place, with separators
// between non-empty sections.
func (r *Registry) Build(ctx Context) []Item {
	r.mu.Lock()
	entries := append([]entry(nil), r.entries...)
	r.mu.Unlock()
	var out []Item
	for _, e := range entries {
		if e.places&ctx.Place == 0 || e.parent != "" {
			continue
		}
		items := e.s.Items(ctx)
		if len(items) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, Item{Kind: Separator})
		}
		out = append(out, items...)
	}
	for _, e := range entries {
		if e.places&ctx.Place == 0 || e.parent == "" {
			continue
		}
		if parent := find(out, e.parent); parent != nil {
			if items := e.s.Items(ctx); len(items) > 0 {
				kids := slices.Clip(parent.Children) // the section's slice is not ours to grow in place
				if len(kids) > 0 {
					kids = append(kids, Item{Kind: Separator})
				}
				parent.Children = append(kids, items...)
			}
		}
	}
	return out
}

func find(items []Item, id string) *Item {
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
		if c := find(items[i].Children, id); c != nil {
			return c
		}
	}
	return nil
}

// Find returns the item with id anywhere in items (for tests and the
// state hook).
func Find(items []Item, id string) (Item, bool) {
	if it := find(items, id); it != nil {
		return *it, true
	}
	return Item{}, false
}
