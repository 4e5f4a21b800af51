package menu

import (
	"reflect"
	"testing"
)

func items(ids ...string) Section {
	return SectionFunc(func(Context) []Item {
		var out []Item
		for _, id := range ids {
			out = append(out, Item{ID: id, Label: id})
		}
		return out
	})
}

func ids(items []Item) []string {
	var out []string
	for _, it := range items {
		if it.Kind == Separator {
			out = append(out, "--")
			continue
		}
		out = append(out, it.ID)
	}
	return out
}

func TestOrderPlacesAndSeparators(t *testing.T) {
	var r Registry
	r.Add("app", OrderApp, Everywhere, items("quit"))
	r.Add("actions", OrderActions, PetMenu, items("sit", "sleep"))
	r.Add("empty", OrderLook, Everywhere, items())
	r.Add("chat", OrderChat, Everywhere, items("chat.open"))
	got := ids(r.Build(Context{Place: PetMenu}))
	want := []string{"sit", "sleep", "--", "chat.open", "--", "quit"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pet menu %v want %v", got, want)
	}
	got = ids(r.Build(Context{Place: TrayMenu}))
	if !reflect.DeepEqual(got, []string{"chat.open", "--", "quit"}) {
		t.Fatalf("tray menu %v", got)
	}
}

func TestReplaceRemoveInvalidate(t *testing.T) {
	var r Registry
	calls := 0
	r.OnInvalidate(func() { calls++ })
	r.Add("chat", OrderChat, Everywhere, items("offline"))
	r.Add("chat", OrderChat, Everywhere, items("online"))
	if got := ids(r.Build(Context{Place: TrayMenu})); !reflect.DeepEqual(got, []string{"online"}) {
		t.Fatalf("replace: %v", got)
	}
	r.Remove("chat")
	if len(r.Build(Context{Place: TrayMenu})) != 0 || len(r.Names()) != 0 {
		t.Fatal("remove failed")
	}
	if calls != 3 {
		t.Fatalf("invalidate called %d times, want 3", calls)
	}
}

func TestFindNested(t *testing.T) {
	tree := []Item{{ID: "size", Children: []Item{{ID: "size.2"}}}}
	if it, ok := Find(tree, "size.2"); !ok || it.ID != "size.2" {
		t.Fatal("nested item not found")
	}
	if _, ok := Find(tree, "nope"); ok {
		t.Fatal("found missing item")
	}
}

// An extension ends up last in its submenu after a separator, only where
// that submenu is built, and never changes the section's own slice.
func TestExtendSubmenu(t *testing.T) {
	var r Registry
	packs := append(make([]Item, 0, 4), Item{ID: "pack.a"}, Item{ID: "pack.b"})
	r.Add("look", OrderLook, PetMenu, SectionFunc(func(Context) []Item {
		return []Item{{ID: "size"}, {ID: "pack", Children: packs}}
	}))
	r.Add("app", OrderApp, Everywhere, items("quit"))
	r.Extend("pack", "import", OrderLook+10, Everywhere, items("import"))
	r.Extend("nowhere", "lost", OrderLook, Everywhere, items("lost"))

	pet := r.Build(Context{Place: PetMenu})
	if got, want := ids(pet), []string{"size", "pack", "--", "quit"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pet menu %v want %v", got, want)
	}
	pk, _ := Find(pet, "pack")
	if got, want := ids(pk.Children), []string{"pack.a", "pack.b", "--", "import"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pack submenu %v want %v", got, want)
	}
	if spare := packs[:3][2]; spare.ID != "" || spare.Kind != Normal {
		t.Fatalf("the section's slice was written to: %+v", spare)
	}
	if _, ok := Find(pet, "lost"); ok {
		t.Fatal("an extension of a missing submenu was shown")
	}
	if got, want := ids(r.Build(Context{Place: TrayMenu})), []string{"quit"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tray %v want %v", got, want)
	}
	r.Remove("import")
	pk, _ = Find(r.Build(Context{Place: PetMenu}), "pack")
	if got, want := ids(pk.Children), []string{"pack.a", "pack.b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after Remove %v want %v", got, want)
	}
}
