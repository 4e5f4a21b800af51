// Package desktop is the pet client's GTK 3 layer: one undecorated,
// always-on-top, click-through window per pet, the right-click menu, the
// tray icon and the settings and about dialogs. Everything toolkit-free
// (engine, packs, settings, i18n, the menu model) lives elsewhere; this
// package only shows it. All GTK calls happen on the GTK main thread; other
// goroutines hand work over with glib.IdleAdd.
package desktop
