//! Dates as exports write them: `2026-11-01` (with or without a time), and `03/10/2026` in
//! the day-month or month-day order of the file, given in the campaign or told from the file.

use chrono::{Datelike as _, NaiveDate};

/// The order of day and month in a date like `03/10/2026`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `DD/MM/YYYY`: Italy, most of Europe.
    DayMonth,
    /// `MM/DD/YYYY`: the US.
    MonthDay,
}

impl DateOrder {
    /// The format as a campaign writes it.
    #[must_use]
    pub fn pattern(self) -> &'static str {
        match self {
            DateOrder::DayMonth => "DD/MM/YYYY",
            DateOrder::MonthDay => "MM/DD/YYYY",
        }
    }
}

/// How a file's dates are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DateFormat {
    /// Year-first dates; year-last ones in the order the file's values show.
    #[default]
    Detect,
    /// Year-first dates only (`date_format = "YYYY-MM-DD"`).
    YearFirst,
    /// Year-first dates, and year-last ones in this order.
    Given(DateOrder),
}

/// Reads a campaign's `date_format`: `DD/MM/YYYY`, `MM/DD/YYYY` (any of `/ - .` between,
/// `D`, `M` and `YY` allowed), or `YYYY-MM-DD` (`None`: only year-first dates).
///
/// # Errors
/// The reason, when `text` is none of these.
pub fn parse_format(text: &str) -> Result<Option<DateOrder>, String> {
    let t = text.trim().to_uppercase();
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let tokens: Vec<char> = parts
        .iter()
        .map(|p| p.chars().next().unwrap_or(' '))
        .collect();
    let well_formed = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| p.starts_with(c)))
        && parts.iter().all(|p| match p.chars().next() {
            Some('Y') => p.len() == 2 || p.len() == 4,
            Some('M' | 'D') => p.len() <= 2,
            _ => false,
        });
    match (well_formed, tokens.as_slice()) {
        (true, ['D', 'M', 'Y']) => Ok(Some(DateOrder::DayMonth)),
        (true, ['M', 'D', 'Y']) => Ok(Some(DateOrder::MonthDay)),
        (true, ['Y', 'M', 'D']) => Ok(None),
        _ => Err(format!(
            "date format `{text}` is not one dripmail reads: write DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD"
        )),
    }
}

/// The date part of a value: before a time of day (`2026-11-01T09:30:00Z`,
/// `03/10/2026 09:14`, `3/10/2026 9:14 AM`).
fn date_part(text: &str) -> &str {
    let t = text.trim();
    let t = t.split_whitespace().next().unwrap_or("");
    // `2026-11-01T09:30`: the `T` of ISO 8601 after a year-first date.
    match t.find('T') {
        Some(i) if i >= 8 => &t[..i],
        _ => t,
    }
}

/// Year, then the two other numbers, of a date written with `/ - .` between its parts.
enum Shape {
    /// Year first: unambiguous.
    YearFirst(i32, u32, u32),
    /// Year last, the two numbers before it in the file's order.
    YearLast(u32, u32, i32),
}

fn shape(text: &str) -> Option<Shape> {
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |i: usize| parts[i].parse::<u32>().ok();
    if parts[0].len() == 4 && parts[1].len() <= 2 && parts[2].len() <= 2 {
        return Some(Shape::YearFirst(i32::try_from(n(0)?).ok()?, n(1)?, n(2)?));
    }
    if parts[0].len() <= 2 && parts[1].len() <= 2 && matches!(parts[2].len(), 2 | 4) {
        let mut year = i32::try_from(n(2)?).ok()?;
        if parts[2].len() == 2 {
            // Two-digit years: 00–69 are this century, 70–99 the last.
            year += if year < 70 { 2000 } else { 1900 };
        }
        return Some(Shape::YearLast(n(0)?, n(1)?, year));
    }
    None
}

/// Which orders a value reads in: (day-month, month-day), or `None` when it is year-first
/// or no date at all.
#[must_use]
pub fn readings(text: &str) -> Option<(bool, bool)> {
    match shape(date_part(text))? {
        Shape::YearFirst(..) => None,
        Shape::YearLast(a, b, y) => Some((
            NaiveDate::from_ymd_opt(y, b, a).is_some(),
            NaiveDate::from_ymd_opt(y, a, b).is_some(),
        )),
    }
}

/// Parses a date: year-first always; year-last in `order` (none given: refused, naming the
/// fix).
///
/// # Errors
/// Returns the reason when `text` is not such a date.
pub fn parse(text: &str, order: Option<DateOrder>) -> Result<NaiveDate, String> {
    let t = text.trim();
    let date = match shape(date_part(t)) {
        Some(Shape::YearFirst(y, m, d)) => NaiveDate::from_ymd_opt(y, m, d),
        Some(Shape::YearLast(a, b, y)) => match order {
            Some(DateOrder::DayMonth) => NaiveDate::from_ymd_opt(y, b, a),
            Some(DateOrder::MonthDay) => NaiveDate::from_ymd_opt(y, a, b),
            None => {
                return Err(format!(
                    "`{t}` could be read day first or month first: give the file's date_format (DD/MM/YYYY or MM/DD/YYYY)"
                ));
            }
        },
        None => None,
    };
    let date = date.ok_or_else(|| match order {
        Some(o) => format!(
            "`{t}` is not a date: write it as YYYY-MM-DD or {}",
            o.pattern()
        ),
        None => format!("`{t}` is not a date: write it as YYYY-MM-DD"),
    })?;
    // A CRM's placeholder (0000-01-01, 9999-12-31) is no one's date.
    if !(1900..=2200).contains(&date.year()) {
        return Err(format!(
            "`{t}` is not a plausible date (years 1900 to 2200)"
        ));
    }
    Ok(date)
}

