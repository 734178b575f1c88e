'use strict'
// Which Host headers the dashboard answers, against DNS rebinding: a page on
// rebind.attacker.example whose name is made to point at this server is same-origin with
// it for the browser, but its requests still say `Host: rebind.attacker.example`, a header
// no page can set. As Vite and webpack-dev-server do, the Host is checked against a list.
// Loopback names and IP addresses are always allowed (a rebinding page has a name of its
// own); without a list, the first other name the page is served under is kept as its own.

const net = require('node:net')
const { codedError } = require('../json.js')

const LOOPBACK = new Set(['localhost'])

/** The name in a Host header, lower-case, without its port or IPv6 brackets; null if unreadable. */
function hostname(header) {
  if (typeof header !== 'string' || header === '') return null
  try {
    const name = new URL(`http://${header}`).hostname.toLowerCase()
    return name.startsWith('[') ? name.slice(1, -1) : name
  } catch {
    return null
  }
}

/** A name anyone may use: an IP address or a loopback name (`localhost`, `*.localhost`). */
const alwaysAllowed = (name) => net.isIP(name) !== 0 || LOOPBACK.has(name) || name.endsWith('.localhost')

/**
 * `allowsHost(header, page)` for the option `allowedHosts`: true (any host), a list of names
 * (`.example.com` also allows its subdomains), or undefined: the name of the first request
 * for the page itself (`page` true) is kept.
 */
function hostCheck(allowedHosts) {
  if (allowedHosts === true) return () => true
  if (allowedHosts === undefined) {
    let pinned = null
    return (header, page) => {
      const name = hostname(header)
      if (name === null) return false
      if (alwaysAllowed(name)) return true
      if (pinned === null && page) pinned = name
      return name === pinned
    }
  }
  if (!Array.isArray(allowedHosts) || !allowedHosts.every((h) => typeof h === 'string' && h !== '')) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.allowedHosts', "expected true or an array of host names ('dashboard.example.com', '.example.com')", allowedHosts)
  }
  const names = allowedHosts.map((h) => h.toLowerCase())
  return (header) => {
    const name = hostname(header)
    if (name === null) return false
    return alwaysAllowed(name) || names.some((n) => name === n || (n.startsWith('.') && (name.endsWith(n) || name === n.slice(1))))
  }
}

module.exports = { hostCheck, hostname }
