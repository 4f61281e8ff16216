//go:build (freebsd && cgo) || (linux && cgo) || (darwin && !ios && cgo) || (windows && cgo)

package usbhid

import (
	"testing"
)

type fakeHID struct {
	//lint:ignore U1000 read only through reflection: handleOf must refuse a field that is not a pointer
	name   string
	device *int
}

// TestHandleOf checks the reflection that reaches karalabe/usb's handles.
func TestHandleOf(t *testing.T) {
	x := 7
	h, err := handleOf(&fakeHID{device: &x}, "device")
	if err != nil || *(*int)(h) != 7 {
		t.Fatalf("handleOf = %v %v", h, err)
	}
	for _, tc := range []struct {
		dev   *fakeHID
		field string
	}{
		{&fakeHID{}, "device"},           // nil handle
		{&fakeHID{device: &x}, "handle"}, // no such field
		{&fakeHID{device: &x}, "name"},   // not a pointer
	} {
		if _, err := handleOf(tc.dev, tc.field); err == nil {
			t.Errorf("%+v %s: accepted", tc.dev, tc.field)
		}
	}
}

func (*fakeHID) Close() error                { return nil }
func (*fakeHID) Write(b []byte) (int, error) { return len(b), nil }
func (*fakeHID) Read(b []byte) (int, error)  { return 0, nil }
