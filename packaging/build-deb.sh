#!/bin/sh
# build-deb.sh: build dist/litsigner_<version>_<arch>.deb in one command.
#
#   packaging/build-deb.sh [OUTDIR]      (default OUTDIR: <repo>/dist)
#
# Builds litsignerd and litsigner with -trimpath and cgo (karalabe/usb
# compiles libusb and hidapi), injects the version with -X main.version, and
# packs them with nfpm, pinned and run through the Go module proxy (no global
# install). The version is LITSIGNER_VERSION if set, else the newest v* git
# tag (git describe: v0.2.0-3-gabc1234 becomes 0.2.0+3.gabc1234), else
# packaging/VERSION. Prints the path of the .deb on its last line.
set -eu

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

packaging=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$packaging")
outdir=${1:-$root/dist}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

cd "$root"

version=${LITSIGNER_VERSION:-}
if [ -z "$version" ] && command -v git >/dev/null 2>&1; then
	if tag=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		# Debian versions may not contain '-' without a revision: use '+' and '.'.
		version=$(printf '%s\n' "${tag#v}" | sed -e 's/-/+/' -e 's/-/./g')
	fi
fi
if [ -z "$version" ]; then
	version=$(tr -d ' \n' <"$packaging/VERSION")
fi
case "$version" in
[0-9]*) ;;
*)
	echo "build-deb.sh: bad version '$version' (must start with a digit)" >&2
	exit 1
	;;
esac

arch=$(go env GOARCH)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT INT TERM

# Reproducible timestamps in the archive: the last commit, if any.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && command -v git >/dev/null 2>&1; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || true)
	[ -n "$SOURCE_DATE_EPOCH" ] && export SOURCE_DATE_EPOCH
fi

for cmd in litsignerd litsigner; do
	CGO_ENABLED=1 go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X main.version=$version" \
		-o "$build/bin/$cmd" "./cmd/$cmd"
done
# The staging directory nfpm.yaml's relative paths refer to.
cp -R "$packaging/systemd" "$packaging/udev" "$packaging/deb" "$packaging/README.md" "$build/"

deb="$outdir/litsigner_${version}_${arch}.deb"
rm -f "$deb"
(cd "$build" && LITSIGNER_VERSION=$version LITSIGNER_ARCH=$arch \
	go run "$NFPM" package --config deb/nfpm.yaml --packager deb --target "$deb" >&2)

echo "$deb"
