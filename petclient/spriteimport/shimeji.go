package spriteimport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// Pose is one Shimeji frame: an image of the set, its anchor and duration.
type Pose struct {
	Image    string // file name inside the image set, e.g. "shime1.png"
	Anchor   *[2]int
	Duration time.Duration
}

// shimejiDefaults is what Shimeji-ee's stock actions.xml makes of the usual
// 46 images, used when a set comes without its own conf/actions.xml.
var shimejiDefaults = map[string][]int{
	engine.AnimStand:    {1},
	engine.AnimLook:     {26, 15, 27, 16, 28, 17, 29, 11},
	engine.AnimWalk:     {1, 2, 1, 3},
	engine.AnimRun:      {1, 2, 1, 3},
	engine.AnimSit:      {11},
	engine.AnimSleep:    {21},
	engine.AnimJump:     {22},
	engine.AnimFall:     {4},
	engine.AnimLand:     {18, 19},
	engine.AnimClimb:    {14, 12, 13, 12},
	engine.AnimHang:     {23},
	engine.AnimCeiling:  {25, 23, 24, 23},
	engine.AnimDrag:     {5, 7, 8}, // centre, swung left, swung right
	engine.AnimPoke:     {19, 18, 1},
	engine.AnimJoy:      {22, 4, 1},
	engine.AnimSurprise: {5, 1},
}

var shimejiTicks = map[string]int{engine.AnimWalk: 6, engine.AnimRun: 2, engine.AnimClimb: 16, engine.AnimCeiling: 16, engine.AnimLook: 5}

// defaultPoses returns the stock poses for a state, skipping images the set lacks.
func defaultPoses(state string, have func(string) bool) []Pose {
	ticks := shimejiTicks[state]
	if ticks == 0 {
		ticks = 6
	}
	var out []Pose
	for _, n := range shimejiDefaults[state] {
		img := fmt.Sprintf("shime%d.png", n)
		if have(img) {
			out = append(out, Pose{Image: img, Duration: time.Duration(ticks*shimejiTick) * time.Millisecond})
		}
	}
	return out
}

// shimejiActions maps Shimeji action names (English of Shimeji-ee, Japanese
// of the original) to our states, best first.
var shimejiActions = map[string][]string{
	engine.AnimStand:   {"Stand", "立つ"},
	engine.AnimLook:    {"SitAndLookUp", "SitAndSpinHead", "上を向く", "首を回す"},
	engine.AnimWalk:    {"Walk", "歩く"},
	engine.AnimRun:     {"Run", "Dash", "走る", "猛ダッシュ"},
	engine.AnimSit:     {"SitDown", "Sit", "座る"},
	engine.AnimSleep:   {"Sprawl", "寝そべる"},
	engine.AnimJump:    {"Jumping", "ジャンプ"},
	engine.AnimFall:    {"Falling", "落ちる"},
	engine.AnimLand:    {"Bouncing", "跳ねる"},
	engine.AnimClimb:   {"ClimbWall", "壁を登る"},
	engine.AnimHang:    {"GrabCeiling", "天井に掴まる"},
	engine.AnimCeiling: {"ClimbCeiling", "天井を伝う"},
	engine.AnimDrag:    {"Pinched", "Dragged", "つままれる"},
	engine.AnimPoke:    {"Tripping", "転ぶ"},
}

// xmlNames accepts both Shimeji-ee's English and the original's Japanese tags.
var xmlNames = map[string]string{
	"Action": "action", "動作": "action",
	"Animation": "animation", "アニメーション": "animation",
	"Pose": "pose", "ポーズ": "pose",
	"Name": "name", "名前": "name",
	"Image": "image", "画像": "image",
	"ImageAnchor": "anchor", "基準座標": "anchor",
	"Duration": "duration", "長さ": "duration",
}

