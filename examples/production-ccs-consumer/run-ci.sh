#!/usr/bin/env bash
# Installs tickflow into this TypeScript project the way production-ccs would get it: from
# the packed tarball (the prebuilt addon inside, no Rust on this side), then type-checks
# the project and runs its Jest tests.
#
#   bash examples/production-ccs-consumer/run-ci.sh     (after `npm install` at the root)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT

if ! compgen -G "$root/*.node" >/dev/null; then
  echo "run-ci.sh: no prebuilt addon in $root; build it there first (npm install, or npm run build)" >&2
  exit 1
fi

# --ignore-scripts packs what is built: `prepare` would rebuild the addon with cargo.
(cd "$root" && npm pack --ignore-scripts --loglevel=warn --pack-destination "$pack_dir" >/dev/null)
tarball="$(echo "$pack_dir"/tickflow-*.tgz)"
contents="$(tar -tzf "$tarball")"
echo "packed $(basename "$tarball"): $(printf '%s\n' "$contents" | wc -l | tr -d ' ') files"
for needed in package/bin/tickflow.js package/schema/schedules.schema.json package/index.d.ts package/native.d.ts; do
  grep -qx "$needed" <<<"$contents" || { echo "run-ci.sh: $needed is missing from the tarball" >&2; exit 1; }
done
grep -q '^package/[^/]*\.node$' <<<"$contents" || { echo "run-ci.sh: the tarball has no prebuilt .node addon" >&2; exit 1; }

# Everything from here on runs without cargo on the PATH: the consumer needs no Rust.
no_rust_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e 'rustup' | paste -sd: -)"

cd "$here"
PATH="$no_rust_path" npm ci --no-audit --no-fund
PATH="$no_rust_path" npm install --no-save --no-audit --no-fund "$tarball"
PATH="$no_rust_path" ./node_modules/.bin/tickflow --version
PATH="$no_rust_path" npx tsc --noEmit
PATH="$no_rust_path" npx jest
