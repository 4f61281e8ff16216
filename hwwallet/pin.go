package hwwallet

import (
	"errors"
	"fmt"
	"strings"
)

// MaxPINPositions is the longest PIN a Trezor matrix takes: 50 keypad
// positions since Trezor One firmware 1.10.0 (long PINs), 9 before.
const MaxPINPositions = 50

// CheckPINPositions checks what a user typed on the host's blank keypad for
// a Trezor PIN matrix: 1 to max positions, each a digit 1-9 (the keypad is
// laid out 7 8 9 / 4 5 6 / 1 2 3; the device maps positions to its
// scrambled digits). The error says what is wrong; callers wrap it with the
// sentinel their own callers branch on.
func CheckPINPositions(pos string, max int) error {
	if pos == "" || len(pos) > max {
		return fmt.Errorf("PIN must be 1 to %d keypad positions, got %d", max, len(pos))
	}
	if strings.Trim(pos, "123456789") != "" {
		return errors.New("PIN positions must be the digits 1-9 of the keypad (laid out 7 8 9 / 4 5 6 / 1 2 3)")
	}
	return nil
}
