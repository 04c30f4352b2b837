//! Reading CSV exports as they come from spreadsheets and CRMs: `,` `;` or tab, a UTF-8 BOM, Windows-1252.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
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
    /// Needed columns are not in the header, or not where `[columns]` says.
    #[error("`{}` line 1: {}", path.display(), missing_message(missing))]
    MissingColumns {
        path: PathBuf,
        missing: Vec<crate::columns::Missing>,
        /// The file's headers.
        headers: Vec<String>,
    },
    /// Every year-last date of a column reads both day-first and month-first.
    #[error("`{}` line {line}: `{value}` in column `{column}` could be {}, and no date in the file tells which", path.display(), both_readings(value))]
    AmbiguousDates {
        path: PathBuf,
        line: u64,
        value: String,
        column: String,
    },
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
            CsvError::MissingColumns { missing, headers, path } => {
                Some(missing_hint(path, missing, headers))
            }
            CsvError::AmbiguousDates { path, .. } => {
                let name = path.file_name().map_or_else(
                    || "contacts.csv".into(),
                    |n| n.to_string_lossy().into_owned(),
                );
                Some(format!(
                    "say how the file writes dates in the campaign: {{ path = \"{name}\", date_format = \"DD/MM/YYYY\" }} (or \"MM/DD/YYYY\") in place of \"{name}\""
                ))
            }
            CsvError::LineTooLong { .. } => Some(
                "check the export (its line ends, its encoding); if its rows really are that long, raise the limit with DRIPMAIL_MAX_LINE_MIB=N".into(),
            ),
            _ => None,
        }
    }
}

/// `no column for `id`, `postal_code` …`, and the `[columns]` headers the file lacks.
fn missing_message(missing: &[crate::columns::Missing]) -> String {
    let (mapped, absent): (Vec<_>, Vec<_>) = missing.iter().partition(|m| m.mapped.is_some());
    let mut parts = Vec::new();
    if !absent.is_empty() {
        let names: Vec<String> = absent
            .iter()
            .map(|m| format!("`{}`", m.field.name()))
            .collect();
        parts.push(format!(
            "no column for {}{}",
            crate::words::list(&names),
            if absent
                .iter()
                .any(|m| m.field == crate::contacts::Field::State)
            {
                " (every US address needs its state)"
            } else {
                ""
            }
        ));
    }
    for m in mapped {
        parts.push(format!(
            "no column `{}` (mapped from `{}` in [columns])",
            m.mapped.as_deref().unwrap_or_default(),
            m.field.name()
        ));
    }
    parts.join("; ")
}

