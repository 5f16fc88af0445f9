#!/usr/bin/env bash
# Puts NiiVue's browser bundle, niivue.umd.js, into DEST for `voxcache serve`
# (docs/serve.md): `npm pack` of the pinned release from the npm registry,
# checked against its SHA-256 before it is used. Does nothing when DEST
# already holds the checked file. Exit 1 (DEST untouched) when npm is
# missing or the download fails: serve then shows PNG slices instead.
#   web/fetch_niivue.sh DEST
set -euo pipefail
dest=${1:?usage: $0 DEST}
version=0.69.0
sha256=47b896b77ec4a5be3ef1949c33ad393b6f45629921f326c279000bcf51bdb4af  # dist/niivue.umd.js
if [[ -f "$dest/niivue.umd.js" ]] && echo "$sha256  $dest/niivue.umd.js" | sha256sum -c --status; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_niivue: no npm here; voxcache serve will show PNG slices (apt-get install npm)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent "@niivue/niivue@$version" >/dev/null 2>"$tmp/npm.log"); then
  echo "fetch_niivue: npm pack @niivue/niivue@$version failed:" >&2
  cat "$tmp/npm.log" >&2
  exit 1
fi
tar -xzf "$tmp"/niivue-niivue-"$version".tgz -C "$tmp" package/dist/niivue.umd.js
if ! echo "$sha256  $tmp/package/dist/niivue.umd.js" | sha256sum -c --status; then
  echo "fetch_niivue: niivue.umd.js $version does not have the SHA-256 it should: not used" >&2
  exit 1
fi
mkdir -p "$dest"
cp "$tmp/package/dist/niivue.umd.js" "$dest/niivue.umd.js.tmp"
mv "$dest/niivue.umd.js.tmp" "$dest/niivue.umd.js"
echo "fetch_niivue: NiiVue $version in $dest/niivue.umd.js"
