//! Cron patterns (OCPS 1.4): syntax, search in time zones, description and analysis.

mod pattern;
mod syntax;

pub use pattern::{CronPattern, DstGap, Occurrences};
pub use syntax::{Field, FieldSpec, Item, PatternSpec, SyntaxError, MAX_PATTERN_LEN, YEAR_MAX, YEAR_MIN};

#[cfg(test)]
mod tests;
