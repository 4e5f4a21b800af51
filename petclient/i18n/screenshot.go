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
	} {
		catalogues[Chinese][k] = v
	}
}
