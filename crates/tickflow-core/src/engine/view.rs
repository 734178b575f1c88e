//! A scheduled workflow's configuration as `getScheduledWorkflow` returns it: as given, with
//! every field production-ccs's `ScheduledWorkflowConfig` requires filled in with the value
//! the engine actually uses. What the caller gave is never changed, only completed.

use serde_json::{json, Map, Value};

use super::schedule::Schedule;
use super::value::date_json;

impl Schedule {
    /// The stored configuration, completed (the config kept in the store stays as given).
    pub fn config_view(&self) -> Value {
        let mut config = self.config_value();
        let Some(c) = config.as_object_mut() else {
            return config;
        };
        let spec = &self.spec;
        fill(c, "scheduleId", json!(spec.fragments.schedule_id));
        fill(c, "name", json!(spec.name()));
        fill(c, "enabled", json!(true));
        fill(c, "metadata", json!({}));
        let execution = object(c, "executionConfig");
        if let Some(Value::Object(retry)) = execution.get_mut("retryPolicy") {
            fill(retry, "backoffStrategy", json!("fixed"));
            fill(retry, "initialDelay", json!(1000));
            // 0: no cap (the engine's default).
            fill(retry, "maxDelay", json!(0));
            fill(retry, "multiplier", json!(2));
        }
        let enabled = c["enabled"].clone();
        let schedule = object(c, "scheduleConfig");
        fill(schedule, "id", json!(spec.fragments.schedule_id));
        fill(schedule, "workflowId", json!(spec.fragments.workflow_id));
        fill(schedule, "name", json!(spec.name()));
        fill(schedule, "timezone", json!(spec.zone.name()));
        fill(schedule, "enabled", enabled);
        let retry = object(schedule, "retryPolicy");
        fill(retry, "enabled", json!(true));
        fill(retry, "maxRetries", json!(0));
        fill(retry, "retryDelay", json!(1000));
        fill(retry, "backoffStrategy", json!("fixed"));
        fill(retry, "retryableErrors", json!([]));
        let metadata = object(schedule, "metadata");
        fill(metadata, "tags", json!([]));
        // SchedulePriority.NORMAL
        fill(metadata, "priority", json!(2));
        fill(schedule, "createdBy", json!("tickflow"));
        fill(schedule, "createdAt", date_json(self.created));
        fill(schedule, "updatedAt", date_json(self.updated));
        config
    }
}

/// Sets `key` when it is missing or null.
fn fill(object: &mut Map<String, Value>, key: &str, value: Value) {
    match object.get(key) {
        Some(v) if !v.is_null() => {}
        _ => {
            object.insert(key.to_string(), value);
        }
    }
}

/// The object at `key`, made when missing or null.
fn object<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    if !parent.get(key).is_some_and(Value::is_object) {
        parent.insert(key.to_string(), json!({}));
    }
    parent
        .get_mut(key)
        .and_then(Value::as_object_mut)
        .expect("just made")
}
