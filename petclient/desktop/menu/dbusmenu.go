package menu

import (
	"sort"
	"strconv"
	"strings"
)

// DBusMenu is a menu laid out for com.canonical.dbusmenu (the menu of a
// StatusNotifierItem tray icon): items numbered from 1 (0 is the root),
// rendered as GVariant text that GLib parses on the other side.
type DBusMenu struct {
	Revision uint32
	byID     map[int32]Item
	props    map[int32]string // "{...}" property dictionary text
	children map[int32][]int32
}

// NewDBusMenu numbers items depth-first.
func NewDBusMenu(items []Item, revision uint32) *DBusMenu {
	m := &DBusMenu{Revision: revision, byID: map[int32]Item{}, props: map[int32]string{}, children: map[int32][]int32{}}
	m.props[0] = "{'children-display': <'submenu'>}"
	next := int32(1)
	var add func(parent int32, items []Item)
	add = func(parent int32, items []Item) {
		for _, it := range items {
			id := next
			next++
			m.byID[id] = it
			m.props[id] = itemProps(it)
			m.children[parent] = append(m.children[parent], id)
			if len(it.Children) > 0 {
				add(id, it.Children)
			}
		}
	}
	add(0, items)
	return m
}

// Item returns the item with dbusmenu id, for the "clicked" event.
func (m *DBusMenu) Item(id int32) (Item, bool) {
	it, ok := m.byID[id]
	return it, ok
}

// Layout renders GetLayout's reply "(u(ia{sv}av))" for the subtree at
// parent (an unknown parent gives the root).
func (m *DBusMenu) Layout(parent int32) string {
	if _, ok := m.props[parent]; !ok {
		parent = 0
	}
	var b strings.Builder
	b.WriteString("(uint32 ")
	b.WriteString(strconv.FormatUint(uint64(m.Revision), 10))
	b.WriteString(", ")
	m.node(&b, parent)
	b.WriteString(")")
	return b.String()
}

func (m *DBusMenu) node(b *strings.Builder, id int32) {
	b.WriteString("(")
	b.WriteString(strconv.Itoa(int(id)))
	b.WriteString(", ")
	b.WriteString(m.props[id])
	b.WriteString(", ")
	kids := m.children[id]
	if len(kids) == 0 {
		b.WriteString("@av []")
	} else {
		b.WriteString("[")
		for i, k := range kids {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("<")
			m.node(b, k)
			b.WriteString(">")
		}
		b.WriteString("]")
	}
	b.WriteString(")")
}

// GroupProperties renders GetGroupProperties' "a(ia{sv})" for ids (all
// items when ids is empty); unknown ids are skipped.
func (m *DBusMenu) GroupProperties(ids []int32) string {
	if len(ids) == 0 {
		for id := range m.props {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	var parts []string
	for _, id := range ids {
		if p, ok := m.props[id]; ok {
			parts = append(parts, "("+strconv.Itoa(int(id))+", "+p+")")
		}
	}
	if len(parts) == 0 {
		return "@a(ia{sv}) []"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func itemProps(it Item) string {
	var p []string
	add := func(k, v string) { p = append(p, "'"+k+"': <"+v+">") }
	if it.Kind == Separator {
		add("type", "'separator'")
		return "{" + strings.Join(p, ", ") + "}"
	}
	add("label", Quote(it.Label))
	add("enabled", strconv.FormatBool(!it.Disabled))
	if len(it.Children) > 0 {
		add("children-display", "'submenu'")
	}
	switch it.Kind {
	case Check, Radio:
		tt := "'checkmark'"
		if it.Kind == Radio {
			tt = "'radio'"
		}
		add("toggle-type", tt)
		state := "0"
		if it.Checked {
			state = "1"
		}
		add("toggle-state", state)
	}
	return "{" + strings.Join(p, ", ") + "}"
}

// Quote renders s as a GVariant text string literal. dbusmenu labels use
// "_" for mnemonics, so a literal underscore is doubled.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '_':
			b.WriteString("__")
		default:
			if r < 0x20 {
				continue // control characters have no place in a label
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
