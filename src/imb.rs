//! The USPS Intelligent Mail barcode (USPS-B-3200): tracking code + routing code → 65 bars.
//!
//! Steps as the specification numbers them: (1) the fields become one 102-bit number,
//! (2) an 11-bit CRC is taken over it, (3) it is cut into ten codewords, (4) the codewords
//! are oriented and take a CRC bit, (5) each becomes a 13-bit character from the 5-of-13 or
//! 2-of-13 table, with ten CRC bits negating characters, (6) the 130 character bits are
//! spread over 65 bars by the specification's bar map.

pub(crate) mod stid;

/// Why a barcode cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImbError {
    /// The tracking code is not 20 digits with a second digit 0–4.
    #[error("the IMb tracking code must be 20 digits, the second 0-4, not `{0}`")]
    Tracking(String),
    /// The routing code is not 0, 5, 9 or 11 digits.
    #[error("the IMb routing code must be 0, 5, 9 or 11 digits, not `{0}`")]
    Routing(String),
}

/// Specification Table 22: for each bar, (descender character, bit, ascender character, bit).
/// Characters are A..J as 0..9. This is the one table the specification gives rather than
/// derives; `bar_map_uses_every_bit_once` checks it.
const DESC_CHAR: [u8; 65] = [
    7, 1, 9, 5, 8, 0, 2, 4, 6, 3, 5, 8, 9, 7, 3, 0, 6, 1, 7, 4, 6, 8, 9, 2, 5, 1, 7, 5, 4, 3, 8, 7,
    6, 0, 2, 5, 4, 9, 3, 0, 1, 6, 8, 2, 0, 4, 5, 9, 6, 7, 5, 2, 6, 3, 8, 5, 1, 9, 8, 7, 4, 0, 2, 6,
    3,
];
const DESC_BIT: [u8; 65] = [
    2, 10, 12, 5, 9, 1, 5, 4, 3, 9, 11, 5, 10, 1, 6, 3, 4, 1, 10, 0, 2, 11, 8, 6, 1, 12, 3, 8, 6,
    4, 4, 11, 0, 6, 1, 9, 11, 5, 3, 7, 3, 10, 7, 11, 8, 2, 10, 3, 5, 8, 0, 3, 12, 11, 8, 4, 5, 1,
    3, 0, 7, 12, 9, 8, 10,
];
const ASC_CHAR: [u8; 65] = [
    4, 0, 2, 6, 3, 5, 1, 9, 8, 7, 1, 2, 0, 6, 4, 8, 2, 9, 5, 3, 0, 1, 3, 7, 4, 6, 8, 9, 2, 0, 5, 1,
    9, 4, 3, 8, 6, 7, 1, 2, 4, 3, 9, 5, 7, 8, 3, 0, 2, 1, 4, 0, 9, 1, 7, 0, 2, 4, 6, 3, 7, 1, 9, 5,
    8,
];
const ASC_BIT: [u8; 65] = [
    3, 0, 8, 11, 1, 12, 8, 11, 10, 6, 4, 12, 2, 7, 9, 6, 7, 9, 2, 8, 4, 0, 12, 7, 10, 9, 0, 7, 10,
    5, 7, 9, 6, 8, 2, 12, 1, 4, 2, 0, 1, 5, 4, 6, 12, 1, 0, 9, 4, 7, 5, 10, 2, 6, 9, 11, 2, 12, 6,
    7, 5, 11, 0, 3, 2,
];

/// The 20-digit tracking code: barcode id, service type, mailer id and serial.
///
/// # Errors
/// When a field has the wrong length or is not digits.
pub fn tracking_code(
    barcode_id: &str,
    service_type: &str,
    mailer_id: &str,
    serial: u64,
) -> Result<String, ImbError> {
    let width = if mailer_id.len() == 9 { 6 } else { 9 };
    let code = format!("{barcode_id}{service_type}{mailer_id}{serial:0width$}");
    check_tracking(&code)?;
    Ok(code)
}

fn check_tracking(code: &str) -> Result<(), ImbError> {
    let b = code.as_bytes();
    if b.len() == 20 && b.iter().all(u8::is_ascii_digit) && b[1] <= b'4' {
        Ok(())
    } else {
        Err(ImbError::Tracking(code.into()))
    }
}

/// Step 1: the fields as one number (102 bits used).
fn payload(tracking: &str, routing: &str) -> Result<u128, ImbError> {
    check_tracking(tracking)?;
    if !routing.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ImbError::Routing(routing.into()));
    }
    let r: u128 = if routing.is_empty() {
        0
    } else {
        routing
            .parse()
            .map_err(|_| ImbError::Routing(routing.into()))?
    };
    let mut v: u128 = match routing.len() {
        0 => 0,
        5 => r + 1,
        9 => r + 100_000 + 1,
        11 => r + 1_000_000_000 + 100_000 + 1,
        _ => return Err(ImbError::Routing(routing.into())),
    };
    let d: Vec<u128> = tracking.bytes().map(|b| u128::from(b - b'0')).collect();
    v = v * 10 + d[0];
    v = v * 5 + d[1];
    for &x in &d[2..] {
        v = v * 10 + x;
    }
    Ok(v)
}

