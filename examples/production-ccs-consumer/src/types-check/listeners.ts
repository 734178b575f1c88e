/**
 * Type-level test of the listener overloads: a known event name's listener is checked against
 * its payload, a misspelt name does not compile, and a name held in a `string` variable (or a
 * symbol) still does. Each `@ts-expect-error` line must fail to compile: if it compiled,
 * `tsc --noEmit` would report the directive as unused. Nothing here runs.
 */

import type * as tickflow from 'tickflow';

export function mistypedListeners(integration: tickflow.WorkflowScheduleIntegration, handler: tickflow.ScheduleExecutionHandler): void {
  // @ts-expect-error a listener typed with a payload the event does not carry
  integration.on('workflow.completed', (e: { nonsense: number }) => e.nonsense);
  // @ts-expect-error the same through once()
  integration.once('schedule.triggered', (e: { nonsense: number }) => e.nonsense);
  // @ts-expect-error the same through off()
  integration.off('integration.error', (e: { code: number }) => e.code);
  // @ts-expect-error a misspelt event name (a literal that names no event)
  integration.on('workflow.complete', () => undefined);
  // @ts-expect-error the handler's listeners are checked too
  handler.on('workflow.failed', (e: { nonsense: number }) => e.nonsense);
}

export function wellTypedListeners(
  integration: tickflow.WorkflowScheduleIntegration,
  name: string,
  symbol: symbol,
  sink: (value: unknown) => void
): void {
  integration.on('workflow.completed', (e) => sink(e.attempts));
  integration.on('integration.error', (e) => sink(e.code));
  integration.on('event', (e) => sink(e.type));
  integration.on('newListener', (event, listener) => sink([event, listener]));
  // A name known only at run time: any listener, as EventEmitter takes it.
  integration.on(name, (...args: unknown[]) => sink(args));
  integration.off(name, sink);
  integration.once(symbol, sink);
}
