import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WorkflowScheduleIntegration } from '../../index'

export type DashboardAction = 'read' | 'trigger' | 'pause' | 'resume' | 'cancel' | 'retry' | 'backfill'

export interface DashboardOptions {
  /**
   * Refuse every action on the server (403 ERR_READ_ONLY); the page hides them too. Default:
   * true without `authorize`, false with it; `false` without `authorize` lets anyone who
   * reaches the dashboard act.
   */
  readOnly?: boolean
  /**
   * Called for every request with what it would do; anything but true refuses it (403). An
   * exception refuses it too, and is reported as `integration.error` (ERR_DASHBOARD_AUTHORIZE).
   */
  authorize?: (req: IncomingMessage, action: DashboardAction) => boolean | Promise<boolean>
  /**
   * The names the dashboard may be reached by (its requests' Host header), against DNS
   * rebinding; others are refused (403 ERR_HOST_NOT_ALLOWED). `.example.com` also allows its
   * subdomains; `true` allows any. Loopback names and IP addresses are always allowed.
   * Default: the name the page was first served under.
   */
  allowedHosts?: string[] | true
}

/**
 * The dashboard as a (req, res, next) handler that Express, Connect or node:http mounts under
 * any path: the page, its files and its JSON API, all at URLs relative to where it is mounted.
 * With node:http, hand it requests under your prefix as they come (do not strip the prefix
 * from `req.url`; or, if you do, set `req.originalUrl` to the full URL as Express does), so
 * that a request for the prefix without its trailing slash is redirected to it.
 */
export declare function dashboard(
  integration: WorkflowScheduleIntegration,
  options?: DashboardOptions,
): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void
