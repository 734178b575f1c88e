'use strict'
// OpenTelemetry, when the application has @opentelemetry/api installed: each attempt is a
// span and the executor runs inside its context, so the application's own spans (database,
// HTTP) nest under it. Without the package nothing here is loaded and nothing changes.

const VERSION = require('../package.json').version

/** The tracing hooks, or null when @opentelemetry/api is not installed. */
function loadTracing() {
  let api
  try {
    api = require('@opentelemetry/api')
  } catch {
    return null
  }
  const tracer = api.trace.getTracer('tickflow', VERSION)
  const provider = api.trace.getTracerProvider()
  // With the API installed but no SDK registered, spans would record nothing: skip their
  // cost (about 15% of a trivial execution's time end to end).
  const recording = () =>
    typeof provider.getDelegate !== 'function' || provider.getDelegate().constructor.name !== 'NoopTracerProvider'
  return {
    /** The caller's active span, as a link for the execution it starts (a manual trigger). */
    activeLink() {
      if (!recording()) return null
      const span = api.trace.getSpan(api.context.active())
      const spanContext = span && span.spanContext()
      return spanContext && api.trace.isSpanContextValid(spanContext) ? { context: spanContext } : null
    },

    /**
     * Starts the attempt's span, or returns null when no tracer provider is registered;
     * `run(fn)` calls fn inside it, `end(err?)` closes it.
     */
    start(request, link) {
      if (!recording()) return null
      const lateness = request.startedAt.getTime() - request.scheduledTime.getTime()
      // A root span: whatever the JavaScript thread was doing when the engine dispatched
      // (a request that paused another schedule, say) is not this attempt's parent; the
      // caller of a manual trigger is linked instead.
      const span = tracer.startSpan(`tickflow.execute ${request.workflowId}`, {
        root: true,
        kind: api.SpanKind.CONSUMER,
        attributes: {
          'tickflow.schedule_id': request.scheduleId,
          'tickflow.workflow_id': request.workflowId,
          'tickflow.execution_id': request.executionId,
          'tickflow.scheduled_time': request.scheduledTime.toISOString(),
          'tickflow.attempt': request.attempt,
          'tickflow.trigger_type': request.triggerType,
          'tickflow.lateness_ms': lateness,
        },
        links: link ? [link] : [],
      })
      return {
        run: (fn) => api.context.with(api.trace.setSpan(api.context.active(), span), fn),
        end(err) {
          if (err !== undefined) {
            const message = err && typeof err.message === 'string' ? err.message : String(err)
            if (err instanceof Error) span.recordException(err)
            if (err && typeof err.code === 'string') span.setAttribute('tickflow.error_code', err.code)
            span.setStatus({ code: api.SpanStatusCode.ERROR, message })
          }
          span.end()
        },
      }
    },
  }
}

module.exports = { loadTracing }
