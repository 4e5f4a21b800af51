package i18n

// Screenshots (petclient/shotui).
const (
	ShotArea    Key = "shot.area"
	ShotFull    Key = "shot.full"
	ShotDelayed Key = "shot.delayed"
	ShotCopied  Key = "shot.copied"
	ShotSaved   Key = "shot.saved"
	ShotFailed  Key = "shot.failed"
	ShotOverlay Key = "shot.overlay"

	// The overlay's toolbar, shown as a hint over the hovered button.
	ShotToolBox    Key = "shot.tool.box"
	ShotToolArrow  Key = "shot.tool.arrow"
	ShotToolText   Key = "shot.tool.text"
	ShotToolMosaic Key = "shot.tool.mosaic"
	ShotUndo       Key = "shot.undo"
	ShotRedo       Key = "shot.redo"
	ShotColour     Key = "shot.colour"
	ShotCustom     Key = "shot.custom"
	ShotCustomOK   Key = "shot.custom.ok"
	ShotWidth      Key = "shot.width"
	ShotPinIt      Key = "shot.pinit"
	ShotSaveIt     Key = "shot.saveit"
	ShotCopyIt     Key = "shot.copyit"
	ShotTextHint   Key = "shot.texthint"

	// Pin windows.
	ShotPinTitle Key = "shot.pin.title"
	ShotPinCopy  Key = "shot.pin.copy"
	ShotPinSave  Key = "shot.pin.save"
	ShotPinClose Key = "shot.pin.close"
)

func init() {
	for k, v := range map[Key]string{
		ShotArea:    "Screenshot (area)",
		ShotFull:    "Full screen",
		ShotDelayed: "In 3 seconds",
		ShotCopied:  "Copied!",
		ShotSaved:   "Saved to %s",
		ShotFailed:  "Screenshot failed: %s",
		ShotOverlay: "Tachikoma screenshot",

		ShotToolBox:    "Rectangle (R)",
		ShotToolArrow:  "Arrow (A)",
		ShotToolText:   "Text (T)",
		ShotToolMosaic: "Pixelate (P)",
		ShotUndo:       "Undo (Ctrl+Z)",
		ShotRedo:       "Redo (Ctrl+Y)",
		ShotColour:     "Colour (1–6)",
		ShotCustom:     "Custom colour…",
		ShotCustomOK:   "OK",
		ShotWidth:      "Line width (+/−)",
		ShotPinIt:      "Pin to the screen (Ctrl+P)",
		ShotSaveIt:     "Save (Ctrl+S)",
		ShotCopyIt:     "Copy (Enter)",
		ShotTextHint:   "Type, then Enter",

		ShotPinTitle: "Tachikoma pin",
		ShotPinCopy:  "Copy",
		ShotPinSave:  "Save",
		ShotPinClose: "Close",
	} {
		catalogues[English][k] = v
	}
	for k, v := range map[Key]string{
		ShotArea:    "截图（选区）",
		ShotFull:    "全屏截图",
		ShotDelayed: "3 秒后截图",
		ShotCopied:  "已复制！",
		ShotSaved:   "已保存到 %s",
		ShotFailed:  "截图失败：%s",
		ShotOverlay: "Tachikoma 截图",

		ShotToolBox:    "矩形 (R)",
		ShotToolArrow:  "箭头 (A)",
		ShotToolText:   "文字 (T)",
		ShotToolMosaic: "马赛克 (P)",
		ShotUndo:       "撤销 (Ctrl+Z)",
		ShotRedo:       "重做 (Ctrl+Y)",
		ShotColour:     "颜色 (1–6)",
		ShotCustom:     "自定义颜色…",
		ShotCustomOK:   "确定",
		ShotWidth:      "线宽 (+/−)",
		ShotPinIt:      "贴到屏幕上 (Ctrl+P)",
		ShotSaveIt:     "保存 (Ctrl+S)",
		ShotCopyIt:     "复制 (Enter)",
		ShotTextHint:   "输入文字后按 Enter",

		ShotPinTitle: "Tachikoma 贴图",
		ShotPinCopy:  "复制",
		ShotPinSave:  "保存",
		ShotPinClose: "关闭",
	} {
		catalogues[Chinese][k] = v
	}
}

// A save that failed, and where the image is instead.
const (
	ShotOnClipboard Key = "shot.onclipboard"
	ShotLost        Key = "shot.lost"
)

func init() {
	catalogues[English][ShotOnClipboard] = "%s (the image is on the clipboard instead)"
	catalogues[English][ShotLost] = "%s (copying the image to the clipboard failed too, so it was not kept)"
	catalogues[Chinese][ShotOnClipboard] = "%s（图片已改为复制到剪贴板）"
	catalogues[Chinese][ShotLost] = "%s（复制到剪贴板也失败了，图片没有保留下来）"
}
