// Workflow definitions for the tests, as production-ccs writes them.
import { ErrorStrategy, WorkflowDefinition, WorkflowStep, WorkflowStepType } from '../src/types/workflow';

export function step(id: string, type: WorkflowStepType, parameters: Record<string, unknown> = {}, timeout = 5000): WorkflowStep {
  return { id, name: `step ${id}`, type, parameters, timeout, enabled: true };
}

export function workflow(
  id: string,
  steps: WorkflowStep[],
  options: { strategy?: ErrorStrategy; timeout?: number } = {}
): WorkflowDefinition {
  return {
    id,
    name: `workflow ${id}`,
    version: '1.0.0',
    description: `the ${id} workflow`,
    steps,
    errorHandling: { strategy: options.strategy ?? 'fail_fast' },
    timeout: options.timeout ?? 60_000,
    metadata: { tags: ['tests'], owner: 'ops-team', environment: 'production' },
  };
}

/** A command step that runs; one whose action is missing (production-ccs's 'Command action not defined'). */
export const ok = (id: string): WorkflowStep => step(id, 'command', { command: `run ${id}` });
export const broken = (id: string): WorkflowStep => step(id, 'command', {});
/** A step that runs until its run ends (a 10 s wait, aborted by a timeout or a cancel). */
export const long = (id: string): WorkflowStep => step(id, 'wait', { durationMs: 10_000 }, 0);
