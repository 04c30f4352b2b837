//! Fuzzing on stable Rust: proptest feeds each input parser random bytes and random edits of
//! the shipped sample files, and checks only that nothing panics (every input gets an `Ok`
//! or an error). `cargo test fuzz` runs a few hundred cases per target; a long run:
//!
//! ```sh
//! FUZZ_CASES=200000 cargo test --release --lib fuzz_layout
//! ```
//!
//! An input that once found a bug is kept in `regressions` below and runs every time.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::resources::Resources;

/// The repository's file at `rel`.
fn repo(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_default()
}

/// One edit of a file: replace, insert or delete a byte (positions wrap around its length).
#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    /// Copies a run of the file elsewhere (duplicated quotes, brackets, rows).
    Splice(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to CSV, TOML and templates come up more often than any other.
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"\"',;\t\n\r[]{}=%#\\0.-9e".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(a, b, n)| Edit::Splice(a, b, n)),
    ]
}

/// `base` with `edits` applied.
fn mutate(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = base.to_vec();
    for e in edits {
        let len = v.len().max(1);
        match *e {
            Edit::Set(i, b) => {
                if let Some(x) = v.get_mut(i % len) {
                    *x = b;
                }
            }
            Edit::Insert(i, b) => v.insert(i % (v.len() + 1), b),
            Edit::Delete(i) => {
                if !v.is_empty() {
                    v.remove(i % v.len());
                }
            }
            Edit::Splice(from, to, n) => {
                let from = from % len;
                let run: Vec<u8> = v.iter().skip(from).take(n).copied().collect();
                let at = to % (v.len() + 1);
                v.splice(at..at, run);
            }
        }
    }
    v
}

/// Random bytes, or the file at `rel` with up to 16 edits.
fn input(rel: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        4 => prop::collection::vec(edit(), 1..16).prop_map(move |e| mutate(&repo(rel), &e)),
    ]
}

/// Contacts and events CSVs, read as a run reads them.
fn csv(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("contacts.csv");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    if let Ok(contacts) =
        crate::contacts::Contacts::load(&path, &crate::contacts::LoadOptions::default())
    {
        use crate::contacts::Field;
        for c in &contacts.list {
            let g = |f| contacts.get(c, f);
            let a = crate::address::PostalAddress {
                name: g(Field::Name),
                company: g(Field::Company),
                address1: g(Field::Address1),
                address2: g(Field::Address2),
                city: g(Field::City),
                state: g(Field::State),
                postal_code: g(Field::PostalCode),
                country: g(Field::Country),
            };
            let _ = crate::address::block_lines(&a, "US", true);
        }
        let pairs: Vec<(&str, &str)> = contacts
            .list
            .iter()
            .map(|c| {
                (
                    contacts.get(c, Field::Country),
                    contacts.get(c, Field::PostalCode),
                )
            })
            .collect();
        let _ = crate::mailing::presort(&pairs);
    }
    let _ = crate::events::load(&path, crate::dates::DateFormat::Detect, &|_| true);
}

fn campaign(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = crate::campaign::Campaign::parse(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/autumn/campaign.toml"),
        &text,
    );
}

fn layout(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts/postcard-6x4.toml");
    // One Resources for every case: a font read from disk is kept for the whole process
    // (font.rs), once per Resources, which is once per run in dripmail but would be once per
    // case here.
    static RES: std::sync::OnceLock<Resources> = std::sync::OnceLock::new();
    let res = RES.get_or_init(Resources::default);
    if let Ok(l) = crate::layout::Layout::parse(res, &path, "x", &text) {
        let _ = crate::layout::postal::check(&l);
    }
}

fn template(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut t = crate::merge::templates::Templates::new();
    if let Ok(id) = t.add(&text) {
        let ctx = minijinja::Value::from(std::collections::BTreeMap::from([
            ("first_name", "Ann"),
            ("n", "3"),
        ]));
        let _ = t.render(id, &ctx);
        let _ = t.missing(id, &|_| false);
    }
    let _ = t.add_condition(&text);
}

fn image(bytes: &[u8]) {
    let p = Path::new("x.jpg");
    let _ = crate::render::image::pixel_size(p, bytes);
    let _ = crate::render::image::load(p, std::borrow::Cow::Borrowed(bytes));
}

/// 64 cases per target, or `FUZZ_CASES`.
fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_contacts_and_events(bytes in input("samples/autumn/contacts.csv")) {
        csv(&bytes);
    }

    #[test]
    fn fuzz_crm_exports(bytes in prop_oneof![
        input("tests/fixtures/exports/mailchimp.csv"),
        input("tests/fixtures/exports/italian.csv"),
        input("tests/fixtures/exports/hubspot.csv"),
    ]) {
        csv(&bytes);
    }

    #[test]
    fn fuzz_values(text in ".{0,40}") {
        // What a cell may hold, through everything that reads one: never a panic.
        let _ = crate::dates::parse(&text, None);
        let _ = crate::dates::parse(&text, Some(crate::dates::DateOrder::DayMonth));
        let _ = crate::dates::readings(&text);
        let _ = crate::dates::parse_format(&text);
        let _ = crate::places::country(&text);
        let _ = crate::places::us_state(&text);
        let _ = crate::places::it_province(&text);
        let _ = crate::columns::split_address(&text);
        let _ = crate::contacts::check_postal_code("US", &text);
    }

    #[test]
    fn fuzz_campaign(bytes in input("samples/autumn/campaign.toml")) {
        campaign(&bytes);
    }

    #[test]
    fn fuzz_layout(bytes in input("layouts/postcard-6x4.toml")) {
        layout(&bytes);
    }

    #[test]
    fn fuzz_template(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128),
        prop::collection::vec(edit(), 1..8).prop_map(|e| mutate(
            b"Hi {{ first_name | default('x') }}{% for i in range(n|int) %}{{ i }}{% endfor %}",
            &e,
        )),
    ]) {
        template(&bytes);
    }

    #[test]
    fn fuzz_image_headers(bytes in input("tests/fixtures/cmyk-24x16.jpg")) {
        image(&bytes);
    }
}

/// Inputs that once made a parser panic, kept so they never do again.
#[test]
fn regressions() {
    // A ZIP whose sixth byte is inside a multibyte character (contacts.rs sliced a str).
    csv(
        "id,first_name,last_name,address1,city,postal_code,country,enrolled_on\n\
         1,Ann,Lee,1 Main St,Springfield,1234\u{e9}6789,US,2026-11-01\n"
            .as_bytes(),
    );
}