/// What a file's dates say about their order.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    dated: u64,
    day_month: u64,
    month_day: u64,
    year_last: u64,
    /// The first year-last value and its line.
    example: Option<(u64, String)>,
}

/// The order a file's dates are in, as far as its values tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    /// No date is written year-last: there is nothing to tell.
    Nothing,
    /// Every year-last date reads one way, at least one only that way.
    Order(DateOrder),
    /// Every year-last date reads both ways (`03/10/2026`): the first such value and its line.
    Ambiguous(u64, String),
}

impl Detector {
    /// Counts one value, on `line`.
    pub fn add(&mut self, line: u64, value: &str) {
        if !value.trim().is_empty() {
            self.dated += 1;
        }
        if let Some((dm, md)) = readings(value) {
            self.year_last += 1;
            self.day_month += u64::from(dm);
            self.month_day += u64::from(md);
            if self.example.is_none() {
                self.example = Some((line, value.trim().to_string()));
            }
        }
    }

    /// The order the values read in best. Equal counts are ambiguous when most dates are
    /// year-last; when few are, they are the odd rows out, each rejected with the fix.
    #[must_use]
    pub fn result(self) -> Detected {
        match (self.year_last, self.example) {
            (0, _) | (_, None) => Detected::Nothing,
            (n, _) if n * 2 <= self.dated && self.day_month == self.month_day => Detected::Nothing,
            (_, Some((line, value))) => match self.day_month.cmp(&self.month_day) {
                std::cmp::Ordering::Greater => Detected::Order(DateOrder::DayMonth),
                std::cmp::Ordering::Less => Detected::Order(DateOrder::MonthDay),
                std::cmp::Ordering::Equal => Detected::Ambiguous(line, value),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn year_first_dates_with_or_without_a_time() {
        for t in [
            "2026-11-01",
            " 2026-11-01 ",
            "2026-11-01T09:30:00",
            "2026-11-01T09:30:00.000Z",
            "2026-11-01 09:14",
            "2026/11/01",
            "2026.11.01",
        ] {
            assert_eq!(parse(t, None), Ok(d(2026, 11, 1)), "{t}");
        }
        for bad in [
            "2026-13-01",
            "2026-11",
            "20261101",
            "Nov 1, 2026",
            "0000-01-01",
            "9999-12-31",
            "2026-11-01x",
            "",
        ] {
            assert!(parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn year_last_dates_need_an_order() {
        assert!(
            parse("03/10/2026", None)
                .unwrap_err()
                .contains("date_format")
        );
        let dm = Some(DateOrder::DayMonth);
        let md = Some(DateOrder::MonthDay);
        assert_eq!(parse("03/10/2026 09:14", dm), Ok(d(2026, 10, 3)));
        assert_eq!(parse("03/10/2026 09:14", md), Ok(d(2026, 3, 10)));
        assert_eq!(parse("3.10.26", dm), Ok(d(2026, 10, 3)));
        assert_eq!(parse("3/10/99", md), Ok(d(1999, 3, 10)));
        assert_eq!(parse("3/10/2026 9:14 AM", md), Ok(d(2026, 3, 10)));
        assert!(parse("31/10/2026", md).unwrap_err().contains("MM/DD/YYYY"));
        // Year-first dates read the same whatever the order.
        assert_eq!(parse("2026-10-03", dm), Ok(d(2026, 10, 3)));
    }

    #[test]
    fn formats_as_campaigns_write_them() {
        assert_eq!(parse_format("DD/MM/YYYY"), Ok(Some(DateOrder::DayMonth)));
        assert_eq!(parse_format("d.m.yy"), Ok(Some(DateOrder::DayMonth)));
        assert_eq!(parse_format("MM/DD/YYYY"), Ok(Some(DateOrder::MonthDay)));
        assert_eq!(parse_format("YYYY-MM-DD"), Ok(None));
        for bad in ["DD/MM", "%d/%m/%Y", "DD/DD/YYYY", "YYY-MM-DD", ""] {
            assert!(parse_format(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_order_is_told_when_one_date_shows_it() {
        let detect = |values: &[&str]| {
            let mut d = Detector::default();
            for (i, v) in values.iter().enumerate() {
                d.add(i as u64 + 2, v);
            }
            d.result()
        };
        assert_eq!(detect(&["2026-11-01", ""]), Detected::Nothing);
        assert_eq!(
            detect(&["03/10/2026 09:14", "31/10/2026 10:00", "2026-11-01"]),
            Detected::Order(DateOrder::DayMonth)
        );
        assert_eq!(
            detect(&["03/10/2026", "10/31/2026"]),
            Detected::Order(DateOrder::MonthDay)
        );
        assert_eq!(
            detect(&["2026-11-01", "03/10/2026", "04/10/2026"]),
            Detected::Ambiguous(3, "03/10/2026".into())
        );
        // A few odd rows in a year-first file are rejected one by one, not the whole file.
        assert_eq!(
            detect(&["2026-11-01", "2026-11-02", "03/10/2026", ""]),
            Detected::Nothing
        );
    }
}
