// A tiny HTTP server on 127.0.0.1 for the HTTP actions of examples/schedules-http.json:
//   node examples/local-server.js &
//   node bin/tickflow.js run examples/schedules-http.json --store memory --for 20s
// GET /health answers 200; POST /report echoes the JSON it got; GET /flaky answers 503
// every other time (so its retries show). Stops by itself after 10 minutes.
const http = require('node:http')

const PORT = Number(process.env.PORT || 8787)
let flakyCalls = 0

const server = http.createServer((req, res) => {
  let body = ''
  req.on('data', (chunk) => (body += chunk))
  req.on('end', () => {
    const reply = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(value))
    }
    if (req.url === '/health') return reply(200, { ok: true, at: new Date().toISOString() })
    if (req.url === '/report' && req.method === 'POST') return reply(200, { received: JSON.parse(body || 'null'), execution: req.headers['x-tickflow-execution-id'] })
    if (req.url === '/flaky') return ++flakyCalls % 2 === 1 ? reply(503, { error: 'busy, try again' }) : reply(200, { ok: true, calls: flakyCalls })
    reply(404, { error: `no route ${req.method} ${req.url}` })
  })
})

server.listen(PORT, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${PORT}`))
setTimeout(() => server.close(), 10 * 60_000).unref()