// ParseActions reads a Shimeji actions.xml into poses per action name,
// taking each action's first animation. The input is bounded in bytes,
// tokens and depth; encoding/xml expands no entities beyond the standard five.
// The encoding is the declaration's; an undeclared file that is not UTF-8 is
// read as Shift_JIS, then GB18030, whichever gives Shimeji's tags.
func ParseActions(name string, data []byte) (map[string][]Pose, error) {
	if len(data) > MaxXMLBytes {
		return nil, errf(name, "is too large (%d bytes, limit %d)", len(data), MaxXMLBytes)
	}
	wide := utf16Bytes(data)
	if wide != nil {
		var err error
		if data, err = wide.NewDecoder().Bytes(data); err != nil {
			return nil, errf(name, "is not valid UTF-16: %v", err)
		}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	out, _, declared, err := parseActions(name, data, wide != nil)
	if err == nil || declared || utf8.Valid(data) {
		return out, err
	}
	best, bestOut := -1, out
	for _, c := range sniffedEncodings {
		text, derr := c.enc.NewDecoder().Bytes(data)
		if derr != nil {
			continue
		}
		acts, known, _, perr := parseActions(name, text, false)
		if perr != nil || known == 0 {
			continue
		}
		if odd := oddRunes(text); best < 0 || odd < best {
			best, bestOut = odd, acts
		}
	}
	if best >= 0 {
		return bestOut, nil
	}
	return nil, err
}

// parseActions parses one document; known counts Shimeji elements seen and
// declared tells whether the XML declaration named an encoding.
func parseActions(name string, data []byte, utf16 bool) (out map[string][]Pose, known int, declared bool, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var badCharset string
	dec.CharsetReader = func(cs string, r io.Reader) (io.Reader, error) {
		declared = true
		if utf16 && strings.HasPrefix(strings.ToLower(cs), "utf-16") {
			return r, nil // already decoded from its byte-order mark
		}
		enc, ok := xmlEncoding(cs)
		if !ok {
			badCharset = cs
			return nil, fmt.Errorf("encoding %q is not supported", cs)
		}
		if enc == nil {
			return r, nil
		}
		return enc.NewDecoder().Reader(r), nil
	}
	out = map[string][]Pose{}
	var action string
	var inAnim, animDone bool
	depth, tokens := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if badCharset != "" {
			return nil, known, declared, errf(name, "is in encoding %q, which is not supported; save it as UTF-8", badCharset)
		}
		if err != nil {
			return nil, known, declared, errf(name, "is not valid XML: %v", err)
		}
		if tokens++; tokens > MaxXMLTokens {
			return nil, known, declared, errf(name, "has more than %d XML tokens", MaxXMLTokens)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > MaxXMLDepth {
				return nil, known, declared, errf(name, "nests deeper than %d elements", MaxXMLDepth)
			}
			attrs := map[string]string{}
			for _, a := range t.Attr {
				if k, ok := xmlNames[a.Name.Local]; ok {
					attrs[k] = a.Value
				}
			}
			kind := xmlNames[t.Name.Local]
			if kind == "action" || kind == "animation" || kind == "pose" {
				known++
			}
			switch kind {
			case "action":
				action, inAnim, animDone = attrs["name"], false, false
			case "animation":
				inAnim = action != "" && !animDone
			case "pose":
				if !inAnim || len(out[action]) >= MaxGIFFrames {
					continue
				}
				p, err := parsePose(attrs)
				if err != nil {
					line, _ := dec.InputPos()
					return nil, known, declared, errf(name, "line %d: action %q: %v", line, action, err)
				}
				out[action] = append(out[action], p)
			}
		case xml.EndElement:
			depth--
			switch xmlNames[t.Name.Local] {
			case "animation":
				if inAnim && len(out[action]) > 0 {
					animDone = true
				}
				inAnim = false
			case "action":
				action = ""
			}
		case xml.ProcInst:
			// A declared encoding, UTF-8 included, is taken at its word.
			declared = declared || t.Target == "xml" && bytes.Contains(t.Inst, []byte("encoding"))
		case xml.Directive:
			if bytes.Contains(bytes.ToUpper(t), []byte("ENTITY")) {
				return nil, known, declared, errf(name, "declares XML entities, which are refused")
			}
		}
	}
	if len(out) > 1000 {
		return nil, known, declared, errf(name, "defines %d actions, limit 1000", len(out))
	}
	return out, known, declared, nil
}

var anchorRE = regexp.MustCompile(`^\s*(-?\d{1,5})\s*,\s*(-?\d{1,5})\s*$`)

func parsePose(attrs map[string]string) (Pose, error) {
	img := strings.TrimPrefix(path.Clean("/"+attrs["image"]), "/")
	if attrs["image"] == "" || !strings.EqualFold(path.Ext(img), ".png") {
		return Pose{}, fmt.Errorf("pose image %q is not a .png", attrs["image"])
	}
	p := Pose{Image: img, Duration: 6 * shimejiTick * time.Millisecond}
	if d := strings.TrimSpace(attrs["duration"]); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 10000 {
			return Pose{}, fmt.Errorf("pose duration %q is not a number of ticks", d)
		}
		p.Duration = time.Duration(max(1, n)*shimejiTick) * time.Millisecond
	}
	if a := attrs["anchor"]; a != "" {
		m := anchorRE.FindStringSubmatch(a)
		if m == nil {
			return Pose{}, fmt.Errorf("pose anchor %q is not x,y", a)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		p.Anchor = &[2]int{x, y}
	}
	return p, nil
}

// shimejiPoses picks the poses for every state: from actions when it names
// a matching action whose images all exist, else the stock frame meaning.
func shimejiPoses(actions map[string][]Pose, have func(string) bool) map[string][]Pose {
	out := map[string][]Pose{}
	for _, state := range engine.RequiredAnimations {
		for _, a := range shimejiActions[state] {
			poses := actions[a]
			ok := len(poses) > 0
			for _, p := range poses {
				ok = ok && have(p.Image)
			}
			if ok {
				out[state] = poses
				break
			}
		}
		if out[state] == nil {
			if d := defaultPoses(state, have); len(d) > 0 {
				out[state] = d
			}
		}
	}
	return out
}
