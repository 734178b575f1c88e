'use strict'
// Adapters from production-ccs shapes to tickflow's executor.

const { codedError } = require('./json.js')

// production-ccs's WorkflowExecution.status, other than 'completed', as tickflow failures.
const OUTCOMES = {
  failed: { code: 'WORKFLOW_FAILED', message: (id) => `workflow '${id}' failed` },
  timeout: { code: 'WORKFLOW_TIMEOUT', message: (id) => `workflow '${id}' hit its own timeout in the workflow executor` },
  paused: { code: 'WORKFLOW_ESCALATED', message: (id) => `workflow '${id}' was paused for manual intervention (errorHandling 'escalate')` },
  cancelled: { code: 'WORKFLOW_CANCELLED', message: (id) => `workflow '${id}' was cancelled in the workflow executor` },
}

/**
 * Wraps a production-ccs WorkflowExecutor (`executeWorkflow(definition, context)`) as a
 * tickflow executor. `resolveDefinition(workflowId, request)` returns the
 * WorkflowDefinition to run (or a Promise of it).
 *
 * - A returned execution whose status is not 'completed' fails the attempt, with the cause
 *   production-ccs recorded (the failed step's error, or `result.error`) and a code:
 *   the step's own code, or WORKFLOW_FAILED / WORKFLOW_TIMEOUT / WORKFLOW_ESCALATED /
 *   WORKFLOW_CANCELLED.
 * - On abort (tickflow's timeout, a cancel, cancelOther, stop) the production-ccs run is
 *   cancelled too (`cancelExecution`), so that it does not go on unseen; the attempt's error
 *   then says what production-ccs did (`details.workflowExecution`).
 */
function fromWorkflowExecutor(workflowExecutor, resolveDefinition) {
  if (!workflowExecutor || typeof workflowExecutor.executeWorkflow !== 'function') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'workflowExecutor', 'expected an object with an executeWorkflow method', workflowExecutor)
  }
  if (typeof resolveDefinition !== 'function') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'resolveDefinition', 'expected a function', resolveDefinition)
  }
  return async function executeScheduledWorkflow(request) {
    const definition = await resolveDefinition(request.workflowId, request)
    if (definition === null || definition === undefined) {
      const err = new Error(`no workflow definition for '${request.workflowId}'`)
      err.code = 'WORKFLOW_NOT_FOUND'
      throw err
    }
    const { signal } = request
    let cancelled = null
    const onAbort = () => {
      cancelled = cancelRun(workflowExecutor, request.executionId)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    let execution
    try {
      execution = await workflowExecutor.executeWorkflow(definition, {
        variables: request.variables || {},
        ...(request.environment != null && { environment: request.environment }),
        correlationId: request.executionId,
        metadata: {
          ...request.metadata,
          scheduleId: request.scheduleId,
          executionId: request.executionId,
          attempt: request.attempt,
          triggerType: request.triggerType,
        },
      })
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    if (signal.aborted) {
      // tickflow has already recorded the timeout or cancel; this says what production-ccs did.
      const reason = signal.reason || {}
      const err = new Error(`${reason.message || 'aborted'}; the workflow executor's run ${await describeCancel(cancelled, execution)}`)
      err.code = reason.code || 'ABORTED'
      err.details = { workflowExecution: execution && { id: execution.id, status: execution.status } }
      throw err
    }
    if (execution && typeof execution.status === 'string' && execution.status !== 'completed') {
      throw failureOf(execution, request.workflowId)
    }
    return execution
  }
}

/** The production-ccs run for `executionId` (passed as its correlation id), cancelled. */
async function cancelRun(workflowExecutor, executionId) {
  if (typeof workflowExecutor.getActiveExecutions !== 'function' || typeof workflowExecutor.cancelExecution !== 'function') {
    return { id: null, done: false, why: 'cannot be cancelled (the executor has no getActiveExecutions/cancelExecution)' }
  }
  const run = workflowExecutor.getActiveExecutions().find((e) => e && e.context && e.context.correlationId === executionId)
  if (!run) return { id: null, done: false, why: 'had already ended' }
  try {
    const done = await workflowExecutor.cancelExecution(run.id)
    return { id: run.id, done: done !== false, why: done === false ? 'could not be cancelled' : 'was cancelled' }
  } catch (err) {
    return { id: run.id, done: false, why: `could not be cancelled: ${err && err.message}` }
  }
}

async function describeCancel(cancelled, execution) {
  const outcome = cancelled ? await cancelled : null
  const id = (outcome && outcome.id) || (execution && execution.id) || ''
  const why = outcome ? outcome.why : `ended as '${execution && execution.status}'`
  return `${id ? `${id} ` : ''}${why}`
}

/** The attempt's error for a run production-ccs did not complete. */
function failureOf(execution, workflowId) {
  const outcome = OUTCOMES[execution.status] || { code: 'WORKFLOW_INCOMPLETE', message: (id) => `workflow '${id}' returned with status '${execution.status}'` }
  const steps = Array.isArray(execution.steps) ? execution.steps : []
  const failedStep = steps.find((s) => s && s.status === 'failed' && s.error)
  const cause = (failedStep && failedStep.error) || (execution.result && execution.result.error) || execution.error
  const base = outcome.message(workflowId)
  const message = cause && cause.message ? (execution.status === 'failed' ? cause.message : `${base}: ${cause.message}`) : base
  const err = new Error(message)
  err.code = execution.status === 'failed' && cause && typeof cause.code === 'string' ? cause.code : outcome.code
  if (failedStep) err.stepId = failedStep.stepId
  err.details = { workflowExecution: { id: execution.id, status: execution.status } }
  return err
}

module.exports = { fromWorkflowExecutor }