/// Step 2: the 11-bit frame check sequence over the 102 bits, as 13 bytes.
fn crc11(value: u128) -> u16 {
    let bytes = value.to_be_bytes();
    let data = &bytes[3..]; // the low 13 bytes
    let mut fcs: u16 = 0x07FF;
    let mut step = |byte: u8, bits: u32, skip: u32| {
        let mut d = u16::from(byte) << 3;
        d <<= skip;
        for _ in 0..bits {
            if (fcs ^ d) & 0x400 != 0 {
                fcs = (fcs << 1) ^ 0x0F35;
            } else {
                fcs <<= 1;
            }
            fcs &= 0x7FF;
            d <<= 1;
        }
    };
    // The first byte's two top bits are not data.
    step(data[0], 6, 2);
    for &b in &data[1..] {
        step(b, 8, 0);
    }
    fcs
}

/// Step 3: ten codewords, A first; J in 0..636, the others in 0..1365.
fn codewords(mut value: u128) -> [u16; 10] {
    let mut cw = [0u16; 10];
    {
        cw[9] = (value % 636) as u16;
        value /= 636;
        for i in (0..9).rev() {
            cw[i] = (value % 1365) as u16;
            value /= 1365;
        }
    }
    cw
}

/// Step 4: J doubled (orientation), A + 659 when the FCS's top bit is set.
fn orient(mut cw: [u16; 10], fcs: u16) -> [u16; 10] {
    cw[9] *= 2;
    if fcs & 0x400 != 0 {
        cw[0] += 659;
    }
    cw
}

/// The n-of-13 table (Tables 19 and 20 of the specification), built as it describes:
/// pairs of a value and its bit reversal from the front, palindromes from the back.
fn table(n: u32, len: usize) -> Vec<u16> {
    let mut t = vec![0u16; len];
    let (mut lo, mut hi) = (0usize, len - 1);
    for v in 0u16..8192 {
        if v.count_ones() != n {
            continue;
        }
        let rev = v.reverse_bits() >> 3;
        if rev < v {
            continue;
        }
        if rev == v {
            t[hi] = v;
            hi = hi.saturating_sub(1);
        } else {
            t[lo] = v;
            t[lo + 1] = rev;
            lo += 2;
        }
    }
    t
}

fn tables() -> &'static (Vec<u16>, Vec<u16>) {
    static T: std::sync::OnceLock<(Vec<u16>, Vec<u16>)> = std::sync::OnceLock::new();
    T.get_or_init(|| (table(5, 1287), table(2, 78)))
}

/// Step 5: codewords to 13-bit characters, negated where the FCS says.
fn characters(cw: &[u16; 10], fcs: u16) -> [u16; 10] {
    let (t5, t2) = tables();
    let mut ch = [0u16; 10];
    for i in 0..10 {
        let c = usize::from(cw[i]);
        ch[i] = if c < 1287 {
            t5[c]
        } else {
            t2.get(c - 1287).copied().unwrap_or(0)
        };
        if fcs & (1 << i) != 0 {
            ch[i] = !ch[i] & 0x1FFF;
        }
    }
    ch
}

/// Encodes `tracking` (20 digits) and `routing` (0, 5, 9 or 11 digits) as 65 bars, each
/// `F` (full), `A` (ascender), `D` (descender) or `T` (tracker).
///
/// # Errors
/// When either code has the wrong form.
pub fn encode(tracking: &str, routing: &str) -> Result<String, ImbError> {
    let value = payload(tracking, routing)?;
    let fcs = crc11(value);
    let ch = characters(&orient(codewords(value), fcs), fcs);
    let bit = |c: u8, b: u8| ch[usize::from(c)] & (1 << b) != 0;
    Ok((0..65)
        .map(
            |i| match (bit(DESC_CHAR[i], DESC_BIT[i]), bit(ASC_CHAR[i], ASC_BIT[i])) {
                (true, true) => 'F',
                (false, true) => 'A',
                (true, false) => 'D',
                (false, false) => 'T',
            },
        )
        .collect())
}