/// A `[columns]` section that maps every missing field, each to its closest header.
fn missing_hint(path: &Path, missing: &[crate::columns::Missing], headers: &[String]) -> String {
    let mut t = format!(
        "name the headers in the campaign file (its headers: {}), then run `dripmail validate` again:\n    [columns]",
        headers
            .iter()
            .filter(|h| !h.is_empty())
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for m in missing {
        match &m.closest {
            Some(h) => t.push_str(&format!(
                "\n    {} = \"{h}\"   # did you mean this one?",
                m.field.name()
            )),
            None => t.push_str(&format!(
                "\n    {} = \"…\"   # no header of `{}` looks like it",
                m.field.name(),
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            )),
        }
    }
    t
}

/// `3 October or March 10` for `03/10/2026`.
fn both_readings(value: &str) -> String {
    let dm = crate::dates::parse(value, Some(crate::dates::DateOrder::DayMonth));
    let md = crate::dates::parse(value, Some(crate::dates::DateOrder::MonthDay));
    match (dm, md) {
        (Ok(a), Ok(b)) => format!("{} or {}", a.format("%-d %B %Y"), b.format("%-d %B %Y")),
        _ => "read day first or month first".into(),
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
///
/// The file is read one line at a time: a field may not span lines, so a line is a row, its
/// number is counted here (the `csv` crate's count is one short after a `\r\n` line end or a
/// blank line), a quote left open costs only its own row, and no read holds more than one
/// bounded line.
pub struct Table {
    path: PathBuf,
    headers: Vec<String>,
    input: BufReader<File>,
    /// The line end: `\n` (with or without `\r` before it), or `\r` alone (old Mac exports).
    terminator: u8,
    delimiter: u8,
    parser: csv_core::Reader,
    /// The current line, its terminator removed.
    line: Vec<u8>,
    /// Its number (1-based).
    line_no: u64,
    /// Decoded bytes of the current row's fields, and where each ends.
    output: Vec<u8>,
    ends: Vec<usize>,
}

impl Table {
    /// Opens `path`, detects the line end and the delimiter, and reads the header.
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
        let mut input = BufReader::with_capacity(1 << 16, file);
        let terminator = sniff_terminator(input.fill_buf().map_err(read_err)?);
        let mut table = Table {
            path: path.to_path_buf(),
            headers: Vec::new(),
            input,
            terminator,
            delimiter: b',',
            parser: csv_core::Reader::new(),
            line: Vec::new(),
            line_no: 0,
            output: Vec::new(),
            ends: Vec::new(),
        };
        // The header is the first line that is not blank.
        loop {
            if !table.read_line()? {
                return Err(CsvError::Empty {
                    path: path.to_path_buf(),
                });
            }
            if !table.line.trim_ascii().is_empty() {
                break;
            }
        }
        let line = table
            .line
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or(&table.line);
        table.delimiter = sniff_delimiter(line);
        table.parser = csv_core::ReaderBuilder::new()
            .delimiter(table.delimiter)
            .terminator(csv_core::Terminator::Any(terminator))
            .build();
        table.parse_line();
        let headers: Vec<String> = (0..table.ends.len())
            .map(|i| decode(table.field(i)).trim().to_string())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(CsvError::Empty {
                path: path.to_path_buf(),
            });
        }
        table.headers = headers;
        Ok(table)
    }

    /// Reads the next line into `self.line`, without its line end. Returns false at the end
    /// of the file.
    fn read_line(&mut self) -> Result<bool, CsvError> {
        self.line.clear();
        let max = max_line();
        let n = (&mut self.input)
            .take(max as u64 + 2)
            .read_until(self.terminator, &mut self.line)
            .map_err(|source| CsvError::Read {
                path: self.path.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        if self.line.last() == Some(&self.terminator) {
            self.line.pop();
        }
        if self.terminator == b'\n' && self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line.len() > max {
            return Err(CsvError::LineTooLong {
                path: self.path.clone(),
                line: self.line_no,
            });
        }
        Ok(true)
    }

    /// Splits the current line into fields (`self.output`, `self.ends`). Returns false when a
    /// quoted field is still open at the end of the line.
    fn parse_line(&mut self) -> bool {
        self.parser.reset();
        self.output.clear();
        self.ends.clear();
        let mut input: &[u8] = &self.line;
        let (mut out, mut nends) = (0, 0);
        loop {
            if self.output.len() < out + input.len() + 1 {
                self.output.resize(out + input.len() + 1, 0);
            }
            if self.ends.len() < nends + 1 {
                self.ends.resize((nends + 1) * 2, 0);
            }
            let (result, nin, nout, nend) =
                self.parser
                    .read_record(input, &mut self.output[out..], &mut self.ends[nends..]);
            input = &input[nin..];
            out += nout;
            nends += nend;
            match result {
                // An empty input tells the parser the line is over.
                csv_core::ReadRecordResult::InputEmpty
                | csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {}
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
            }
        }
        self.output.truncate(out);
        self.ends.truncate(nends);
        !quote_left_open(&self.line, self.delimiter)
    }

    /// The raw bytes of field `i` of the current row.
    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.output[start..self.ends[i]]
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

    /// Index of the header `name`: exact match first, then without case, accents, spaces or
    /// punctuation (`Contact ID` for `contact_id`).
    #[must_use]
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name).or_else(|| {
            let folded = crate::places::fold(name);
            self.headers
                .iter()
                .position(|h| crate::places::fold(h) == folded)
        })
    }

    /// Reads the next row into `row`. Returns `Ok(false)` at the end of the file.
    ///
    /// # Errors
    /// `Err(Ok(RowError))` for a row that cannot be used (wrong field count, a quote left
    /// open), `Err(Err(CsvError))` when the file itself cannot be read further.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, Result<RowError, CsvError>> {
        loop {
            if !self.read_line().map_err(Err)? {
                return Ok(false);
            }
            // A blank line, or a line of spaces, is no row.
            if self.line.trim_ascii().is_empty() {
                continue;
            }
            let line = self.line_no;
            row.line = line;
            // A field may not span lines: a quote left open would otherwise swallow every
            // row after it.
            if !self.parse_line() {
                return Err(Ok(RowError {
                    line,
                    reason: "a quote opened on this line is not closed on it (a stray `\"`?): \
                             fix the quoting; a field cannot run over several lines"
                        .into(),
                }));
            }
            if self.ends.len() != self.headers.len() {
                return Err(Ok(RowError {
                    line,
                    reason: format!(
                        "row has {} fields but the header has {}: check the delimiter and quoting",
                        self.ends.len(),
                        self.headers.len()
                    ),
                }));
            }
            if (0..self.ends.len()).any(|i| self.field(i).contains(&b'\r')) {
                return Err(Ok(RowError {
                    line,
                    reason: "a field holds a carriage return (a line break inside a cell): \
                             remove it; a field cannot run over several lines"
                        .into(),
                }));
            }
            row.fields.clear();
            for i in 0..self.ends.len() {
                row.fields.push(decode(self.field(i)));
            }
            return Ok(true);
        }
    }
}

