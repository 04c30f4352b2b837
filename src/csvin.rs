//! Reading CSV exports as they come from spreadsheets and CRMs: `,` `;` or tab, a UTF-8 BOM, Windows-1252.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The longest line a CSV file may have, by default: 1 MiB. A contact or event row is a few
/// hundred bytes; a longer line is a file that is not CSV (a binary, `/dev/zero`), or a
/// missing line end, and reading on would hold all of it in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The line limit in force: [`MAX_LINE_BYTES`], or `DRIPMAIL_MAX_LINE_MIB` MiB when set (for
/// an export that really has such rows).
fn max_line() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        let bytes = crate::assets::limit_from_env("DRIPMAIL_MAX_LINE_MIB", MAX_LINE_BYTES as u64);
        usize::try_from(bytes).unwrap_or(usize::MAX)
    })
}

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
    /// The path is not a regular file (a device, a FIFO, a folder).
    #[error("`{}` is not a regular file (a device, a pipe or a folder): name a CSV file", path.display())]
    NotAFile { path: PathBuf },
    /// A line is longer than [`MAX_LINE_BYTES`].
    #[error("`{}` line {line}: longer than {} MiB, which no row needs: is it a CSV file, with line ends?", path.display(), max_line() >> 20)]
    LineTooLong { path: PathBuf, line: u64 },
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
            CsvError::LineTooLong { .. } => Some(
                "check the export (its line ends, its encoding); if its rows really are that long, raise the limit with DRIPMAIL_MAX_LINE_MIB=N".into(),
            ),
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
    delimiter: u8,
    reader: csv::Reader<LineLimit<BufReader<File>>>,
    record: csv::ByteRecord,
    /// Lines and bytes of the file before the current reader's first (the reader starts
    /// again after a row whose quote ran past its line).
    line_base: u64,
    byte_base: u64,
}

