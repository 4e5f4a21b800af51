package spriteimport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

const dyberPetConf = `{"width": 128, "height": 128, "scale": 1.0, "default": "stand", "up": "stand", "down": "stand",
 "left": "left_walk", "right": "right_walk", "drag": "drag", "fall": "fall",
 "random_act": [["sit_down", "sitting"], ["nod"]], "act_prob": [0.5, 0.5], "random_act_name": ["坐下", "点头"]}`

const dyberActConf = `{"stand": {"images": "stand", "act_num": 1, "frame_refresh": 0.2},
 "left_walk": {"images": "left", "act_num": 2, "need_move": true, "direction": "left", "frame_move": 5, "frame_refresh": 0.1},
 "right_walk": {"images": "right", "act_num": 1, "frame_refresh": 0.1},
 "drag": {"images": "drag", "frame_refresh": 0.5}, "fall": {"images": "fall"},
 "sit_down": {"images": "sit", "frame_refresh": 0.3}, "sitting": {"images": "sitting", "act_num": 3, "frame_refresh": 1},
 "nod": {"images": "nod"}}`

func dyberPet(t *testing.T, actConf string) string {
	dir := filepath.Join(t.TempDir(), "res", "role", "Cat")
	for name, n := range map[string]int{"stand": 1, "left": 2, "right": 2, "drag": 1, "fall": 1, "sit": 1, "sitting": 1, "nod": 2} {
		for i := range n {
			writeFile(t, filepath.Join(dir, "action", name+"_"+string(rune('0'+i))+".png"), pngBytes(t, figure(40, 40, 2*i)))
		}
	}
	writeFile(t, filepath.Join(dir, "pet_conf.json"), []byte(dyberPetConf))
	writeFile(t, filepath.Join(dir, "act_conf.json"), []byte(actConf))
	return dir
}

func TestImportDyberPet(t *testing.T) {
	plan, err := Import(Options{Name: "Cat"}, Source{Path: filepath.Dir(dyberPet(t, dyberActConf))})
	if err != nil {
		t.Fatal(err)
	}
	p := writeAndLoad(t, plan)
	for _, c := range []struct {
		state  string
		frames int
		first  time.Duration
	}{
		{engine.AnimStand, 1, 200 * time.Millisecond},
		{engine.AnimWalk, 4, 100 * time.Millisecond}, // left_walk's 2 frames, act_num 2
		{engine.AnimSit, 4, 300 * time.Millisecond},  // 坐下: sit_down, then sitting 3 times
		{engine.AnimFall, 1, 500 * time.Millisecond}, // no frame_refresh: DyberPet's default
	} {
		fr := loadClip(t, p, c.state)
		if len(fr) != c.frames || fr[0].Duration != c.first {
			t.Errorf("%s: %d frames starting %v, want %d starting %v", c.state, len(fr), fr[0].Duration, c.frames, c.first)
		}
	}
	if plan.Clips[engine.AnimWalk].From == plan.Clips[engine.AnimStand].From && plan.Clips[engine.AnimWalk].Shared != "" {
		t.Error("walk was filled in instead of taken from left_walk")
	}

	bad := dyberPet(t, strings.Replace(dyberActConf, `"fall": {"images": "fall"},`, "", 1))
	_, err = Import(Options{Name: "Cat"}, Source{Path: bad})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(bad, "pet_conf.json")) || !strings.Contains(err.Error(), `"fall"`) {
		t.Errorf("missing action: %v", err)
	}
	os.WriteFile(filepath.Join(bad, "act_conf.json"), []byte(`{"stand": {"images": 3}}`), 0o644)
	if _, err = Import(Options{Name: "Cat"}, Source{Path: bad}); err == nil || !strings.Contains(err.Error(), "act_conf.json") {
		t.Errorf("wrong type: %v", err)
	}
}

// DyberPet 0.3 and later write random_act as objects with their own names,
// and name the floor and pat reactions.
func TestImportDyberPetObjectRandomAct(t *testing.T) {
	dir := dyberPet(t, dyberActConf)
	conf := `{"width": 128, "height": 128, "default": "stand", "left": "left_walk", "right": "right_walk",
 "drag": "drag", "fall": "fall", "on_floor": "sit_down", "patpat": "nod",
 "random_act": [{"name": "坐下", "act_list": ["sit_down", "sitting"], "act_prob": 0.5, "act_type": [2, 1]},
  {"name": "行走", "act_list": ["left_walk", "right_walk"], "act_prob": 0.5, "act_type": [3, 1]}],
 "accessory_act": []}`
	writeFile(t, filepath.Join(dir, "pet_conf.json"), []byte(conf))
	plan, err := Import(Options{Name: "派蒙"}, Source{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	for state, frames := range map[string]int{engine.AnimSit: 4, engine.AnimWalk: 4, engine.AnimLand: 1, engine.AnimPoke: 2} {
		c := plan.Clips[state]
		if c == nil || c.Shared != "" || len(c.Frames) != frames {
			t.Errorf("%s: %+v, want %d frames of its own", state, c, frames)
		}
	}
}
