//! The events CSV: `contact_id,event,date`, grouped by contact for the scheduler.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::contacts::Reject;
use crate::csvin::{CsvError, Row, Table};

/// Something a contact did, on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Event name, e.g. `purchased`.
    pub name: Box<str>,
    /// The day it happened.
    pub date: NaiveDate,
}

/// Events by contact id, each list sorted by date.
pub type EventsByContact = HashMap<Box<str>, Vec<Event>>;

/// Reads the events file. Rows for ids `is_contact` does not know, or with a bad date,
/// become rejects.
///
/// # Errors
/// Fails when the file cannot be read or lacks a needed column.
pub fn load(
    path: &Path,
    dates: crate::dates::DateFormat,
    is_contact: &dyn Fn(&str) -> bool,
) -> Result<(EventsByContact, Vec<Reject>), CsvError> {
    let mut table = Table::open(path)?;
    let col = |name: &str| {
        table.column(name).ok_or_else(|| CsvError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            mapped: None,
            hint: Some("an events file has the columns contact_id,event,date".into()),
        })
    };
    let (id_col, event_col, date_col) = (col("contact_id")?, col("event")?, col("date")?);
    let order = crate::contacts::date_order(&table, Some(date_col), dates, None)?.map(|o| o.0);
    let mut events = EventsByContact::new();
    let mut rejects = Vec::new();
    let mut row = Row::default();
    let reject = |line, reason| Reject {
        file: path.to_path_buf(),
        line,
        reason,
        id: None,
    };
    loop {
        match table.next_row(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let id = row.get(Some(id_col));
                let name = row.get(Some(event_col));
                if id.is_empty() || name.is_empty() {
                    rejects.push(reject(row.line, "empty `contact_id` or `event`".into()));
                    continue;
                }
                let date = match crate::dates::parse(row.get(Some(date_col)), order) {
                    Ok(d) => d,
                    Err(e) => {
                        rejects.push(reject(row.line, format!("`date` {e}")));
                        continue;
                    }
                };
                if !is_contact(id) {
                    rejects.push(reject(
                        row.line,
                        format!(
                            "no usable contact with id `{id}` (unknown, or its row was rejected)"
                        ),
                    ));
                    continue;
                }
                events.entry(id.into()).or_default().push(Event {
                    name: name.into(),
                    date,
                });
            }
            Err(Ok(bad)) => rejects.push(reject(bad.line, bad.reason)),
            Err(Err(fatal)) => return Err(fatal),
        }
    }
    // Order within each list only; the map's order never reaches an output.
    #[allow(clippy::iter_over_hash_type)]
    for list in events.values_mut() {
        list.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.name.cmp(&b.name)));
    }
    Ok((events, rejects))
}
