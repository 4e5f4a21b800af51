package shotui

// #cgo pkg-config: x11
// #include <X11/Xlib.h>
// #include <stdio.h>
// #include <stdlib.h>
// #include <unistd.h>
//
// static char *tks_lost_msg;
// static int tks_io_error(Display *d) {
// 	if (tks_lost_msg != NULL) fputs(tks_lost_msg, stderr);
// 	_exit(1);
// 	return 0;
// }
// static void tks_on_lost_display(char *msg) {
// 	free(tks_lost_msg);
// 	tks_lost_msg = msg;
// 	XSetIOErrorHandler(tks_io_error);
// }
import "C"

// ExitWhenDisplayLost makes a command that shows GTK windows say msg (a
// line) and exit with status 1 when its X server goes away, instead of
// GDK's silent exit; call it after GTK is initialised. Xlib cannot carry on
// after such an error, so the process must end here.
func ExitWhenDisplayLost(msg string) {
	C.tks_on_lost_display(C.CString(msg + "\n"))
}
