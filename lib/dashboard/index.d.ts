import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WorkflowScheduleIntegration } from '../../index'

export type DashboardAction = 'read' | 'trigger' | 'pause' | 'resume' | 'cancel' | 'retry' | 'backfill'

export interface DashboardOptions {
  /** Refuse every action on the server (403 ERR_READ_ONLY); the page hides them too. */
  readOnly?: boolean
  /** Called for every request with what it would do; anything but true refuses it (403). */
  authorize?: (req: IncomingMessage, action: DashboardAction) => boolean | Promise<boolean>
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
