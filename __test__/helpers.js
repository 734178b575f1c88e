// Errors thrown by native code are not `instanceof Error` inside Jest's realm, so tests
// match on name, code, path and message instead.
function thrown(fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw, got none')
}

function expectError(fn, { name, code, path, message }) {
  const err = thrown(fn)
  expect(err.name).toBe(name)
  expect(err.code).toBe(code)
  if (path !== undefined) expect(err.path).toBe(path)
  if (message !== undefined) expect(err.message).toMatch(message)
  return err
}

const iso = (dates) => dates.map((d) => d.toISOString())

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

module.exports = { thrown, expectError, iso, rejection }
