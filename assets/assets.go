// Package assets embeds the built-in sprite packs into the binary. It lives
// here because go:embed cannot reach files above the embedding package.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed packs
var files embed.FS

// Packs returns the built-in packs, one directory per pack id
// (e.g. "tachikoma/pack.yaml").
func Packs() fs.FS {
	sub, err := fs.Sub(files, "packs")
	if err != nil { // "packs" is a valid literal path; cannot happen
		panic(err)
	}
	return sub
}
