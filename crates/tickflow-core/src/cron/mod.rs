//! Cron patterns (OCPS 1.4): syntax, search in time zones, description and analysis.

mod analysis;
mod describe;
mod pattern;
mod syntax;
mod zone;

pub use analysis::{
    analyze, conflicts, frequency, warnings, Conflict, ConflictScan, Frequency, FrequencyAnalysis,
    FrequencyKind, ScanBound, MAX_CONFLICT_MEMBERS, MAX_OCCURRENCES_EXAMINED,
};
pub use describe::describe;
pub use pattern::{CronPattern, DstGap, Occurrences};
pub use syntax::{
    Field, FieldSpec, Item, PatternSpec, SyntaxError, MAX_PATTERN_LEN, YEAR_MAX, YEAR_MIN,
};
pub use zone::{Local, Zone};

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

    /// Like `compile`, for a pattern read from a store: one stored before nicknames and the
    /// `L` and `W` modifiers became case-sensitive (`@Daily`, `0 0 l * *`) still reads as
    /// it did then, so that such a store opens, and a node with it joins, as before.
    pub fn compile_stored(pattern: &str) -> Result<CronPattern, CronError> {
        CronPattern::compile(pattern).or_else(|err| {
            let trimmed = pattern.trim();
            let earlier = match trimmed.starts_with('@') {
                true => trimmed.to_ascii_lowercase(),
                false => trimmed.to_ascii_uppercase(),
            };
            CronPattern::compile(&earlier).map_err(|_| err)
        })
    }
}

thread_local! {
    static ZONES: std::cell::RefCell<std::collections::HashMap<String, Zone>> = Default::default();
}

/// An IANA time zone by name, in any letter case ("utc", "europe/berlin"). Zones are kept
/// per thread: looking one up in the tz database costs more than a search.
pub fn parse_timezone(name: &str) -> Result<Zone, CronError> {
    if let Some(hit) = ZONES.with(|z| z.borrow().get(name).cloned()) {
        return Ok(hit);
    }
    let zone = Zone::named(name).ok_or_else(|| CronError::UnknownTimezone(name.to_string()))?;
    ZONES.with(|z| {
        let mut zones = z.borrow_mut();
        // Only known names get here, and there are about 600 of them in every letter case;
        // the bound guards against a caller inventing case variants without end.
        if zones.len() >= 4096 {
            zones.clear();
        }
        zones.insert(name.to_string(), zone.clone());
    });
    Ok(zone)
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
