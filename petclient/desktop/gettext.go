package desktop

// GTK's own words (Cancel in its dialogs, an entry's Copy/Paste menu, the
// About dialog's buttons) come from gettext's gtk30 domain, which follows
// the locale, not the pet's language setting. These lines point gettext at
// the setting's language.

// #cgo pkg-config: gdk-3.0 gtk+-3.0
// #include <gtk/gtk.h>
// #include <libintl.h>
// #include <locale.h>
// #include <string.h>
//
// static int tk_c_locale(const char *l) {
// 	return l == NULL || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0;
// }
// // gettext ignores LANGUAGE in the C locale: fall back to C.UTF-8, which
// // glibc always has and where LANGUAGE counts.
// static void tk_setlocale(void) {
// 	if (tk_c_locale(setlocale(LC_ALL, "")) || tk_c_locale(setlocale(LC_MESSAGES, NULL)))
// 		setlocale(LC_ALL, "C.UTF-8");
// 	gtk_disable_setlocale();
// }
// // Changing textdomain makes gettext drop what it cached for the old LANGUAGE.
// static void tk_gettext_changed(void) { textdomain(textdomain(NULL)); }
// static const char *tk_gtk_text(const char *s) { return g_dgettext("gtk30", s); }
import "C"

import (
	"os"
	"unsafe"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// gettextLanguage is LANGUAGE for lang.
var gettextLanguage = map[i18n.Lang]string{i18n.English: "en", i18n.Chinese: "zh_CN"}

// useLanguageBeforeInit makes GTK's own words follow an explicit language
// setting ("auto" leaves the locale alone). Before gtk.Init.
func useLanguageBeforeInit(setting string) {
	if setting != string(i18n.English) && setting != string(i18n.Chinese) {
		return
	}
	os.Setenv("LANGUAGE", gettextLanguage[i18n.Lang(setting)])
	C.tk_setlocale()
}

// useLanguage switches GTK's own words at run time, for windows made from now on.
func useLanguage(lang i18n.Lang) {
	os.Setenv("LANGUAGE", gettextLanguage[lang])
	C.tk_gettext_changed()
}

// gtkText is GTK's translation of one of its own strings ("_Cancel").
func gtkText(s string) string {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return C.GoString(C.tk_gtk_text(cs))
}
