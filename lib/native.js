'use strict'
// The native addon, loaded through `native.js` (the loader `napi build` generates; never
// edited by hand). When no binary for this machine can be loaded, the loader's own error
// blames an npm bug; this wrapper replaces it with one that says what is missing and what
// to do, with the code ERR_NO_BINARY (the loader's error stays as `cause`).

const fs = require('node:fs')

// The platforms a prebuilt binary is published for: the `napi.targets` of package.json, as
// the names of their packages (tickflow-<platform>, in npm/<platform>/).
const SUPPORTED = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

function libc() {
  try {
    if (fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return 'musl'
  } catch {}
  try {
    const report = process.report.getReport()
    return report.header.glibcVersionRuntime ? 'gnu' : 'musl'
  } catch {
    return 'gnu'
  }
}

/** This machine's platform as the binary packages name it: linux-x64-gnu, darwin-arm64, win32-x64-msvc. */
function platformName() {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') return `${base}-${libc()}`
  if (process.platform === 'win32') return `${base}-msvc`
  return base
}

/** The loader's errors, outermost first (it chains them through `cause`, as copies that keep
 * only the message). */
function chain(err) {
  const all = []
  for (let e = err; e && all.length < 50; e = e.cause) all.push(e)
  return all
}

// Messages of the loader's errors that only say a candidate is absent.
const ABSENT = /^(Cannot find module|Cannot find native binding|Failed to load native binding|Unsupported (architecture|OS))/

/** Whether `err` is the loader's "no binary could be loaded" error (and not, say, a bad
 * NAPI_RS_* variable). */
function isLoadFailure(err) {
  return err instanceof Error && /^(Cannot find native binding|Failed to load native binding)/.test(err.message)
}

function noBinaryError(loaderError) {
  const platform = platformName()
  const pkg = `tickflow-${platform}`
  // A binary that is there but does not load (a too old glibc, a version mismatch) is
  // another problem than a missing one: say so, with the system's reason.
  const broken = chain(loaderError).find((e) => !ABSENT.test(String(e.message)))
  const fromSource =
    "build the addon from source with Rust (cargo): in a clone of tickflow's repository, `npm install` builds it " +
    '(`npm run build` rebuilds it); then `npm install /path/to/the/clone` in your project.'
  let lines
  if (!SUPPORTED.includes(platform)) {
    lines = [`tickflow: no prebuilt native binary for ${platform}.`, `Prebuilt binaries exist for: ${SUPPORTED.join(', ')}.`, `The way out: ${fromSource}`]
  } else if (broken) {
    lines = [
      `tickflow: the native binary for ${platform} (package ${pkg}) is installed but could not be loaded: ${broken.message}`,
      `Reinstall so that tickflow and ${pkg} have the same version; if the reason is a system library (such as glibc) older than the binary needs, ${fromSource}`,
    ]
  } else {
    lines = [
      `tickflow: no native binary for ${platform}: the package ${pkg}, an optional dependency of tickflow, is not installed.`,
      'The way out: install with optional dependencies enabled (no --omit=optional, --no-optional or optional=false in .npmrc), ' +
        'on the platform where the program runs (a node_modules copied from another OS, CPU or libc lacks this binary), ' +
        'for example `rm -rf node_modules package-lock.json && npm install`.',
      `Or ${fromSource}`,
      `Prebuilt binaries exist for: ${SUPPORTED.join(', ')}.`,
    ]
  }
  const error = new Error(lines.join('\n'))
  error.code = 'ERR_NO_BINARY'
  error.platform = platform
  error.cause = loaderError
  return error
}

let binding
try {
  binding = require('../native.js')
} catch (err) {
  throw isLoadFailure(err) ? noBinaryError(err) : err
}

module.exports = { binding, SUPPORTED_PLATFORMS: SUPPORTED, platformName }
