import type { WorkflowScheduleIntegration } from '../index'

export interface PrometheusBridgeOptions {
  /** prom-client's Registry to register in; default its global `register`. */
  registry?: { registerMetric(metric: unknown): void; removeSingleMetric(name: string): void }
  /** false: no `schedule` label, series summed (for very many schedules). Default true. */
  perSchedule?: boolean
}

/**
 * Registers tickflow's series in a prom-client registry, read from the engine at scrape time.
 * Needs prom-client installed (an optional peer dependency); without it, throws
 * ERR_MISSING_PEER.
 */
export declare function register(
  integration: WorkflowScheduleIntegration,
  options?: PrometheusBridgeOptions,
): { names: string[]; unregister(): void }
