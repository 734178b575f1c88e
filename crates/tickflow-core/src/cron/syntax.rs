//! Lexing and checking of OCPS 1.4 patterns, field by field.
//!
//! croner parses the same dialect, but its errors do not say which field or token is at
//! fault. This pass runs first, so that every error names the field, the bad token and what
//! is allowed, and so that the rest of tickflow (description, analysis) reads a typed form.

use std::fmt;

/// Years outside this range never match (OCPS 1.4).
pub const YEAR_MIN: u32 = 1970;
pub const YEAR_MAX: u32 = 2199;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Second,
        Field::Minute,
        Field::Hour,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
        Field::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Second => "second",
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
            Field::Year => "year",
        }
    }

    pub fn bounds(self) -> (u32, u32) {
        match self {
            Field::Second | Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (0, 7),
            Field::Year => (YEAR_MIN, YEAR_MAX),
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
            Field::DayOfWeek => &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
            _ => &[],
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One error in a pattern: the field (when one is at fault), the token and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub field: Option<Field>,
    pub token: String,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// One comma-separated item of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `*` or `?`, with an optional step (`*/15`).
    Any {
        step: u32,
    },
    Value(u32),
    Range {
        from: u32,
        to: u32,
        step: u32,
    },
    /// `L` in day-of-month.
    LastDay,
    /// `LW` in day-of-month.
    LastWeekday,
    /// `15W` in day-of-month.
    NearestWeekday(u32),
    /// `5L` in day-of-week: the last such weekday of the month.
    LastOfMonth(u32),
    /// `5#2` in day-of-week: the nth such weekday of the month.
    Nth {
        weekday: u32,
        nth: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub field: Field,
    pub text: String,
    pub items: Vec<Item>,
}

impl FieldSpec {
    /// True for `*` / `?` with no step: the field does not restrict.
    pub fn is_unrestricted(&self) -> bool {
        self.items == [Item::Any { step: 1 }]
    }

    /// True for `*`, `*/n` or a stepped range over the whole field: values repeat evenly
    /// over the field rather than naming particular ones.
    pub fn is_wildcard_like(&self) -> bool {
        let (min, max) = self.field.bounds();
        match self.items.as_slice() {
            [Item::Any { .. }] => true,
            [Item::Range { from, to, .. }] => *from == min && *to == max,
            _ => false,
        }
    }

    /// The plain values this field allows, when it holds only values, ranges and steps.
    pub fn plain_values(&self) -> Option<Vec<u32>> {
        let (min, max) = self.field.bounds();
        let mut out = Vec::new();
        for item in &self.items {
            match *item {
                Item::Any { step } => out.extend((min..=max).step_by(step as usize)),
                Item::Value(v) => out.push(v),
                Item::Range { from, to, step } => out.extend((from..=to).step_by(step as usize)),
                _ => return None,
            }
        }
        if self.field == Field::DayOfWeek {
            for v in out.iter_mut() {
                if *v == 7 {
                    *v = 0;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

/// A pattern split into its seven fields (seconds and year filled in when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternSpec {
    pub fields: Vec<FieldSpec>,
    /// The pattern as written had a seconds field.
    pub has_seconds: bool,
    /// The pattern as written had a year field.
    pub has_year: bool,
    /// Day-of-week carried a leading `+`: day-of-month AND day-of-week.
    pub dom_and_dow: bool,
}

impl PatternSpec {
    pub fn field(&self, field: Field) -> &FieldSpec {
        &self.fields[field as usize]
    }

    /// True when no month the pattern allows has a day it names (`0 0 30 2 *`, `0 0 31 4
    /// *`): it never fires, which is known here at once where a search would walk centuries.
    pub fn days_never_exist(&self) -> bool {
        let dow_counts = !self.field(Field::DayOfWeek).is_unrestricted() && !self.dom_and_dow;
        let (Some(days), Some(months)) = (
            self.field(Field::DayOfMonth).plain_values(),
            self.field(Field::Month).plain_values(),
        ) else {
            return false;
        };
        let longest = |month: u32| match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        !dow_counts && months.iter().all(|m| days.iter().all(|d| *d > longest(*m)))
    }

    /// The seven-field form handed to croner. The year field's `*` becomes the OCPS range,
    /// so that searches end at 2199 and `*/n` counts from 1970.
    pub fn normalized(&self) -> String {
        let mut parts: Vec<String> = self.fields.iter().map(|f| f.text.clone()).collect();
        let year = &mut parts[Field::Year as usize];
        if year.starts_with('*') || year.starts_with('?') {
            *year = format!("{YEAR_MIN}-{YEAR_MAX}{}", &year[1..]);
        }
        if self.dom_and_dow {
            parts[Field::DayOfWeek as usize].insert(0, '+');
        }
        parts.join(" ")
    }
}

/// Longest pattern accepted: real patterns are far shorter, and this keeps hostile input
/// (a megabyte string) cheap to refuse.
pub const MAX_PATTERN_LEN: usize = 1024;

/// A nickname's five fields. Nicknames are case-sensitive (OCPS 1.1): `@Daily` is not one.
pub fn expand_nickname(nickname: &str) -> Option<&'static str> {
    Some(match nickname {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    })
}

/// A field's text with its month and weekday names in upper case: names are
/// case-insensitive (OCPS 1.0), the `L` and `W` modifiers are not (OCPS 1.3), so `l` and
/// `15w` stay as written, and are refused.
fn upper_names(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while !rest.is_empty() {
        let letters = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (run, after) = if letters == 0 {
            let next = rest.chars().next().map_or(1, char::len_utf8);
            rest.split_at(next)
        } else {
            rest.split_at(letters)
        };
        // A name may run into a modifier (`friL`): the name's three letters are upper-cased,
        // the rest stays as written.
        let name = run.get(..3).map(str::to_ascii_uppercase);
        match name.filter(|n| {
            Field::Month.names().contains(&n.as_str())
                || Field::DayOfWeek.names().contains(&n.as_str())
        }) {
            Some(name) => {
                out.push_str(&name);
                out.push_str(&run[3..]);
            }
            None => out.push_str(run),
        }
        rest = after;
    }
    out
}

/// Splits and checks a pattern. Returns every error found, not just the first.
pub fn parse_pattern(pattern: &str) -> Result<PatternSpec, Vec<SyntaxError>> {
    let whole = |message: String| {
        vec![SyntaxError {
            field: None,
            token: pattern.to_string(),
            message,
        }]
    };
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(whole(format!(
            "pattern is {} characters long; at most {MAX_PATTERN_LEN} are accepted",
            pattern.len()
        )));
    }
    let trimmed = pattern.trim();
    if trimmed.is_empty() {
        return Err(whole("pattern is empty".into()));
    }
    let source = if trimmed.starts_with('@') {
        match expand_nickname(trimmed) {
            Some(expanded) => expanded,
            None => {
                let lower = trimmed.to_ascii_lowercase();
                let hint = match expand_nickname(&lower) {
                    Some(_) => format!(" (nicknames are case-sensitive: '{lower}')"),
                    None => String::new(),
                };
                return Err(whole(format!(
                    "unknown nickname '{trimmed}'{hint}; known: @yearly @annually @monthly @weekly @daily @midnight @hourly"
                )));
            }
        }
    } else {
        trimmed
    };
    let parts: Vec<&str> = source.split_whitespace().collect();
    let (has_seconds, has_year) = match parts.len() {
        5 => (false, false),
        6 => (true, false),
        7 => (true, true),
        n => {
            return Err(whole(format!(
                "expected 5, 6 or 7 fields separated by spaces, found {n}"
            )))
        }
    };
    let mut texts: Vec<String> = Vec::with_capacity(7);
    if !has_seconds {
        texts.push("0".into());
    }
    texts.extend(parts.iter().map(|p| upper_names(p)));
    if !has_year {
        texts.push("*".into());
    }

    let mut errors = Vec::new();
    let mut fields = Vec::with_capacity(7);
    let mut dom_and_dow = false;
    for (field, mut text) in Field::ALL.into_iter().zip(texts) {
        if field == Field::DayOfWeek && text.starts_with('+') {
            dom_and_dow = true;
            text.remove(0);
        }
        match parse_field(field, &text) {
            Ok(items) => fields.push(FieldSpec { field, text, items }),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(PatternSpec {
            fields,
            has_seconds,
            has_year,
            dom_and_dow,
        })
    } else {
        Err(errors)
    }
}

fn parse_field(field: Field, text: &str) -> Result<Vec<Item>, Vec<SyntaxError>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for token in text.split(',') {
        match parse_item(field, token) {
            Ok(item) => items.push(item),
            Err(message) => errors.push(SyntaxError {
                field: Some(field),
                token: token.to_string(),
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

fn allowed(field: Field) -> String {
    let (min, max) = field.bounds();
    let mut s = format!("{min}-{max}");
    if let (Some(first), Some(last)) = (field.names().first(), field.names().last()) {
        s.push_str(&format!(" or {first}-{last}"));
    }
    s
}

fn parse_item(field: Field, token: &str) -> Result<Item, String> {
    if token.is_empty() {
        return Err("empty list item (two commas in a row, or a trailing comma)".into());
    }
    if let Some((base, step)) = token.split_once('/') {
        let step = parse_step(field, token, step)?;
        return match base {
            "*" => Ok(Item::Any { step }),
            "?" if matches!(field, Field::DayOfMonth | Field::DayOfWeek) => Ok(Item::Any { step }),
            _ => match base.split_once('-') {
                Some((a, b)) => {
                    let (from, to) = parse_range(field, token, a, b)?;
                    Ok(Item::Range { from, to, step })
                }
                None => Err(format!(
                    "'{token}': a step needs '*' or a range before it (write '*/{step}' or '{base}-{}/{step}')",
                    field.bounds().1
                )),
            },
        };
    }
    match token {
        "*" => return Ok(Item::Any { step: 1 }),
        "?" if matches!(field, Field::DayOfMonth | Field::DayOfWeek) => {
            return Ok(Item::Any { step: 1 })
        }
        "?" => return Err("'?' is allowed only in day-of-month and day-of-week".to_string()),
        _ => {}
    }
    if field == Field::DayOfMonth {
        if token == "L" {
            return Ok(Item::LastDay);
        }
        if token == "LW" {
            return Ok(Item::LastWeekday);
        }
        if let Some(day) = token.strip_suffix('W') {
            let day = parse_value(field, token, day)?;
            return Ok(Item::NearestWeekday(day));
        }
    }
    if field == Field::DayOfWeek {
        if let Some((day, nth)) = token.split_once('#') {
            let weekday = parse_value(field, token, day)? % 7;
            if nth == "L" {
                return Ok(Item::LastOfMonth(weekday));
            }
            return match nth.parse::<u32>() {
                Ok(n @ 1..=5) => Ok(Item::Nth { weekday, nth: n }),
                _ => Err(format!(
                    "'{token}': the occurrence after '#' must be 1-5 or L, found '{nth}'"
                )),
            };
        }
        if let Some(day) = token.strip_suffix('L') {
            if day.is_empty() {
                return Err(format!(
                    "'{token}' needs a weekday before it, such as 5L (the last Friday of the month); for the last day of the month, put L in day-of-month"
                ));
            }
            let weekday = parse_value(field, token, day)? % 7;
            return Ok(Item::LastOfMonth(weekday));
        }
    }
    if let Some((a, b)) = token.split_once('-') {
        let (from, to) = parse_range(field, token, a, b)?;
        return Ok(Item::Range { from, to, step: 1 });
    }
    parse_value(field, token, token).map(Item::Value)
}

fn parse_step(field: Field, token: &str, step: &str) -> Result<u32, String> {
    let (min, max) = field.bounds();
    let span = max - min + 1;
    match step.parse::<u32>() {
        Ok(0) => Err(format!("'{token}': step must be at least 1")),
        Ok(n) if n <= span => Ok(n),
        Ok(n) => Err(format!(
            "'{token}': step {n} is larger than the field's span ({span})"
        )),
        Err(_) => Err(format!("'{token}': step '{step}' is not a whole number")),
    }
}

fn parse_range(field: Field, token: &str, a: &str, b: &str) -> Result<(u32, u32), String> {
    let from = parse_value(field, token, a)?;
    let to = parse_value(field, token, b)?;
    if from > to {
        return Err(format!(
            "'{token}': range start {from} is after its end {to} (ranges do not wrap)"
        ));
    }
    Ok((from, to))
}

fn parse_value(field: Field, token: &str, value: &str) -> Result<u32, String> {
    if let Some(pos) = field.names().iter().position(|n| *n == value) {
        return Ok(pos as u32 + if field == Field::Month { 1 } else { 0 });
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(if value == token {
            format!(
                "'{token}' is not a valid value; allowed: {}",
                allowed(field)
            )
        } else {
            format!(
                "'{token}': '{value}' is not a valid value; allowed: {}",
                allowed(field)
            )
        });
    }
    let (min, max) = field.bounds();
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ if value == token => Err(format!("'{token}' is out of range {min}-{max}")),
        _ => Err(format!("'{token}': '{value}' is out of range {min}-{max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(p: &str) -> Vec<String> {
        parse_pattern(p)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn five_six_seven_fields() {
        let five = parse_pattern("*/5 * * * *").unwrap();
        assert!(!five.has_seconds && !five.has_year);
        assert_eq!(five.normalized(), "0 */5 * * * * 1970-2199");
        let six = parse_pattern("30 * * * * *").unwrap();
        assert!(six.has_seconds && !six.has_year);
        let seven = parse_pattern("0 0 12 1 1 * 2030").unwrap();
        assert_eq!(seven.normalized(), "0 0 12 1 1 * 2030");
    }

    #[test]
    fn names_case_and_whitespace() {
        let p = parse_pattern("  0\t9   * jan-Mar mon-FRI ").unwrap();
        assert_eq!(
            p.field(Field::Month).items,
            vec![Item::Range {
                from: 1,
                to: 3,
                step: 1
            }]
        );
        assert_eq!(
            p.field(Field::DayOfWeek).items,
            vec![Item::Range {
                from: 1,
                to: 5,
                step: 1
            }]
        );
    }

    #[test]
    fn nicknames() {
        for (nick, same) in [
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
            ("@monthly", "0 0 1 * *"),
            ("@weekly", "0 0 * * 0"),
            ("@daily", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@hourly", "0 * * * *"),
        ] {
            assert_eq!(
                parse_pattern(nick).unwrap(),
                parse_pattern(same).unwrap(),
                "{nick}"
            );
        }
        assert_eq!(errors("@fortnightly")[0], "unknown nickname '@fortnightly'; known: @yearly @annually @monthly @weekly @daily @midnight @hourly");
    }

    #[test]
    fn special_items() {
        let p = parse_pattern("0 0 L,LW,15W * 5L,5#2,MON#L").unwrap();
        assert_eq!(
            p.field(Field::DayOfMonth).items,
            vec![Item::LastDay, Item::LastWeekday, Item::NearestWeekday(15)]
        );
        assert_eq!(
            p.field(Field::DayOfWeek).items,
            vec![
                Item::LastOfMonth(5),
                Item::Nth { weekday: 5, nth: 2 },
                Item::LastOfMonth(1)
            ]
        );
        let plus = parse_pattern("0 12 1 * +MON").unwrap();
        assert!(plus.dom_and_dow);
        assert_eq!(plus.normalized(), "0 0 12 1 * +MON 1970-2199");
        let q = parse_pattern("0 0 ? * ?").unwrap();
        assert!(q.field(Field::DayOfMonth).is_unrestricted());
    }

    #[test]
    fn errors_name_field_token_and_rule() {
        assert_eq!(
            errors("0 0 * * 8"),
            vec!["day-of-week: '8' is out of range 0-7"]
        );
        assert_eq!(
            errors("61 * * * *"),
            vec!["minute: '61' is out of range 0-59"]
        );
        assert_eq!(
            errors("* 24 * * *"),
            vec!["hour: '24' is out of range 0-23"]
        );
        assert_eq!(
            errors("* * 0 * *"),
            vec!["day-of-month: '0' is out of range 1-31"]
        );
        assert_eq!(
            errors("* * * 13 *"),
            vec!["month: '13' is out of range 1-12"]
        );
        assert_eq!(
            errors("0 0 0 1 1 * 1969"),
            vec!["year: '1969' is out of range 1970-2199"]
        );
        assert_eq!(
            errors("* * * FOO *"),
            vec!["month: 'FOO' is not a valid value; allowed: 1-12 or JAN-DEC"]
        );
        assert_eq!(
            errors("0 0 * * L"),
            vec!["day-of-week: 'L' needs a weekday before it, such as 5L (the last Friday of the month); for the last day of the month, put L in day-of-month"]
        );
        assert_eq!(
            errors("5-1 * * * *"),
            vec!["minute: '5-1': range start 5 is after its end 1 (ranges do not wrap)"]
        );
        assert_eq!(
            errors("*/0 * * * *"),
            vec!["minute: '*/0': step must be at least 1"]
        );
        assert_eq!(
            errors("0/5 * * * *"),
            vec!["minute: '0/5': a step needs '*' or a range before it (write '*/5' or '0-59/5')"]
        );
        assert_eq!(
            errors("1,,2 * * * *"),
            vec!["minute: empty list item (two commas in a row, or a trailing comma)"]
        );
        assert_eq!(
            errors("* ? * * *"),
            vec!["hour: '?' is allowed only in day-of-month and day-of-week"]
        );
        assert_eq!(
            errors("* * * * 5#6"),
            vec!["day-of-week: '5#6': the occurrence after '#' must be 1-5 or L, found '6'"]
        );
        assert_eq!(
            errors("* * 32W * *"),
            vec!["day-of-month: '32W': '32' is out of range 1-31"]
        );
        assert_eq!(
            errors("* * * *"),
            vec!["expected 5, 6 or 7 fields separated by spaces, found 4"]
        );
        assert_eq!(errors("   "), vec!["pattern is empty"]);
        // Every bad field is reported, not just the first.
        assert_eq!(errors("99 99 * * *").len(), 2);
        assert!(errors(&"1,".repeat(2000))[0].contains("at most 1024"));
    }

    #[test]
    fn wildcard_like_hours() {
        let hour = |p: &str| {
            parse_pattern(p)
                .unwrap()
                .field(Field::Hour)
                .is_wildcard_like()
        };
        assert!(hour("0 * * * *"));
        assert!(hour("0 */2 * * *"));
        assert!(hour("0 0-23/3 * * *"));
        assert!(!hour("0 1 * * *"));
        assert!(!hour("0 1-5 * * *"));
    }
}
