export { WorkflowExecutor, WorkflowStepError, StepHandler, WorkflowEvent, WorkflowEventType } from './services/workflow-executor';
export { WorkflowSchedulingService, ScheduleRequest, ScheduleLogEntry, Logger } from './services/workflow-scheduling-service';
export * from './types/workflow';
