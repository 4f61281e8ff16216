// Package packaging holds litsigner's distribution files, not Go code: the
// systemd user units (systemd/), the udev rules (udev/), the .deb recipe
// (deb/, build-deb.sh) and their documentation (README.md).
//
// Its tests check those files with the real tools: systemd-analyze (verify,
// security, syscall-filter), dpkg-deb/dpkg on a .deb built by build-deb.sh,
// systemd-socket-activate to start the packaged daemon the way the socket
// unit does, and udevadm to evaluate the rules against fake devices.
package packaging
