'use strict'
// The dashboard's errors carry the HTTP status that says what kind they are.

function refusal(status, code, message) {
  return Object.assign(new Error(message), { status, code })
}

/** An integration error with its status: 404 not found, 400 bad input, 409 refused now. */
function withStatus(err) {
  if (err && err.status) return err
  const code = err && err.code
  const status = code === 'ERR_NOT_FOUND' ? 404
    : err instanceof TypeError || err instanceof RangeError ? 400
    : typeof code === 'string' ? 409
    : 500
  return refusal(status, code || 'ERR_INTERNAL', err && err.message ? err.message : String(err))
}

module.exports = { refusal, withStatus }
