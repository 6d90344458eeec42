#!/usr/bin/env bash
# `make release-check`: check .goreleaser.yml, build a snapshot release for
# this machine's platform only, and check what a release would ship:
#
#   - the provider zip holds exactly terraform-provider-media_v<version>,
#     built without cgo, with -trimpath and the version stamped;
#   - the mediaprobe tar.gz holds mediaprobe and its README, and
#     `mediaprobe version` prints the version and commit;
#   - SHA256SUMS covers both archives and terraform-registry-manifest.json
#     under the name the Registry reads, <project>_<version>_manifest.json.
#
# The snapshot skips signing (no GPG key here) and publishes nothing. Its
# output stays in dist/ (gitignored; `make clean` removes it). GORELEASER is
# the goreleaser command, as the GNUmakefile pins it. Needs go, unzip and tar.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

read -ra goreleaser <<<"${GORELEASER:?set GORELEASER to the goreleaser command, as make release-check does}"
build_dir=${BUILD_DIR:-build}
dist=dist
project=terraform-provider-media

log() { printf '\n==> %s\n' "$*"; }
fail() {
	printf 'release-check: %s\n' "$*" >&2
	exit 1
}

command -v unzip >/dev/null || fail "unzip is not on PATH"

log "goreleaser check"
"${goreleaser[@]}" check

# goreleaser's release command has no --single-target, so build from a copy
# of the configuration whose goos and goarch lists name only this platform.
# The archive count below fails if that replacement stops matching.
goos=$(go env GOOS)
goarch=$(go env GOARCH)
host_config="$build_dir/goreleaser-host.yml"
mkdir -p "$build_dir"
sed -E \
	-e "s/^( +goos: ).*/\1[$goos]/" \
	-e "s/^( +goarch: ).*/\1[$goarch]/" \
	.goreleaser.yml >"$host_config"

# goreleaser reads the commit only if git names a remote; a checkout without
# one (a worktree, a copy) gets the repository's URL for this run, through
# git's environment, not its config files.
if ! git remote get-url origin >/dev/null 2>&1; then
	n=${GIT_CONFIG_COUNT:-0}
	export "GIT_CONFIG_KEY_$n=remote.origin.url"
	export "GIT_CONFIG_VALUE_$n=https://github.com/mediareach/terraform-provider-media.git"
	export GIT_CONFIG_COUNT=$((n + 1))
fi

log "goreleaser release --snapshot for $goos/$goarch"
"${goreleaser[@]}" release --snapshot --clean --skip=sign --config "$host_config"

log "Checking the snapshot in $dist/"
# metadata.json: {"project_name":...,"tag":...,"previous_tag":...,"version":...,"commit":...,...}
metadata=$(<"$dist/metadata.json")
field() { sed -nE "s/.*\"$1\": *\"([^\"]*)\".*/\1/p" <<<"$metadata"; }
version=$(field version)
commit=$(field commit)
[[ -n "$version" && -n "$commit" ]] || fail "no version or commit in $dist/metadata.json: $metadata"

shopt -s nullglob
zips=("$dist"/*.zip)
tarballs=("$dist"/*.tar.gz)
shopt -u nullglob
zip="$dist/${project}_${version}_${goos}_${goarch}.zip"
tarball="$dist/mediaprobe_${version}_${goos}_${goarch}.tar.gz"
[[ ${#zips[@]} == 1 && "${zips[0]}" == "$zip" ]] ||
	fail "want only $zip, got: ${zips[*]:-none} (do .goreleaser.yml's goos and goarch still fit on one line?)"
[[ ${#tarballs[@]} == 1 && "${tarballs[0]}" == "$tarball" ]] ||
	fail "want only $tarball, got: ${tarballs[*]:-none}"

exe=
[[ "$goos" == windows ]] && exe=.exe
binary="${project}_v${version}${exe}"
entries=$(unzip -Z1 "$zip")
[[ "$entries" == "$binary" ]] || fail "$zip must hold only $binary, holds:"$'\n'"$entries"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/release-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

unzip -q "$zip" -d "$tmp/provider"
buildinfo=$(go version -m "$tmp/provider/$binary")
for want in $'\tCGO_ENABLED=0' $'\t-trimpath=true'; do
	grep -qF -- "$want" <<<"$buildinfo" || fail "$binary was not built with $want:"$'\n'"$buildinfo"
done
# With -trimpath the build info leaves out -ldflags: look for the stamped
# strings themselves.
for want in "$version" "$commit"; do
	grep -qaF -- "$want" "$tmp/provider/$binary" || fail "$binary does not hold $want: is main.version or main.commit gone?"
done

entries=$(tar -tzf "$tarball" | sort)
[[ "$entries" == $'README.md\nmediaprobe'"$exe" ]] || fail "$tarball must hold mediaprobe and README.md, holds:"$'\n'"$entries"
mkdir "$tmp/mediaprobe"
tar -xzf "$tarball" -C "$tmp/mediaprobe"
want="mediaprobe $version (commit $commit)"
for arg in version --version; do
	got=$("$tmp/mediaprobe/mediaprobe$exe" "$arg")
	[[ "$got" == "$want" ]] || fail "mediaprobe $arg printed \"$got\", want \"$want\""
done

sums="$dist/${project}_${version}_SHA256SUMS"
manifest="${project}_${version}_manifest.json"
manifest_sum=$(sha256sum terraform-registry-manifest.json | cut -d' ' -f1)
grep -qx "$manifest_sum  $manifest" "$sums" || fail "$sums lacks $manifest with the hash of terraform-registry-manifest.json"
for f in "$zip" "$tarball"; do
	grep -q "  ${f##*/}\$" "$sums" || fail "$sums lacks ${f##*/}"
done
(cd "$dist" && grep -v "  $manifest\$" "${sums##*/}" | sha256sum --check --quiet --strict) ||
	fail "an archive does not match $sums"

log "release-check passed: ${zip##*/} holds $binary; $want"
