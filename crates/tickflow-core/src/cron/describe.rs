//! Readable English for a pattern: "At 09:00, Monday through Friday".

use super::syntax::{Field, FieldSpec, Item, PatternSpec};

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

pub fn describe(spec: &PatternSpec) -> String {
    let mut parts = vec![time_phrase(spec)];
    if let Some(days) = day_phrase(spec) {
        parts.push(days);
    }
    if let Some(months) = calendar_phrase(spec.field(Field::Month), "month", &month_name) {
        parts.push(months);
    }
    if spec.has_year {
        if let Some(years) = calendar_phrase(spec.field(Field::Year), "year", &|y| y.to_string()) {
            parts.push(years);
        }
    }
    let mut text = parts.join(", ");
    if let Some(first) = text.get(0..1) {
        text.replace_range(0..1, &first.to_uppercase());
    }
    text
}

/// "a, b and c"
fn join_and(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn month_name(m: u32) -> String {
    MONTHS[(m as usize + 11) % 12].to_string()
}

fn weekday_name(d: u32) -> String {
    WEEKDAYS[d as usize % 7].to_string()
}

fn single_values(field: &FieldSpec) -> Option<Vec<u32>> {
    field
        .items
        .iter()
        .map(|i| match i {
            Item::Value(v) => Some(*v),
            _ => None,
        })
        .collect()
}

fn clock(h: u32, m: u32, s: Option<u32>) -> String {
    match s {
        Some(s) => format!("{h:02}:{m:02}:{s:02}"),
        None => format!("{h:02}:{m:02}"),
    }
}

fn time_phrase(spec: &PatternSpec) -> String {
    let (sec, min, hour) = (
        spec.field(Field::Second),
        spec.field(Field::Minute),
        spec.field(Field::Hour),
    );
    let secs = single_values(sec);
    let mins = single_values(min);
    let hours = single_values(hour);
    // Fixed times of day: "At 09:00 and 17:30".
    if let (Some([s]), Some([m]), Some(hs)) = (secs.as_deref(), mins.as_deref(), &hours) {
        let s = (*s != 0).then_some(*s);
        let times: Vec<String> = hs.iter().map(|h| clock(*h, *m, s)).collect();
        return format!("at {}", join_and(&times));
    }
    let mut parts = Vec::new();
    let sec_zero = secs.as_deref() == Some(&[0]);
    if !sec_zero {
        parts.push(unit_phrase(sec, "second"));
    }
    if !min.is_unrestricted() || sec_zero {
        parts.push(unit_phrase(min, "minute"));
    }
    if !hour.is_unrestricted() {
        parts.push(hour_phrase(hour));
    } else if !min.is_wildcard_like() {
        parts.push("past every hour".into());
    }
    parts.join(", ")
}

/// "every minute", "every 5 minutes", "at minutes 15 and 45", "minutes 0 through 30".
fn unit_phrase(field: &FieldSpec, unit: &str) -> String {
    if let Some(values) = single_values(field) {
        let words: Vec<String> = values.iter().map(u32::to_string).collect();
        let plural = if values.len() > 1 { "s" } else { "" };
        return format!("at {unit}{plural} {}", join_and(&words));
    }
    let phrases: Vec<String> = field
        .items
        .iter()
        .map(|item| match *item {
            Item::Any { step: 1 } => format!("every {unit}"),
            Item::Any { step } => format!("every {step} {unit}s"),
            Item::Value(v) => format!("{unit} {v}"),
            Item::Range { from, to, step: 1 } => format!("{unit}s {from} through {to}"),
            Item::Range { from, to, step } => {
                format!("every {step} {unit}s from {unit} {from} through {to}")
            }
            _ => String::new(),
        })
        .collect();
    join_and(&phrases)
}

fn hour_phrase(field: &FieldSpec) -> String {
    if let Some(values) = single_values(field) {
        let words: Vec<String> = values.iter().map(|h| format!("{h:02}:00")).collect();
        return format!(
            "during the hour{} from {}",
            if values.len() > 1 { "s" } else { "" },
            join_and(&words)
        );
    }
    let phrases: Vec<String> = field
        .items
        .iter()
        .map(|item| match *item {
            Item::Any { step: 1 } => "every hour".to_string(),
            Item::Any { step } => format!("every {step} hours"),
            Item::Value(h) => format!("during the hour from {h:02}:00"),
            Item::Range { from, to, step: 1 } => format!("between {from:02}:00 and {to:02}:59"),
            Item::Range { from, to, step } => {
                format!("every {step} hours between {from:02}:00 and {to:02}:59")
            }
            _ => String::new(),
        })
        .collect();
    join_and(&phrases)
}

fn day_of_month_phrase(field: &FieldSpec) -> String {
    let phrases: Vec<String> = field
        .items
        .iter()
        .map(|item| match *item {
            Item::Any { step } => format!("every {step} days"),
            Item::Value(d) => format!("on day {d} of the month"),
            Item::Range { from, to, step: 1 } => {
                format!("on days {from} through {to} of the month")
            }
            Item::Range { from, to, step } => {
                format!("every {step} days from day {from} through {to} of the month")
            }
            Item::LastDay => "on the last day of the month".into(),
            Item::LastWeekday => "on the last weekday of the month".into(),
            Item::NearestWeekday(d) => format!("on the weekday nearest day {d} of the month"),
            _ => String::new(),
        })
        .collect();
    join_and(&phrases)
}

fn day_of_week_phrase(field: &FieldSpec) -> String {
    if let Some(values) = single_values(field) {
        let mut days: Vec<u32> = values.iter().map(|d| d % 7).collect();
        days.dedup();
        let names: Vec<String> = days.iter().map(|d| weekday_name(*d)).collect();
        return format!("on {}", join_and(&names));
    }
    let phrases: Vec<String> = field
        .items
        .iter()
        .map(|item| match *item {
            Item::Any { step } => format!("every {step} days of the week"),
            Item::Value(d) => format!("on {}", weekday_name(d)),
            Item::Range {
                from: 0,
                to: 6 | 7,
                step: 1,
            }
            | Item::Range {
                from: 1,
                to: 7,
                step: 1,
            } => "on every day of the week".into(),
            Item::Range { from, to, step: 1 } => {
                format!("{} through {}", weekday_name(from), weekday_name(to))
            }
            Item::Range { from, to, step } => format!(
                "every {step} days of the week from {} through {}",
                weekday_name(from),
                weekday_name(to)
            ),
            Item::LastOfMonth(d) => format!("on the last {} of the month", weekday_name(d)),
            Item::Nth { weekday, nth } => format!(
                "on the {} {} of the month",
                ORDINALS[nth as usize - 1],
                weekday_name(weekday)
            ),
            _ => String::new(),
        })
        .collect();
    join_and(&phrases)
}

fn day_phrase(spec: &PatternSpec) -> Option<String> {
    let (dom, dow) = (spec.field(Field::DayOfMonth), spec.field(Field::DayOfWeek));
    match (dom.is_unrestricted(), dow.is_unrestricted()) {
        (true, true) => None,
        (false, true) => Some(day_of_month_phrase(dom)),
        (true, false) => Some(day_of_week_phrase(dow)),
        (false, false) if spec.dom_and_dow => Some(format!(
            "{}, only if that day is also {}",
            day_of_month_phrase(dom),
            day_of_week_phrase(dow).trim_start_matches("on ")
        )),
        (false, false) => Some(format!(
            "{}, or {}",
            day_of_month_phrase(dom),
            day_of_week_phrase(dow)
        )),
    }
}

/// Month and year: "in March", "in January through March", "every 3 months".
fn calendar_phrase(field: &FieldSpec, unit: &str, name: &dyn Fn(u32) -> String) -> Option<String> {
    if field.is_unrestricted() {
        return None;
    }
    if let Some(values) = single_values(field) {
        let names: Vec<String> = values.iter().map(|v| name(*v)).collect();
        return Some(format!("in {}", join_and(&names)));
    }
    let phrases: Vec<String> = field
        .items
        .iter()
        .map(|item| match *item {
            Item::Any { step } => format!("every {step} {unit}s"),
            Item::Value(v) => format!("in {}", name(v)),
            Item::Range { from, to, step: 1 } => format!("in {} through {}", name(from), name(to)),
            Item::Range { from, to, step } => {
                format!(
                    "every {step} {unit}s from {} through {}",
                    name(from),
                    name(to)
                )
            }
            _ => String::new(),
        })
        .collect();
    Some(join_and(&phrases))
}

#[cfg(test)]
mod tests {
    use crate::cron::syntax::parse_pattern;

    fn d(p: &str) -> String {
        super::describe(&parse_pattern(p).unwrap())
    }

    #[test]
    fn descriptions_read_as_english() {
        assert_eq!(d("0 9 * * 1-5"), "At 09:00, Monday through Friday");
        assert_eq!(d("0 9 * * MON-FRI"), "At 09:00, Monday through Friday");
        assert_eq!(d("* * * * *"), "Every minute");
        assert_eq!(d("*/5 * * * *"), "Every 5 minutes");
        assert_eq!(d("* * * * * *"), "Every second");
        assert_eq!(d("*/10 * * * * *"), "Every 10 seconds");
        assert_eq!(d("0 * * * *"), "At minute 0, past every hour");
        assert_eq!(d("15,45 * * * *"), "At minutes 15 and 45, past every hour");
        assert_eq!(d("0 9,17 * * *"), "At 09:00 and 17:00");
        assert_eq!(d("30 0 12 * * *"), "At 12:00:30");
        assert_eq!(
            d("*/15 9-17 * * *"),
            "Every 15 minutes, between 09:00 and 17:59"
        );
        assert_eq!(d("0 */2 * * *"), "At minute 0, every 2 hours");
        assert_eq!(d("0 0 1 * *"), "At 00:00, on day 1 of the month");
        assert_eq!(d("0 0 L * *"), "At 00:00, on the last day of the month");
        assert_eq!(
            d("0 0 LW * *"),
            "At 00:00, on the last weekday of the month"
        );
        assert_eq!(
            d("0 0 15W * *"),
            "At 00:00, on the weekday nearest day 15 of the month"
        );
        assert_eq!(d("0 0 * * 5L"), "At 00:00, on the last Friday of the month");
        assert_eq!(
            d("0 0 * * 5#2"),
            "At 00:00, on the second Friday of the month"
        );
        assert_eq!(d("0 0 * * 0,7"), "At 00:00, on Sunday");
        assert_eq!(
            d("0 0 13 * 5"),
            "At 00:00, on day 13 of the month, or on Friday"
        );
        assert_eq!(
            d("0 12 1 * +MON"),
            "At 12:00, on day 1 of the month, only if that day is also Monday"
        );
        assert_eq!(
            d("0 0 1 1 *"),
            "At 00:00, on day 1 of the month, in January"
        );
        assert_eq!(
            d("0 0 1 JAN-MAR *"),
            "At 00:00, on day 1 of the month, in January through March"
        );
        assert_eq!(
            d("0 0 12 1 1 * 2030"),
            "At 12:00, on day 1 of the month, in January, in 2030"
        );
        assert_eq!(d("@weekly"), "At 00:00, on Sunday");
    }
}
