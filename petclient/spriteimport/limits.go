// Package spriteimport turns a user's own pictures (animated GIFs, PNG
// frames, sprite sheets, Shimeji-ee image sets, DyberPet folders, zips of
// those) into a sprite pack that petclient/pack loads. Backgrounds are
// removed without ML by a flood fill from the border. Every input is
// untrusted: sizes are checked before decoding and every error names the
// file. It is toolkit-free; the CLI and the GTK dialog are thin layers over
// Import and Plan.Write.
package spriteimport

import (
	"fmt"

	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

// Limits that keep a hostile or broken input from eating memory or time.
const (
	MaxFileBytes    = 32 << 20  // one input file (a GIF, a PNG, an XML)
	MaxTotalBytes   = 192 << 20 // every input file read in one import
	MaxArchiveBytes = 256 << 20 // a .zip on disk
	MaxEntries      = 4096      // files in one zip or folder
	MaxZipRatio     = 100       // uncompressed/compressed for entries over 1 MiB
	MaxXMLBytes     = 1 << 20   // actions.xml
	MaxXMLTokens    = 200_000
	MaxXMLDepth     = 32
	MaxImagePixels  = pack.MaxImagePixels // one picture or GIF canvas
	MaxImageSide    = pack.MaxImageSide
	MaxGIFFrames    = 1024      // frames in one GIF (the pack keeps at most pack.MaxFrames)
	MaxTotalPixels  = 32 << 20  // decoded pixels over the whole import
	MaxGIFArea      = 256 << 20 // sum of GIF frame rectangles, checked before decoding
	shimejiTick     = 40        // ms: Shimeji durations count 25 fps ticks
	autoShrinkAbove = 200       // px: taller characters are shrunk to autoHeight
	autoHeight      = 128
)

// Error is a problem with one input file.
type Error struct {
	File string // the file (or archive!entry) the problem is in
	Msg  string
}

func (e *Error) Error() string { return e.File + ": " + e.Msg }

func errf(file, format string, a ...any) error {
	return &Error{File: file, Msg: fmt.Sprintf(format, a...)}
}
