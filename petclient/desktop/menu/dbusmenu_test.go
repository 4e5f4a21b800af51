package menu

import (
	"strings"
	"testing"
)

func TestDBusMenuLayout(t *testing.T) {
	clicked := ""
	items := []Item{
		{ID: "hide", Label: "Hide", Activate: func() { clicked = "hide" }},
		{Kind: Separator},
		{ID: "size", Label: "Size", Children: []Item{
			{ID: "size.1", Label: "1×", Kind: Radio, Checked: true},
			{ID: "size.2", Label: "2×", Kind: Radio, Disabled: true},
		}},
	}
	m := NewDBusMenu(items, 7)
	got := m.Layout(0)
	want := "(uint32 7, (0, {'children-display': <'submenu'>}, [" +
		"<(1, {'label': <'Hide'>, 'enabled': <true>}, @av [])>, " +
		"<(2, {'type': <'separator'>}, @av [])>, " +
		"<(3, {'label': <'Size'>, 'enabled': <true>, 'children-display': <'submenu'>}, [" +
		"<(4, {'label': <'1×'>, 'enabled': <true>, 'toggle-type': <'radio'>, 'toggle-state': <1>}, @av [])>, " +
		"<(5, {'label': <'2×'>, 'enabled': <false>, 'toggle-type': <'radio'>, 'toggle-state': <0>}, @av [])>])>]))"
	if got != want {
		t.Fatalf("layout\n got %s\nwant %s", got, want)
	}
	if sub := m.Layout(3); !strings.HasPrefix(sub, "(uint32 7, (3, ") {
		t.Fatalf("sub-layout %s", sub)
	}
	if m.Layout(99) != got {
		t.Fatal("unknown parent should give the root")
	}
	it, ok := m.Item(1)
	if !ok {
		t.Fatal("item 1 missing")
	}
	it.Activate()
	if clicked != "hide" {
		t.Fatal("wrong item for id 1")
	}
	if _, ok := m.Item(0); ok {
		t.Fatal("root is not an item")
	}
}

func TestGroupProperties(t *testing.T) {
	m := NewDBusMenu([]Item{{Label: "a"}, {Label: "b"}}, 1)
	if got := m.GroupProperties([]int32{2, 42}); got != "[(2, {'label': <'b'>, 'enabled': <true>})]" {
		t.Fatal(got)
	}
	if got := m.GroupProperties(nil); !strings.HasPrefix(got, "[(0, ") || strings.Count(got, "(") != 3 {
		t.Fatal(got)
	}
	if got := NewDBusMenu(nil, 1).GroupProperties([]int32{5}); got != "@a(ia{sv}) []" {
		t.Fatal(got)
	}
}

func TestQuote(t *testing.T) {
	cases := map[string]string{
		`it's`:     `'it\'s'`,
		`a\b`:      `'a\\b'`,
		"snake_id": "'snake__id'",
		"中文\x01":   "'中文'",
	}
	for in, want := range cases {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
