'use strict'
// The package.json that users install differs from the one in the repository: the clone
// needs `prepare` (it builds the addon on `npm install`), `test`, `bench` and the dev
// dependencies; the published package must have none of them (npm lists a tarball's
// `prepare` at every install) and must carry `os` and `cpu`. npm runs
//
//   prepack   node scripts/pack-manifest.js strip     package.json -> the published manifest
//   postpack  node scripts/pack-manifest.js restore   the repository's package.json back
//
// around `npm pack` (and its --dry-run), so the tarball holds the published manifest and the
// clone never sees it. npm reads package.json again after prepack, so `prepare` does not run
// (and cargo is not needed) while packing. The same pattern as pinst and clean-publish.
//
//   refuse-publish (prepublishOnly)   `npm publish` from the folder would send the
//     repository's manifest (no os/cpu) to the registry as the version's metadata, since npm
//     reads package.json again after postpack: publish the packed tarball instead.

const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const manifestPath = path.join(root, 'package.json')
// The repository's package.json while a pack runs; not in `files`, so never packed.
const backupPath = path.join(root, '.package.json.repo')

// Rust target triples (napi.targets) to Node's process.platform / process.arch.
const OS = { linux: 'linux', darwin: 'darwin', windows: 'win32', freebsd: 'freebsd', android: 'android' }
const CPU = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }

function unique(values) {
  return [...new Set(values)]
}

/** The manifest users install, from the repository's. */
function published(manifest) {
  const targets = (manifest.napi && manifest.napi.targets) || []
  const parts = targets.map((t) => t.split('-'))
  const out = { ...manifest }
  delete out.scripts
  delete out.devDependencies
  delete out.jest
  out.os = unique(parts.map((p) => OS[p[2]] || OS[p[1]]))
  out.cpu = unique(parts.map((p) => CPU[p[0]]))
  if (out.os.includes(undefined) || out.cpu.includes(undefined) || out.os.length === 0) {
    throw new Error(`pack-manifest: cannot map napi.targets ${JSON.stringify(targets)} to os/cpu`)
  }
  return out
}

function restore() {
  if (!fs.existsSync(backupPath)) return false
  fs.copyFileSync(backupPath, manifestPath)
  fs.unlinkSync(backupPath)
  return true
}

function strip() {
  // A pack that failed between prepack and postpack left the published manifest in place:
  // the backup is the repository's, so start from it.
  if (restore()) console.error('pack-manifest: restored package.json from a pack that did not finish')
  const text = fs.readFileSync(manifestPath, 'utf8')
  fs.writeFileSync(backupPath, text)
  fs.writeFileSync(manifestPath, `${JSON.stringify(published(JSON.parse(text)), null, 2)}\n`)
}

function refusePublish() {
  console.error(
    'tickflow is not published from the folder (the registry would get the repository manifest, without os/cpu).\n' +
      'Publish the packed tarball, as .github/workflows/release.yml does:\n' +
      '  npx napi prepublish -t npm --no-gh-release   (publishes npm/<platform>/, adds optionalDependencies)\n' +
      '  npm pack && npm publish ./tickflow-<version>.tgz'
  )
  process.exit(1)
}

module.exports = { published }

if (require.main === module) {
  const command = process.argv[2]
  if (command === 'strip') strip()
  else if (command === 'restore') restore()
  else if (command === 'refuse-publish') refusePublish()
  else {
    console.error('usage: node scripts/pack-manifest.js strip|restore|refuse-publish')
    process.exit(2)
  }
}
