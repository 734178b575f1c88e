//! Cron patterns (OCPS 1.4): syntax, search in time zones, description and analysis.

mod analysis;
mod describe;
mod pattern;
mod syntax;

pub use analysis::{
    analyze, conflicts, frequency, warnings, Conflict, Frequency, FrequencyAnalysis, FrequencyKind,
    MAX_RUNS_PER_PATTERN,
};
pub use describe::describe;
pub use pattern::{CronPattern, DstGap, Occurrences};
pub use syntax::{
    Field, FieldSpec, Item, PatternSpec, SyntaxError, MAX_PATTERN_LEN, YEAR_MAX, YEAR_MIN,
};

use chrono_tz::Tz;

/// The cron module's errors; the binding maps each to a JS error with a stable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CronError {
    #[error("invalid cron pattern: {}", join_errors(.0))]
    InvalidPattern(Vec<SyntaxError>),
    #[error("unknown time zone '{0}'; use an IANA name such as 'UTC' or 'Europe/Berlin'")]
    UnknownTimezone(String),
}

fn join_errors(errors: &[SyntaxError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl CronPattern {
    /// Like `parse`, with the module's error type.
    pub fn compile(pattern: &str) -> Result<CronPattern, CronError> {
        CronPattern::parse(pattern).map_err(CronError::InvalidPattern)
    }
}

/// An IANA time zone by name; exact names first, then any letter case ("utc").
pub fn parse_timezone(name: &str) -> Result<Tz, CronError> {
    name.parse::<Tz>()
        .or_else(|_| Tz::from_str_insensitive(name))
        .map_err(|_| CronError::UnknownTimezone(name.to_string()))
}

#[cfg(test)]
mod tests;

thread_local! {
    static CACHE: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<CronPattern>>> =
        Default::default();
}

/// Compiled patterns, kept per thread: callers such as `getNextExecutionTime` pass the same
/// few patterns again and again, and compiling costs more than one search.
pub fn cached(pattern: &str) -> Result<std::rc::Rc<CronPattern>, CronError> {
    const CAPACITY: usize = 512;
    if let Some(hit) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(hit);
    }
    let compiled = std::rc::Rc::new(CronPattern::compile(pattern)?);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(pattern.to_string(), compiled.clone());
    });
    Ok(compiled)
}
