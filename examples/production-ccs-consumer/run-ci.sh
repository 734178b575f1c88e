#!/usr/bin/env bash
# Installs tickflow into this TypeScript project the way production-ccs would get it from the
# registry: the main package (JavaScript, types, schema, examples; no addon) and the package
# of this platform's prebuilt addon (tickflow-linux-x64-gnu, say), both from tarballs packed
# here, no Rust on this side. Then type-checks the project and runs its Jest tests.
#
#   bash examples/production-ccs-consumer/run-ci.sh     (after `npm install` at the root)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT

shopt -s nullglob
addons=("$root"/tickflow.*.node)
shopt -u nullglob
if [ "${#addons[@]}" -eq 0 ]; then
  echo "run-ci.sh: no prebuilt addon in $root; build it there first (npm install, or npm run build)" >&2
  exit 1
fi

# The main package. npm pack runs prepack/postpack (the published package.json in the
# tarball, the repository's restored after); it does not run prepare, so nothing is built.
(cd "$root" && npm pack --loglevel=warn --pack-destination "$pack_dir" >/dev/null)
tarball="$pack_dir/tickflow-$(node -p "require('$root/package.json').version").tgz"
contents="$(tar -tzf "$tarball")"
echo "packed $(basename "$tarball"): $(printf '%s\n' "$contents" | wc -l | tr -d ' ') files"
for needed in package/bin/tickflow.js package/schema/schedules.schema.json package/index.d.ts package/native.d.ts \
  package/lib/native.js package/examples/schedules.json package/examples/schedules-http.json; do
  grep -qx "$needed" <<<"$contents" || { echo "run-ci.sh: $needed is missing from the tarball" >&2; exit 1; }
done
if grep -q '\.node$' <<<"$contents"; then
  echo "run-ci.sh: the main tarball carries a .node addon; the platform packages carry them" >&2
  exit 1
fi
if tar -xOzf "$tarball" package/package.json | node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8"))
  process.exit(p.scripts || p.devDependencies || !p.os || !p.cpu ? 0 : 1)'; then
  echo "run-ci.sh: the packed package.json has scripts or devDependencies, or lacks os/cpu" >&2
  exit 1
fi

# The platform packages, as `napi artifacts` fills them in the release workflow: each
# npm/<platform>/ with its addon, packed from a copy so the work tree stays clean.
platform_tarballs=()
for addon in "${addons[@]}"; do
  platform="$(basename "$addon" .node)"
  platform="${platform#tickflow.}"
  if [ ! -f "$root/npm/$platform/package.json" ]; then
    echo "run-ci.sh: $(basename "$addon") has no package in npm/$platform/" >&2
    exit 1
  fi
  mkdir "$pack_dir/$platform"
  cp "$root/npm/$platform/package.json" "$root/npm/$platform/README.md" "$addon" "$pack_dir/$platform/"
  (cd "$pack_dir/$platform" && npm pack --loglevel=warn --pack-destination "$pack_dir" >/dev/null)
  platform_tarball="$pack_dir/tickflow-$platform-$(node -p "require('$root/npm/$platform/package.json').version").tgz"
  echo "packed $(basename "$platform_tarball"): $(tar -tzf "$platform_tarball" | tr '\n' ' ')"
  platform_tarballs+=("$platform_tarball")
done

# Everything from here on runs without cargo on the PATH: the consumer needs no Rust.
no_rust_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e 'rustup' | paste -sd: -)"

cd "$here"
PATH="$no_rust_path" npm ci --no-audit --no-fund
# Both tarballs in one install, as a user gets both from the registry. The main package
# names no optional dependencies until `napi prepublish` adds them at release, so nothing is
# looked up on the registry here.
install_log="$(PATH="$no_rust_path" npm install --no-save --no-audit --no-fund "$tarball" "${platform_tarballs[@]}" 2>&1)" \
  || { printf '%s\n' "$install_log" >&2; exit 1; }
printf '%s\n' "$install_log"
# npm lists the scripts of packages that have any ("install-scripts tickflow (prepare: ...)").
if grep -Eq 'install-scripts +tickflow' <<<"$install_log"; then
  echo "run-ci.sh: npm lists install scripts of tickflow's tarballs" >&2
  exit 1
fi
PATH="$no_rust_path" ./node_modules/.bin/tickflow --version
PATH="$no_rust_path" ./node_modules/.bin/tickflow validate node_modules/tickflow/examples/schedules.json
PATH="$no_rust_path" npx tsc --noEmit
PATH="$no_rust_path" npx jest
