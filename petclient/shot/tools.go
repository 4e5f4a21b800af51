package shot

import (
	"image"
	"image/color"
	"math"
)

// Tool is what a drag inside the selection draws.
type Tool int

// Tools; ToolNone lets a drag inside the selection move it.
const (
	ToolNone Tool = iota
	ToolBox
	ToolArrow
	ToolText
	ToolMosaic
)

// Colours are the toolbar's preset colours, keys 1 to 6.
var Colours = []color.RGBA{
	{230, 35, 35, 255},   // red
	{255, 170, 0, 255},   // orange
	{40, 170, 60, 255},   // green
	{30, 110, 230, 255},  // blue
	{20, 20, 20, 255},    // black
	{255, 255, 255, 255}, // white
}

// Widths are the toolbar's line widths in logical pixels.
var Widths = []float64{2, 4, 8}

// Pen is the tool, colour and width the next mark gets.
type Pen struct {
	Tool   Tool
	Colour color.RGBA
	Width  float64
}

// DefaultPen is red at the middle width with no tool.
func DefaultPen() Pen { return Pen{Colour: Colours[0], Width: Widths[1]} }

// TextSize is a text annotation's size in logical pixels for a pen width.
func TextSize(width float64) float64 { return math.Round(12 + 3*width) }

// MosaicBlock is a pixelate mark's block in logical pixels for a pen width.
func MosaicBlock(width float64) int { return int(4 + 3*width) }

// mark is the annotation a drag from a to b (both inside the selection,
// inclusive) makes with the pen; nil for ToolNone and ToolText.
func (p Pen) mark(a, b image.Point) Annotation {
	r := image.Rectangle{a, b}.Canon()
	r.Max = r.Max.Add(image.Pt(1, 1))
	switch p.Tool {
	case ToolBox:
		return Box{Rect: r, Colour: p.Colour, Width: p.Width}
	case ToolArrow:
		return Arrow{From: a, To: b, Colour: p.Colour, Width: p.Width}
	case ToolMosaic:
		return Mosaic{Rect: r, Block: MosaicBlock(p.Width)}
	}
	return nil
}

// worth tells a mark from a click that drew nothing.
func worth(a Annotation) bool {
	switch m := a.(type) {
	case Box:
		return m.Rect.Dx() > 2 || m.Rect.Dy() > 2
	case Mosaic:
		return m.Rect.Dx() > 2 && m.Rect.Dy() > 2
	case Arrow:
		return abs(m.To.X-m.From.X)+abs(m.To.Y-m.From.Y) > 2
	}
	return a != nil
}

// ButtonID names a toolbar button.
type ButtonID int

// Toolbar buttons, left to right.
const (
	BtnBox ButtonID = iota
	BtnArrow
	BtnText
	BtnMosaic
	BtnUndo
	BtnRedo
	BtnColour // Arg: index into Colours
	BtnCustomColour
	BtnWidth // Arg: index into Widths
	BtnPin
	BtnSave
	BtnCopy
)

// ToolOf is the tool a toolbar button picks; false for other buttons.
func ToolOf(id ButtonID) (Tool, bool) {
	switch id {
	case BtnBox:
		return ToolBox, true
	case BtnArrow:
		return ToolArrow, true
	case BtnText:
		return ToolText, true
	case BtnMosaic:
		return ToolMosaic, true
	}
	return ToolNone, false
}

// Button is one toolbar button in root device pixels.
type Button struct {
	ID   ButtonID
	Arg  int
	Rect image.Rectangle
}

// Toolbar is the row of buttons beside the selection.
type Toolbar struct {
	Rect    image.Rectangle
	Buttons []Button
}

// Toolbar sizes in logical pixels.
const (
	barButton = 28
	barGap    = 4  // between groups
	barPad    = 3  // around the buttons
	barAway   = 8  // from the selection
	barSwatch = 20 // a colour swatch's width
)

// barItems is the toolbar's content with each button's logical width; a
// zero ID with width < 0 is a gap between groups.
func barItems() []struct {
	b Button
	w int
} {
	type item = struct {
		b Button
		w int
	}
	gap := item{Button{ID: -1}, barGap}
	items := []item{{Button{ID: BtnBox}, barButton}, {Button{ID: BtnArrow}, barButton}, {Button{ID: BtnText}, barButton}, {Button{ID: BtnMosaic}, barButton}, gap,
		{Button{ID: BtnUndo}, barButton}, {Button{ID: BtnRedo}, barButton}, gap}
	for i := range Colours {
		items = append(items, item{Button{ID: BtnColour, Arg: i}, barSwatch})
	}
	items = append(items, item{Button{ID: BtnCustomColour}, barSwatch}, gap)
	for i := range Widths {
		items = append(items, item{Button{ID: BtnWidth, Arg: i}, barSwatch})
	}
	return append(items, gap, item{Button{ID: BtnPin}, barButton}, item{Button{ID: BtnSave}, barButton}, item{Button{ID: BtnCopy}, barButton})
}

// PlaceToolbar lays the toolbar out below the selection's right end, or
// above it, or inside its bottom when neither fits, always kept on screen
// (the monitor holding most of the selection; on a tie, its bottom right
// corner). scale is device pixels per logical pixel.
func PlaceToolbar(sel image.Rectangle, screens []image.Rectangle, bounds image.Rectangle, scale float64) Toolbar {
	if scale <= 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		scale = 1
	}
	px := func(v int) int { return int(math.Round(float64(v) * scale)) }
	items := barItems()
	w := 2 * px(barPad)
	for _, it := range items {
		w += px(it.w)
	}
	h := px(barButton) + 2*px(barPad)
	scr, most := bounds, 0
	corner := image.Pt(sel.Max.X-1, sel.Max.Y-1)
	for _, s := range screens {
		if corner.In(s) {
			scr, most = s, area(sel.Intersect(s))
			break
		}
	}
	for _, s := range screens {
		if a := area(sel.Intersect(s)); a > most {
			scr, most = s, a
		}
	}
	x := min(sel.Max.X-w, scr.Max.X-w)
	x = max(x, scr.Min.X)
	y := sel.Max.Y + px(barAway)
	switch {
	case y+h <= scr.Max.Y:
	case sel.Min.Y-px(barAway)-h >= scr.Min.Y:
		y = sel.Min.Y - px(barAway) - h
	default:
		y = max(scr.Min.Y, min(sel.Max.Y, scr.Max.Y)-px(barAway)-h)
	}
	bar := Toolbar{Rect: image.Rect(x, y, x+w, y+h)}
	cx := x + px(barPad)
	for _, it := range items {
		if it.b.ID >= 0 {
			it.b.Rect = image.Rect(cx, y+px(barPad), cx+px(it.w), y+px(barPad)+px(barButton))
			bar.Buttons = append(bar.Buttons, it.b)
		}
		cx += px(it.w)
	}
	return bar
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

// Hit is the button under p.
func (t Toolbar) Hit(p image.Point) (Button, bool) {
	for _, b := range t.Buttons {
		if p.In(b.Rect) {
			return b, true
		}
	}
	return Button{}, false
}
