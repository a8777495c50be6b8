#!/usr/bin/env bash
# Builds the bitsscore Splunk app package: dist/bitsscore-<version>.tar.gz.
#
# The package is reproducible: the same sources, Go toolchain, GNU tar and
# gzip give the same bytes (fixed owner, modes, mtime and name order; no gzip
# name or timestamp; no VCS stamp in the binaries). src/appcheck checks that
# by building twice.
#
# Environment:
#   BITSSCORE_PKG  Go package of the command's main  (default ./src/cmd/bitsscore)
#   DIST_DIR       where the tarball is written      (default dist)
#   GO, TAR        the go and GNU tar binaries       (default go, tar)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

app_id=bitsscore
pkg=${BITSSCORE_PKG:-./src/cmd/bitsscore}
dist=${DIST_DIR:-dist}
go=${GO:-go}
tar=${TAR:-tar}

die() { echo "package.sh: $*" >&2; exit 1; }

# The version is [id] version in default/app.conf: the one place it is set.
version=$(awk '
	/^[[:space:]]*\[/ { in_id = ($0 ~ /^[[:space:]]*\[id\][[:space:]]*$/); next }
	in_id && /^[[:space:]]*version[[:space:]]*=/ {
		sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); print; exit
	}' default/app.conf)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no valid [id] version in default/app.conf (got '$version')"

"$tar" --version 2>/dev/null | grep -q 'GNU tar' || die "$tar is not GNU tar (needed for --sort=name); set TAR=gtar"
for f in default/app.conf metadata/default.meta app/app.manifest app/README.md app/LICENSE \
	app/static/appIcon.png app/static/appIcon_2x.png; do
	[[ -f $f ]] || die "missing $f"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/$app_id
mkdir -p "$root"

# copy_dir SRC DST copies regular files of SRC into DST, leaving out anything
# hidden (.DS_Store, editor swap files, .git*), any local/ directory and any
# *_local.csv: AppInspect rejects the first, and the others belong to one
# installation (a checkout linked into etc/apps holds the customer's
# lookups/bitsscore_known_good_local.csv, which an upgrade from a package
# shipping it would overwrite).
copy_dir() {
	local src=$1 dst=$2
	(cd "$src" && find . \( -name '.?*' -o -name local -o -name '*_local.csv' \) -prune -o -type f -print0) |
		while IFS= read -r -d '' f; do
			mkdir -p "$dst/$(dirname "$f")"
			cp "$src/$f" "$dst/$f"
		done
}

copy_dir default "$root/default"
# Only default.meta: local.meta holds one installation's permissions.
mkdir -p "$root/metadata"
cp metadata/default.meta "$root/metadata/default.meta"
copy_dir app/static "$root/static"
cp app/app.manifest "$root/app.manifest"
cp app/README.md "$root/README.md"
cp app/LICENSE "$root/LICENSE"
if [[ -d lookups ]]; then
	copy_dir lookups "$root/lookups"
fi

# build GOOS OUTPUT: a static, stripped binary without paths or VCS stamp, so
# that it depends on the sources and the toolchain only. GOAMD64=v1 keeps it
# running on every x86-64 CPU whatever the builder's environment says.
build() {
	local goos=$1 out=$2
	mkdir -p "$(dirname "$out")"
	CGO_ENABLED=0 GOOS=$goos GOARCH=amd64 GOAMD64=v1 GOFLAGS=-mod=readonly \
		"$go" build -trimpath -buildvcs=false -ldflags='-s -w' -o "$out" "$pkg"
}

build linux "$root/linux_x86_64/bin/$app_id"
build darwin "$root/darwin_x86_64/bin/$app_id"
build windows "$root/windows_x86_64/bin/$app_id.exe"
# commands.conf says filename = bitsscore, and splunkd looks for exactly that
# name (the spec documents no .exe fallback when filename is set). Shipping
# the same PE image under both names makes Windows find it either way; see
# README.md, "Windows".
cp "$root/windows_x86_64/bin/$app_id.exe" "$root/windows_x86_64/bin/$app_id"

# Whatever the copies above come to, installation-local files never ship.
leaked=$(cd "$stage" && find . \( -name local -o -name '*_local.csv' -o -name local.meta \) -print)
[[ -z $leaked ]] || die "installation-local files in the package: $leaked"

find "$root" -type d -exec chmod 755 {} +
find "$root" -type f -exec chmod 644 {} +
find "$root" -type f -path '*/bin/*' -exec chmod 755 {} +

mkdir -p "$dist"
out=$dist/$app_id-$version.tar.gz
LC_ALL=C "$tar" --format=ustar --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 \
	-C "$stage" -cf - "$app_id" | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