/// The routing code for a contact: ZIP, ZIP+4 or ZIP+4+delivery point digits, or `None`
/// when the postal code is not a US ZIP.
#[must_use]
pub fn routing(postal_code: &str, delivery_point: &str) -> Option<String> {
    let digits: String = postal_code.chars().filter(char::is_ascii_digit).collect();
    let clean = postal_code
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    if !clean {
        return None;
    }
    let dp: String = delivery_point
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    match (digits.len(), dp.len()) {
        (9, 2) => Some(format!("{digits}{dp}")),
        (5 | 9, _) => Some(digits),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACKING: &str = "01234567094987654321";

    /// USPS-B-3200 Appendix C: routing, step-1 bytes, FCS, codewords, bars.
    const VECTORS: [(&str, &str, u16, [u16; 10], &str); 4] = [
        (
            "",
            "00000000001122103B5C2004B1",
            0x051,
            [0, 0, 0, 0, 559, 202, 508, 451, 124, 17],
            "ATTFATTDTTADTAATTDTDTATTDAFDDFADFDFTFFFFFTATFAAAATDFFTDAADFTFDTDT",
        ),
        (
            "01234",
            "0000000D138A87BAB5CF3804B1",
            0x065,
            [0, 0, 15, 14, 290, 567, 385, 48, 388, 333],
            "DTTAFADDTTFTDTFTFDTDDADADAFADFATDDFTAAAFDTTADFAAATDFDTDFADDDTDFFT",
        ),
        (
            "012345678",
            "000202BDC097711204D21804B1",
            0x606,
            [0, 110, 1113, 1363, 198, 413, 470, 468, 1333, 513],
            "ADFTTAFDTTTTFATTADTAAATFTFTATDAAAFDDADATATDTDTTDFDTDATADADTDFFTFA",
        ),
        (
            "01234567891",
            "016907B2A24ABC16A2E5C004B1",
            0x751,
            [14, 787, 607, 1022, 861, 19, 816, 1294, 35, 301],
            "AADTFFDFTDADTAADAATFDTDDAAADDTDTTDAFADADDDTFFFDDTTTADFAAADFTDAADA",
        ),
    ];

    #[test]
    fn specification_vectors_at_every_step() {
        for (routing, hex, fcs, words, bars) in VECTORS {
            let v = payload(TRACKING, routing).unwrap();
            let got: String = v.to_be_bytes()[3..]
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            assert_eq!(got, hex, "step 1, routing {routing:?}");
            assert_eq!(crc11(v), fcs, "step 2, routing {routing:?}");
            assert_eq!(codewords(v), words, "step 3, routing {routing:?}");
            assert_eq!(
                encode(TRACKING, routing).unwrap(),
                bars,
                "step 6, routing {routing:?}"
            );
        }
    }

    #[test]
    fn specification_characters_of_the_fourth_vector() {
        let v = payload(TRACKING, "01234567891").unwrap();
        let fcs = crc11(v);
        let oriented = orient(codewords(v), fcs);
        assert_eq!(oriented, [673, 787, 607, 1022, 861, 19, 816, 1294, 35, 602]);
        assert_eq!(
            characters(&oriented, 0),
            [
                0x1234, 0x085C, 0x08E4, 0x0B06, 0x1922, 0x1740, 0x0839, 0x1200, 0x0DC0, 0x04D4
            ]
        );
        assert_eq!(
            characters(&oriented, fcs),
            [
                0x0DCB, 0x085C, 0x08E4, 0x0B06, 0x06DD, 0x1740, 0x17C6, 0x1200, 0x123F, 0x1B2B
            ]
        );
    }

    #[test]
    fn tables_match_the_specification_anchors() {
        let (t5, t2) = tables();
        assert_eq!((t5.len(), t2.len()), (1287, 78));
        assert_eq!(t5[0], 0b0_0000_0001_1111);
        assert_eq!(t5[1286], 0b0_0001_1111_0000);
        assert_eq!(t2[7], 0x1200);
        let mut all: Vec<u16> = t5.iter().chain(t2.iter()).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1287 + 78);
    }

    #[test]
    fn bar_map_uses_every_bit_once() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..65 {
            assert!(seen.insert((DESC_CHAR[i], DESC_BIT[i])));
            assert!(seen.insert((ASC_CHAR[i], ASC_BIT[i])));
        }
        assert_eq!(seen.len(), 130);
        assert!(seen.iter().all(|&(c, b)| c < 10 && b < 13));
    }

    #[test]
    fn fields_and_routing() {
        assert_eq!(
            tracking_code("01", "234", "567094", 987_654_321).unwrap(),
            TRACKING
        );
        assert_eq!(
            tracking_code("00", "300", "912345678", 42).unwrap(),
            "00300912345678000042"
        );
        assert!(tracking_code("05", "234", "567094", 1).is_err());
        assert!(tracking_code("01", "234", "567094", 1_000_000_000).is_err());
        assert!(encode(TRACKING, "1234").is_err());
        assert_eq!(routing("62701-1234", "").as_deref(), Some("627011234"));
        assert_eq!(routing("62701-1234", "05").as_deref(), Some("62701123405"));
        assert_eq!(routing("62701", "05").as_deref(), Some("62701"));
        assert_eq!(routing("SW1A 1AA", ""), None);
        assert_eq!(routing("20121", "").as_deref(), Some("20121"));
        let a = encode(&tracking_code("00", "300", "123456", 1).unwrap(), "62701").unwrap();
        let b = encode(&tracking_code("00", "300", "123456", 2).unwrap(), "62701").unwrap();
        assert_ne!(a, b);
    }
}
