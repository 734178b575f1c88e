'use strict'
// The child side of runInChild: runs one workload function, writes its result to the file
// named last on the command line, and exits at once, whatever timers the library under test
// still holds.

const fs = require('node:fs')

const [file, name, argsJson, resultFile] = process.argv.slice(2)

function reply(message, code) {
  fs.writeFileSync(resultFile, JSON.stringify(message))
  process.exit(code)
}

async function main() {
  try {
    reply({ ok: true, value: await require(file)[name](JSON.parse(argsJson)) }, 0)
  } catch (err) {
    reply({ ok: false, error: String((err && err.message) || err), stack: err && err.stack }, 1)
  }
}

main()
