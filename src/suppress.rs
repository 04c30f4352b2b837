//! Do-not-mail lists: suppression by contact id or by normalised `address1` + `postal_code`.

use std::collections::HashSet;
use std::path::Path;

use crate::address::address_key;
use crate::contacts::Reject;
use crate::csvin::{CsvError, Row, Table};

/// Everyone who must not be mailed.
#[derive(Clone, Debug, Default)]
pub struct Suppression {
    /// Contact ids.
    pub ids: HashSet<String>,
    /// [`address_key`]s.
    pub addresses: HashSet<String>,
}

impl Suppression {
    /// Adds the list at `path` (columns `id` and/or `address1` + `postal_code`).
    ///
    /// # Errors
    /// Fails when the file cannot be read or has neither kind of column.
    pub fn add_file(&mut self, path: &Path, rejects: &mut Vec<Reject>) -> Result<(), CsvError> {
        let mut table = Table::open(path)?;
        let id = table.column("id").or_else(|| table.column("contact_id"));
        let address1 = table.column("address1");
        let postal = table.column("postal_code");
        let by_address = address1.is_some() && postal.is_some();
        if id.is_none() && !by_address {
            return Err(CsvError::MissingColumn {
                path: path.to_path_buf(),
                column: "id".into(),
                mapped: None,
                hint: Some(
                    "a suppression list has a column `id`, or `address1` and `postal_code`".into(),
                ),
            });
        }
        let mut row = Row::default();
        loop {
            match table.next_row(&mut row) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let mut used = false;
                    if !row.get(id).is_empty() {
                        self.ids.insert(row.get(id).to_string());
                        used = true;
                    }
                    if by_address && !row.get(address1).is_empty() && !row.get(postal).is_empty() {
                        self.addresses
                            .insert(address_key(row.get(address1), row.get(postal)));
                        used = true;
                    }
                    if !used {
                        rejects.push(Reject {
                            file: path.to_path_buf(),
                            line: row.line,
                            reason: "neither an `id` nor both `address1` and `postal_code`".into(),
                            id: None,
                        });
                    }
                }
                Err(Ok(bad)) => rejects.push(Reject {
                    file: path.to_path_buf(),
                    line: bad.line,
                    reason: bad.reason,
                    id: None,
                }),
                Err(Err(fatal)) => return Err(fatal),
            }
        }
    }
}

/// Where the list at `path` names the contact with `id` or the address `address` (an
/// [`address_key`]): its first such line, and whether by id or by address. Read again for
/// `plan --contact`, which explains one contact, so a run keeps only the sets.
///
/// # Errors
/// When the file cannot be read.
pub fn find(path: &Path, id: &str, address: &str) -> Result<Option<(u64, &'static str)>, CsvError> {
    let mut table = Table::open(path)?;
    let id_col = table.column("id").or_else(|| table.column("contact_id"));
    let address1 = table.column("address1");
    let postal = table.column("postal_code");
    let mut row = Row::default();
    loop {
        match table.next_row(&mut row) {
            Ok(false) => return Ok(None),
            Ok(true) => {
                if id_col.is_some() && row.get(id_col) == id {
                    return Ok(Some((row.line, "id")));
                }
                if address1.is_some()
                    && postal.is_some()
                    && !row.get(address1).is_empty()
                    && address_key(row.get(address1), row.get(postal)) == address
                {
                    return Ok(Some((row.line, "address")));
                }
            }
            Err(Ok(_)) => {}
            Err(Err(e)) => return Err(e),
        }
    }
}
