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
	SpritesError     Key = "sprites.error"
	SpritesHint      Key = "sprites.hint"
	SpritesPictures  Key = "sprites.pictures"
	SpritesRefused   Key = "sprites.refused"
)

func init() {
	for k, v := range map[Key]string{
		SpritesMenu:      "Import sprites…",
		SpritesTitle:     "Import sprites from your pictures",
		SpritesAddFiles:  "Add pictures…",
		SpritesAddFolder: "Add folder…",
		SpritesClear:     "Clear",
		SpritesNone:      "No pictures yet: add or drop here GIFs, PNGs, a folder or a Shimeji zip.",
		SpritesName:      "Name",
		SpritesTolerance: "Background tolerance",
		SpritesState:     "Animation",
		SpritesBefore:    "Before",
		SpritesAfter:     "After",
		SpritesWorking:   "Removing backgrounds…",
		SpritesImport:    "Import",
		SpritesCancel:    "Cancel",
		SpritesError:     "Cannot import: %v",
		SpritesHint:      "Name files after the pet's states (walk.gif, fall_1.png…); missing states are filled in.",
		SpritesPictures:  "Pictures (GIF, PNG, zip)",
		SpritesRefused:   "Only files and folders on this computer can be dropped, not: %s",
	} {
		catalogues[English][k] = v
	}
	for k, v := range map[Key]string{
		SpritesMenu:      "导入角色图片…",
		SpritesTitle:     "用自己的图片做角色",
		SpritesAddFiles:  "添加图片…",
		SpritesAddFolder: "添加文件夹…",
		SpritesClear:     "清空",
		SpritesNone:      "还没有图片：可以添加或拖到这里 GIF、PNG、文件夹或 Shimeji 压缩包。",
		SpritesName:      "名字",
		SpritesTolerance: "背景容差",
		SpritesState:     "动作",
		SpritesBefore:    "原图",
		SpritesAfter:     "去背景后",
		SpritesWorking:   "正在去除背景…",
		SpritesImport:    "导入",
		SpritesCancel:    "取消",
		SpritesError:     "无法导入：%v",
		SpritesHint:      "按动作给文件命名（walk.gif、fall_1.png…），缺少的动作会自动补上。",
		SpritesPictures:  "图片（GIF、PNG、zip）",
		SpritesRefused:   "只能拖入本机的文件或文件夹，不能用：%s",
	} {
		catalogues[Chinese][k] = v
	}
}
