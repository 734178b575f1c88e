'use strict'
// Adapters from production-ccs shapes to tickflow's executor.

const { codedError } = require('./json.js')

/**
 * Wraps a production-ccs WorkflowExecutor (`executeWorkflow(definition, context)`) as a
 * tickflow executor. `resolveDefinition(workflowId, request)` returns the
 * WorkflowDefinition to run (or a Promise of it).
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
    const execution = await workflowExecutor.executeWorkflow(definition, {
      variables: request.variables || {},
      environment: request.environment,
      correlationId: request.executionId,
      metadata: {
        ...request.metadata,
        scheduleId: request.scheduleId,
        executionId: request.executionId,
        attempt: request.attempt,
        triggerType: request.triggerType,
      },
    })
    // executeWorkflow throws when a run fails; a returned execution may still say so.
    if (execution && execution.status === 'failed') {
      const cause = execution.result && execution.result.error
      const err = new Error((cause && cause.message) || `workflow '${request.workflowId}' failed`)
      err.code = (cause && cause.code) || 'EXECUTION_FAILED'
      throw err
    }
    return execution
  }
}

module.exports = { fromWorkflowExecutor }
