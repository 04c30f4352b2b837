//! Reading CSV exports as they come from spreadsheets and CRMs: `,` `;` or tab, a UTF-8 BOM, Windows-1252.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Why a CSV file could not be read at all (a bad row is a [`RowError`] instead).
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be opened or read.
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file has no header row.
    #[error("`{}` is empty: expected a header row", path.display())]
    Empty { path: PathBuf },
    /// The CSV parser failed on the file itself, not on one row.
    #[error("`{}`: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// A needed column is not in the header.
    #[error("`{}` line 1: no column `{column}`{}", path.display(), mapped.as_ref().map_or_else(String::new, |m| format!(" (mapped from `{m}` in [columns])")))]
    MissingColumn {
        path: PathBuf,
        column: String,
        /// The field a `[columns]` mapping named, when the column came from one.
        mapped: Option<String>,
        /// What to do.
        hint: Option<String>,
    },
}

impl crate::error::Advice for CsvError {
    fn hint(&self) -> Option<String> {
        match self {
            CsvError::MissingColumn { hint, .. } => hint.clone(),
            _ => None,
        }
    }
}

/// A row that cannot be used, with its line number and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line where the row starts.
    pub line: u64,
    /// What is wrong, for a person to act on.
    pub reason: String,
}

/// One data row: its line number and its fields, decoded to UTF-8.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// 1-based line where the row starts.
    pub line: u64,
    /// Fields in header order; exactly as many as there are headers.
    pub fields: Vec<String>,
}

impl Row {
    /// The trimmed field at `index`, or "" when the index is `None`.
    #[must_use]
    pub fn get(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.fields.get(i))
            .map_or("", |s| s.trim())
    }
}

/// A CSV file opened for streaming, with its delimiter sniffed and its header read.
pub struct Table {
    path: PathBuf,
    headers: Vec<String>,
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
}

impl Table {
    /// Opens `path`, detects the delimiter from the header line and reads the header.
    ///
    /// # Errors
    /// Fails when the file cannot be read or has no header.
    pub fn open(path: &Path) -> Result<Table, CsvError> {
        let read_err = |source| CsvError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut first = Vec::new();
        BufReader::new(File::open(path).map_err(read_err)?)
            .take(1 << 20)
            .read_until(b'\n', &mut first)
            .map_err(read_err)?;
        let delimiter = sniff_delimiter(&first);
        let file = File::open(path).map_err(read_err)?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let raw = reader
            .byte_headers()
            .map_err(|e| CsvError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
            .clone();
        let mut headers: Vec<String> = raw.iter().map(decode).collect();
        if let Some(first) = headers.first_mut()
            && let Some(stripped) = first.strip_prefix('\u{feff}')
        {
            *first = stripped.to_string();
        }
        let headers: Vec<String> = headers.into_iter().map(|h| h.trim().to_string()).collect();
        if headers.iter().all(String::is_empty) {
            return Err(CsvError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            reader,
            record: csv::ByteRecord::new(),
        })
    }

    /// The file this table reads.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Header names, trimmed, BOM removed.
    #[must_use]
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Index of the header `name` (exact match first, then case-insensitive).
    #[must_use]
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name).or_else(|| {
            self.headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
        })
    }

    /// Reads the next row into `row`. Returns `Ok(false)` at the end of the file.
    ///
    /// # Errors
    /// `Err(Ok(RowError))` for a row that cannot be used (wrong field count),
    /// `Err(Err(CsvError))` when the file itself cannot be read further.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, Result<RowError, CsvError>> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(false),
                Ok(true) => {
                    let line = self.record.position().map_or(0, csv::Position::line);
                    row.line = line;
                    if self.record.len() != self.headers.len() {
                        // A lone blank field is a line of spaces: skip it quietly.
                        if self.record.len() == 1
                            && self
                                .record
                                .get(0)
                                .is_some_and(|f| f.trim_ascii().is_empty())
                        {
                            continue;
                        }
                        return Err(Ok(RowError {
                            line,
                            reason: format!(
                                "row has {} fields but the header has {}: check the delimiter and quoting",
                                self.record.len(),
                                self.headers.len()
                            ),
                        }));
                    }
                    row.fields.clear();
                    row.fields.extend(self.record.iter().map(decode));
                    return Ok(true);
                }
                Err(e) => {
                    return if let csv::ErrorKind::Io(_) = e.kind() {
                        Err(Err(CsvError::Parse {
                            path: self.path.clone(),
                            message: e.to_string(),
                        }))
                    } else {
                        let line = e.position().map_or(0, csv::Position::line);
                        Err(Ok(RowError {
                            line,
                            reason: format!("unreadable row: {e}"),
                        }))
                    };
                }
            }
        }
    }
}

/// Decodes one field: UTF-8 when it is valid, else Windows-1252 (spreadsheet exports).
///
/// Deciding per field rather than per file keeps reading a stream: a Windows-1252 file's
/// non-ASCII bytes are almost never valid UTF-8, so the two agree in practice.
#[must_use]
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Picks `,` `;` or tab: whichever occurs most often outside quotes in the header line.
#[must_use]
pub fn sniff_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delimiters[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_delimiter() {
        assert_eq!(sniff_delimiter(b"id,name,city\n"), b',');
        assert_eq!(sniff_delimiter(b"id;name;\"a,b\"\n"), b';');
        assert_eq!(sniff_delimiter(b"id\tname\tcity\n"), b'\t');
        assert_eq!(sniff_delimiter(b"id\n"), b',');
    }

    #[test]
    fn decodes_windows_1252() {
        assert_eq!(decode(b"Nicol\xf2"), "Nicolò");
        assert_eq!(decode("Nicolò".as_bytes()), "Nicolò");
        assert_eq!(decode(b"\x80 5"), "€ 5");
    }

    #[test]
    fn reads_bom_semicolons_and_reports_short_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, b"\xef\xbb\xbfid;city\n1;Milano\n2\n3;Roma\n").unwrap();
        let mut t = Table::open(&path).unwrap();
        assert_eq!(t.headers(), ["id", "city"]);
        let mut row = Row::default();
        assert!(t.next_row(&mut row).unwrap());
        assert_eq!(row.fields, ["1", "Milano"]);
        assert_eq!(row.line, 2);
        let err = t.next_row(&mut row).unwrap_err().unwrap();
        assert_eq!(err.line, 3);
        assert!(t.next_row(&mut row).unwrap());
        assert_eq!(row.fields, ["3", "Roma"]);
        assert!(!t.next_row(&mut row).unwrap());
    }
}
