#!/usr/bin/env bash
# make deb: a Debian package of what make install puts in place, under /usr, built with
# dpkg-deb from a staging folder in BUILD_DIR. The binary links the Swift runtime statically, so
# the package depends only on libc, libstdc++ and zlib.
set -euo pipefail
build=${1:?usage: make-deb.sh BUILD_DIR}
bin="$build/release/journeys"
version=$("$bin" --version)
version=${version//-/\~}   # 0.12.0-dev sorts before 0.12.0 as 0.12.0~dev
arch=$(dpkg --print-architecture)
stage="$build/deb/journeys_${version}_${arch}"
rm -rf "$stage"
make --no-print-directory install PREFIX=/usr DESTDIR="$(cd "$build" && pwd)/deb/journeys_${version}_${arch}" STATIC_BUILD_DIR="$build" >/dev/null
mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: journeys
Version: $version
Architecture: $arch
Maintainer: journeys developers <journeys@example.com>
Installed-Size: $size
Depends: libc6, libstdc++6, zlib1g
Section: utils
Priority: optional
Description: customer journeys from web, email and chat logs
 Reads gzipped access logs, email provider events and chat exports, stitches
 them into per-person journeys and writes tables for spreadsheets.
CONTROL
dpkg-deb --root-owner-group --build "$stage" "$build/journeys_${version}_${arch}.deb" >/dev/null
echo "$build/journeys_${version}_${arch}.deb"
