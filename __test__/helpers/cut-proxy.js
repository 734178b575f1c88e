'use strict'
// A TCP proxy in front of a server that can cut the network as a lost host does: bytes stop
// flowing both ways while every connection stays open (nobody is told), until heal().
const net = require('node:net')

/**
 * Listens on a free port of 127.0.0.1 and forwards to `port`. `cut()` stops forwarding at
 * once; `cutAfter(text)` forwards the chunk holding `text`, then cuts (a host lost in the
 * middle of a conversation). `heal()` ends every connection (their bytes were lost).
 */
function startCutProxy(port) {
  const pairs = new Set()
  let cut = false
  let trap = null
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1')
    const pair = { client, upstream }
    pairs.add(pair)
    client.on('data', (chunk) => {
      if (cut) return
      upstream.write(chunk)
      if (trap && chunk.includes(trap.text)) {
        cut = true
        trap.resolve()
        trap = null
      }
    })
    upstream.on('data', (chunk) => cut || client.write(chunk))
    const end = () => {
      if (cut) return
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    for (const side of [client, upstream]) side.on('error', end).on('close', end)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        cut() {
          cut = true
        },
        cutAfter(text) {
          return new Promise((done) => (trap = { text: Buffer.from(text), resolve: done }))
        },
        heal() {
          cut = false
          for (const { client, upstream } of pairs) (client.destroy(), upstream.destroy())
          pairs.clear()
        },
        close() {
          this.heal()
          return new Promise((done) => server.close(done))
        },
      }),
    ),
  )
}

module.exports = { startCutProxy }