/// `\r` when the file's lines end with a lone carriage return (Excel's "CSV (Macintosh)"),
/// else `\n`: judged from the first line end in `start`, the file's first bytes.
fn sniff_terminator(start: &[u8]) -> u8 {
    match start.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(i) if start[i] == b'\r' && start.get(i + 1).is_some_and(|&b| b != b'\n') => b'\r',
        _ => b'\n',
    }
}

/// True when `line` ends inside a quoted field, by the parser's rules: a quote opens a quoted
/// field only at the field's start, and `""` inside one is a literal quote.
fn quote_left_open(line: &[u8], delimiter: u8) -> bool {
    let mut at_start = true;
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if quoted {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == delimiter {
            at_start = true;
            i += 1;
            continue;
        } else if b == b'"' && at_start {
            quoted = true;
        }
        at_start = false;
        i += 1;
    }
    quoted
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
        // Line 3 opens a quote it never closes; line 5 has a proper quoted field.
        let got = rows(b"id,name\n1,Ann\n2,\"Bob\n3,Cy\n4,\"Dee, Jr\"\n5,\"Eve\n");
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

    /// Every row's line as `line:fields`, or `line:reject ` and the reason's first 24
    /// characters.
    fn rows(bytes: &[u8]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, bytes).unwrap();
        let mut t = Table::open(&path).unwrap();
        let mut row = Row::default();
        let mut got = Vec::new();
        loop {
            match t.next_row(&mut row) {
                Ok(true) => got.push(format!("{}:{}", row.line, row.fields.join("|"))),
                Ok(false) => break,
                Err(Ok(e)) => got.push(format!(
                    "{}:reject {}",
                    e.line,
                    e.reason.chars().take(24).collect::<String>()
                )),
                Err(Err(e)) => panic!("{e}"),
            }
        }
        got
    }

    #[test]
    fn lines_are_counted_right_after_crlf_blank_lines_and_lone_cr() {
        // The csv crate counts a `\r\n` file's rows one line short, and the row after a blank
        // line as the blank's (BurntSushi/rust-csv#395, #208).
        let want = ["2:1|Ann", "4:2|Bob", "5:3|Cy"];
        assert_eq!(rows(b"id,name\r\n1,Ann\r\n\r\n2,Bob\r\n3,Cy\r\n"), want);
        assert_eq!(rows(b"id,name\n1,Ann\n\n2,Bob\n3,Cy"), want);
        assert_eq!(rows(b"id,name\r1,Ann\r\r2,Bob\r3,Cy\r"), want);
        // A blank line before the header, a line of spaces between rows.
        assert_eq!(
            rows(b"\r\nid;name\r\n1;Ann\r\n   \r\n2;\"Bob \"\"B\"\"\"\r\n"),
            ["3:1|Ann", "5:2|Bob \"B\""]
        );
        // A carriage return inside a line is no line end: the row is rejected, alone.
        assert_eq!(
            rows(b"id,name\n1,Ann\n2,B\rob\n3,\"C\ry\"\n4,Di\n"),
            [
                "2:1|Ann",
                "3:reject a field holds a carriage",
                "4:reject a field holds a carriage",
                "5:4|Di"
            ]
        );
    }

    #[test]
    fn quotes_open_only_at_a_field_start() {
        assert!(!quote_left_open(br#"1,5" tall,x"#, b','));
        assert!(!quote_left_open(br#"1,"a ""b"", c",x"#, b','));
        assert!(!quote_left_open(br#"1,"ab"cd,x"#, b','));
        assert!(quote_left_open(br#"1,"ab,x"#, b','));
        assert!(quote_left_open(br#"1;"a;"";x"#, b';'));
        assert!(!quote_left_open(br#"1;"a;"";x""#, b';'));
    }
}
