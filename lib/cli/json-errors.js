'use strict'
// Where a JSON text goes wrong. JSON.parse in Node 20 often says only "Unexpected token",
// without a position; this strict scanner walks the text the same way and stops at the
// first character that cannot be there, so the message can give a line and a column.

/** `{ line, column, message }` for the first error in `text`, or null if it is valid JSON. */
function locateJsonError(text) {
  let i = 0
  const fail = (message) => {
    throw Object.assign(new Error(message), { offset: i })
  }
  const found = () => (i >= text.length ? 'unexpected end of file' : text[i] === "'" ? `unexpected "'"` : `unexpected '${text[i]}'`)
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++
  }
  const expect = (char, what) => {
    skipSpace()
    if (text[i] !== char) fail(`${found()}, expected ${what}`)
    i++
  }

  function value() {
    skipSpace()
    const ch = text[i]
    if (ch === '{') return object()
    if (ch === '[') return array()
    if (ch === '"') return string()
    if (ch === '-' || (ch >= '0' && ch <= '9')) return number()
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length
        return
      }
    }
    fail(`${found()}, expected a value`)
  }
  function object() {
    i++
    skipSpace()
    if (text[i] === '}') return void i++
    for (;;) {
      skipSpace()
      if (text[i] !== '"') fail(`${found()}, expected a property name in double quotes`)
      string()
      expect(':', "':'")
      value()
      skipSpace()
      if (text[i] === '}') return void i++
      if (text[i] !== ',') fail(`${found()}, expected ',' or '}'`)
      i++
    }
  }
  function array() {
    i++
    skipSpace()
    if (text[i] === ']') return void i++
    for (;;) {
      value()
      skipSpace()
      if (text[i] === ']') return void i++
      if (text[i] !== ',') fail(`${found()}, expected ',' or ']'`)
      i++
    }
  }
  function string() {
    i++
    while (i < text.length && text[i] !== '"') {
      if (text[i] < ' ') fail('a control character (such as a line break) inside a string')
      if (text[i] === '\\') {
        i++
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 4
        else if (!'"\\/bfnrt'.includes(text[i])) fail('a bad escape in a string')
      }
      i++
    }
    if (i >= text.length) fail('a string that never ends')
    i++
  }
  function number() {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
    if (!m) fail(`${found()}, expected a number`)
    i += m[0].length
  }

  try {
    value()
    skipSpace()
    if (i < text.length) fail(`${found()} after the end of the JSON value`)
    return null
  } catch (err) {
    const before = text.slice(0, err.offset).split('\n')
    return { line: before.length, column: before[before.length - 1].length + 1, message: err.message }
  }
}

module.exports = { locateJsonError }
