//go:build linux && cgo

package timerslack

/*
#include <sys/prctl.h>

// 1: set; 0: kept the slack the process was started with; -1: prctl failed.
static int litsigner_timerslack_state;

__attribute__((constructor)) static void litsigner_set_timerslack(void) {
	int got = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (got != 50000) { // not the kernel's default: someone chose it
		litsigner_timerslack_state = got < 0 ? -1 : 0;
		return;
	}
	litsigner_timerslack_state = prctl(PR_SET_TIMERSLACK, 1000000UL, 0, 0, 0) == 0 ? 1 : -1;
}

static int litsigner_timerslack(void) { return litsigner_timerslack_state; }
*/
import "C"

// Set reports whether the process's threads got Slack at its start (false:
// it kept the slack it was started with, or prctl failed).
func Set() bool { return C.litsigner_timerslack() == 1 }

// cgoBuild reports that the constructor is part of this build.
const cgoBuild = true