/// Passes bytes through, failing once a line runs past [`MAX_LINE_BYTES`], so that no read
/// holds more than one bounded line.
struct LineLimit<R> {
    inner: R,
    /// Bytes since the last line end.
    run: usize,
    /// Line ends seen (the current line is `line_base + lines + 1`).
    lines: u64,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let max = max_line();
        for &b in buf.get(..n).unwrap_or_default() {
            if b == b'\n' {
                self.run = 0;
                self.lines += 1;
            } else {
                self.run += 1;
                if self.run > max {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        LongLine(self.lines),
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// The I/O error [`LineLimit`] fails with: line ends before the long line.
#[derive(Debug)]
struct LongLine(u64);

impl std::fmt::Display for LongLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line longer than {} bytes", max_line())
    }
}

impl std::error::Error for LongLine {}

/// A CSV reader over `file` from where it is, lines counted from there.
fn reader_from(
    file: BufReader<File>,
    delimiter: u8,
    headers: bool,
) -> csv::Reader<LineLimit<BufReader<File>>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(headers)
        .from_reader(LineLimit {
            inner: file,
            run: 0,
            lines: 0,
        })
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
        let file = File::open(path).map_err(read_err)?;
        // Devices and pipes never end (`/dev/zero`) or cannot be read twice: files only.
        if !file.metadata().map_err(read_err)?.is_file() {
            return Err(CsvError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let mut first = Vec::new();
        BufReader::new(file)
            .take(max_line() as u64)
            .read_until(b'\n', &mut first)
            .map_err(read_err)?;
        let delimiter = sniff_delimiter(&first);
        let file = File::open(path).map_err(read_err)?;
        let mut reader = reader_from(BufReader::with_capacity(1 << 16, file), delimiter, true);
        let raw = reader
            .byte_headers()
            .map_err(|e| {
                io_error(path, 0, &e).unwrap_or_else(|| CsvError::Parse {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
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
            delimiter,
            reader,
            record: csv::ByteRecord::new(),
            line_base: 0,
            byte_base: 0,
        })
    }

    /// Starts reading again at the line after `line`, which starts at byte `start` of the
    /// file: a row whose quoted field ran past its own line is rejected alone, and the rows
    /// after it are read as written.
    fn resume_after(&mut self, line: u64, start: u64) -> Result<(), CsvError> {
        let read_err = |source| CsvError::Read {
            path: self.path.clone(),
            source,
        };
        let mut file = File::open(&self.path).map_err(read_err)?;
        file.seek(SeekFrom::Start(start)).map_err(read_err)?;
        let mut rest = BufReader::with_capacity(1 << 16, file);
        let mut skipped = Vec::new();
        rest.by_ref()
            .take(max_line() as u64 + 1)
            .read_until(b'\n', &mut skipped)
            .map_err(read_err)?;
        self.reader = reader_from(rest, self.delimiter, false);
        self.line_base = line;
        self.byte_base = start + skipped.len() as u64;
        Ok(())
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
                    let at = self.record.position();
                    let line = self.line_base + at.map_or(0, csv::Position::line);
                    row.line = line;
                    // A field may not span lines: a quote left open would otherwise swallow
                    // every row after it. The row is rejected and reading resumes on the
                    // next line.
                    if self
                        .record
                        .iter()
                        .any(|f| f.contains(&b'\n') || f.contains(&b'\r'))
                    {
                        let start = self.byte_base + at.map_or(0, csv::Position::byte);
                        self.resume_after(line, start).map_err(Err)?;
                        return Err(Ok(RowError {
                            line,
                            reason:
                                "a quote opened on this line is not closed on it (a stray `\"`?): \
                                     fix the quoting; a field cannot run over several lines"
                                    .into(),
                        }));
                    }
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
                        Err(Err(io_error(&self.path, self.line_base, &e)
                            .unwrap_or_else(|| CsvError::Parse {
                                path: self.path.clone(),
                                message: e.to_string(),
                            })))
                    } else {
                        let line = self.line_base + e.position().map_or(0, csv::Position::line);
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

/// The [`CsvError::LineTooLong`] a [`LineLimit`] failure means, with its line in the file.
fn io_error(path: &Path, line_base: u64, e: &csv::Error) -> Option<CsvError> {
    let csv::ErrorKind::Io(io) = e.kind() else {
        return None;
    };
    let long = io.get_ref()?.downcast_ref::<LongLine>()?;
    Some(CsvError::LineTooLong {
        path: path.to_path_buf(),
        line: line_base + long.0 + 1,
    })
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

    #[test]
    fn a_quote_left_open_rejects_its_row_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        // Line 3 opens a quote it never closes; line 5 has a proper quoted field.
        std::fs::write(
            &path,
            "id,name\n1,Ann\n2,\"Bob\n3,Cy\n4,\"Dee, Jr\"\n5,\"Eve\n",
        )
        .unwrap();
        let mut t = Table::open(&path).unwrap();
        let mut row = Row::default();
        let mut got = Vec::new();
        loop {
            match t.next_row(&mut row) {
                Ok(true) => got.push(format!("{}:{}", row.line, row.fields.join("|"))),
                Ok(false) => break,
                Err(Ok(e)) => got.push(format!("{}:reject {}", e.line, &e.reason[..24])),
                Err(Err(e)) => panic!("{e}"),
            }
        }
        // The last line's quote runs to the end of the file: rejected too.
        assert_eq!(
            got,
            [
                "2:1|Ann",
                "3:reject a quote opened on this l",
                "4:3|Cy",
                "5:4|Dee, Jr",
                "6:reject a quote opened on this l",
            ]
        );
    }

    #[test]
    fn a_line_past_the_limit_or_a_device_stops_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        let mut text = b"id,name\n1,Ann\n2,".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        text.extend(b"\n3,Cy\n");
        std::fs::write(&path, &text).unwrap();
        let mut t = Table::open(&path).unwrap();
        let mut row = Row::default();
        assert!(t.next_row(&mut row).unwrap());
        match t.next_row(&mut row) {
            Err(Err(CsvError::LineTooLong { line, .. })) => assert_eq!(line, 3),
            other => panic!("{:?}", other.map_err(|e| e.map_err(|e| e.to_string()))),
        }
        // A header line past the limit, and a device.
        std::fs::write(&path, vec![b'a'; MAX_LINE_BYTES + 10]).unwrap();
        assert!(matches!(
            Table::open(&path),
            Err(CsvError::LineTooLong { line: 1, .. })
        ));
        if Path::new("/dev/zero").exists() {
            let e = Table::open(Path::new("/dev/zero")).err().unwrap();
            assert!(matches!(e, CsvError::NotAFile { .. }), "{e}");
        }
    }
}
