package i18n

// Importing sprites from the user's pictures (petclient/spriteimportui).
const (
	SpritesMenu      Key = "sprites.menu"
	SpritesTitle     Key = "sprites.title"
	SpritesAddFiles  Key = "sprites.addfiles"
	SpritesAddFolder Key = "sprites.addfolder"
	SpritesClear     Key = "sprites.clear"
	SpritesNone      Key = "sprites.none"
	SpritesName      Key = "sprites.name"
	SpritesTolerance Key = "sprites.tolerance"
	SpritesState     Key = "sprites.state"
	SpritesBefore    Key = "sprites.before"
	SpritesAfter     Key = "sprites.after"
	SpritesWorking   Key = "sprites.working"
	SpritesImport    Key = "sprites.import"
	SpritesCancel    Key = "sprites.cancel"
	// SpritesChooserAdd is the file chooser's accept button.
	SpritesChooserAdd Key = "sprites.chooser.add"
	SpritesError      Key = "sprites.error"
	SpritesHint       Key = "sprites.hint"
	SpritesPictures   Key = "sprites.pictures"
	SpritesRefused    Key = "sprites.refused"
	SpritesStateItem  Key = "sprites.stateitem"
)

// SpritesStateName is the key of a pet state's name ("walk" and so on) as
// the import dialog shows it.
func SpritesStateName(anim string) Key { return Key("sprites.state." + anim) }

// stateNames: English and Chinese names of the pet's animations.
var stateNames = map[string][2]string{
	"stand": {"Stand", "站立"}, "look": {"Look around", "张望"}, "walk": {"Walk", "走路"},
	"run": {"Run", "奔跑"}, "sit": {"Sit", "坐下"}, "sleep": {"Sleep", "睡觉"}, "jump": {"Jump", "跳跃"},
	"fall": {"Fall", "下落"}, "land": {"Land", "落地"}, "climb": {"Climb a wall", "爬墙"},
	"hang": {"Hang from the top", "倒挂"}, "ceiling": {"Walk on the ceiling", "在顶上走"},
	"drag": {"Dragged", "被拖着"}, "poke": {"Poked", "被戳"}, "joy": {"Joy", "开心"}, "surprise": {"Surprise", "吃惊"},
}

func init() {
	for k, v := range map[Key]string{
		SpritesMenu:       "Import sprites…",
		SpritesTitle:      "Import sprites from your pictures",
		SpritesAddFiles:   "Add pictures…",
		SpritesAddFolder:  "Add folder…",
		SpritesClear:      "Clear",
		SpritesNone:       "No pictures yet: add or drop here GIFs, PNGs, a folder or a Shimeji zip.",
		SpritesName:       "Name",
		SpritesTolerance:  "Background tolerance",
		SpritesState:      "Animation",
		SpritesBefore:     "Before",
		SpritesAfter:      "After",
		SpritesWorking:    "Removing backgrounds…",
		SpritesImport:     "Import",
		SpritesCancel:     "Cancel",
		SpritesChooserAdd: "Add",
		SpritesError:      "Cannot import: %v",
		SpritesHint:       "Name files after the pet's states (walk.gif, fall_1.png…); missing states are filled in.",
		SpritesPictures:   "Pictures (GIF, PNG, zip)",
		SpritesRefused:    "Only files and folders on this computer can be dropped, not: %s",
		SpritesStateItem:  "%s (%s) ← %s, %d frames",
	} {
		catalogues[English][k] = v
	}
	for k, v := range map[Key]string{
		SpritesMenu:       "导入角色图片…",
		SpritesTitle:      "用自己的图片做角色",
		SpritesAddFiles:   "添加图片…",
		SpritesAddFolder:  "添加文件夹…",
		SpritesClear:      "清空",
		SpritesNone:       "还没有图片：可以添加或拖到这里 GIF、PNG、文件夹或 Shimeji 压缩包。",
		SpritesName:       "名字",
		SpritesTolerance:  "背景容差",
		SpritesState:      "动作",
		SpritesBefore:     "原图",
		SpritesAfter:      "去背景后",
		SpritesWorking:    "正在去除背景…",
		SpritesImport:     "导入",
		SpritesCancel:     "取消",
		SpritesChooserAdd: "添加",
		SpritesError:      "无法导入：%v",
		SpritesHint:       "按动作给文件命名（walk.gif、fall_1.png…），缺少的动作会自动补上。",
		SpritesPictures:   "图片（GIF、PNG、zip）",
		SpritesRefused:    "只能拖入本机的文件或文件夹，不能用：%s",
		SpritesStateItem:  "%s（%s）← %s，%d 帧",
	} {
		catalogues[Chinese][k] = v
	}
	for anim, n := range stateNames {
		catalogues[English][SpritesStateName(anim)] = n[0]
		catalogues[Chinese][SpritesStateName(anim)] = n[1]
	}
}
