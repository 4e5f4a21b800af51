package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// AutostartPath is the XDG autostart entry that "start on login" manages.
func AutostartPath() (string, error) {
	config, err := xdgdir.Config.Home()
	if err != nil {
		return "", fmt.Errorf("start on login: cannot find the config folder: %w", err)
	}
	return filepath.Join(config, "autostart", "tachikoma.desktop"), nil
}

// AutostartEntry renders the desktop entry that starts exe on login.
func AutostartEntry(exe string) string {
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Tachikoma\n" +
		"Name[zh_CN]=塔奇克马\n" +
		"Comment=A small blue spider-tank robot that lives on your desktop\n" +
		"Comment[zh_CN]=住在桌面上的蓝色小多脚战车\n" +
		"Exec=" + quoteExec(exe) + "\n" +
		"Icon=tachikoma\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

// SetAutostart writes or removes the entry at path. Removing a missing
// entry is not an error.
func SetAutostart(path string, enabled bool, exe string) error {
	if !enabled {
		err := os.Remove(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	return writeAtomic(path, []byte(AutostartEntry(exe)), 0o644)
}

// AutostartEnabled reports whether the entry exists.
func AutostartEnabled(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// quoteExec quotes an argument the way the Desktop Entry spec wants for the
// Exec key, so paths with spaces still launch.
func quoteExec(arg string) string {
	if !strings.ContainsAny(arg, " \t\n\"'\\><~|&;$*?#()`") {
		return arg
	}
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "`", "\\\\`", `$`, `\\$`)
	return `"` + r.Replace(arg) + `"`
}
