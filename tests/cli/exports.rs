//! Real CRM exports, as they come: each runs after one `validate` round with no `[columns]`,
//! whatever its line ends, delimiter and encoding.

use crate::util::{Fixture, csv_rows, repo};

/// An export fixture's bytes in each form a marketer's tools save it: as exported, with
/// Windows line ends, with the other delimiter, and re-saved by Excel (Windows-1252, CRLF).
fn variants(name: &str) -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/exports").join(name)).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let delimiter = if text.lines().next().unwrap().contains(';') {
        b','
    } else {
        b';'
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(if delimiter == b',' { b';' } else { b',' })
        .from_reader(text.as_bytes());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in reader.records() {
        writer.write_record(&record.unwrap()).unwrap();
    }
    let other = writer.into_inner().unwrap();
    let (cp1252, _, lossy) = encoding_rs::WINDOWS_1252.encode(&crlf);
    assert!(!lossy, "{name} has characters Windows-1252 lacks");
    vec![
        ("as exported".into(), text.clone().into_bytes()),
        ("CRLF".into(), crlf.clone().into_bytes()),
        (format!("`{}`-delimited", delimiter as char), other),
        ("Windows-1252".into(), cp1252.into_owned()),
    ]
}

/// Runs the sample campaign, with no `[columns]` and an IMb, on each variant of `export`:
/// `validate` names the preset and rejects nothing; `run` issues every contact's welcome
/// piece, US pieces with an IMb, the others without.
fn runs_as_exported(export: &str, preset: &str, us: &[&str], abroad: &[&str]) {
    for (form, bytes) in variants(export) {
        let t = Fixture::new();
        t.add_imb("123456");
        t.write_bytes("contacts.csv", &bytes);
        t.write("events.csv", "contact_id,event,date\n");
        t.write("do-not-mail.csv", "id\n");
        let out = t
            .dripmail(["validate", "campaign.toml"])
            .success()
            .stdout_has(&[&format!("preset `{preset}`, recognised from its header")]);
        assert!(
            !out.stdout.contains("reject:"),
            "{export} {form}:\n{}",
            out.stdout
        );
        t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
            .success();
        let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
        let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
        let (id, imb, state, country) =
            (col("contact_id"), col("imb"), col("state"), col("country"));
        let mut with_imb: Vec<&str> = Vec::new();
        let mut without: Vec<&str> = Vec::new();
        for r in &rows[1..] {
            if !r[imb].is_empty() {
                assert_eq!(r[country], "US", "{export} {form}: {r:?}");
                assert_eq!(
                    r[state].len(),
                    2,
                    "{export} {form}: state as its code: {r:?}"
                );
                with_imb.push(&r[id]);
            } else {
                assert_eq!(r[imb], "", "{export} {form}: {r:?}");
                assert_eq!(r[country], "IT", "{export} {form}: {r:?}");
                without.push(&r[id]);
            }
        }
        with_imb.sort_unstable();
        without.sort_unstable();
        assert_eq!(
            (&with_imb[..], &without[..]),
            (us, abroad),
            "{export} {form}"
        );
    }
}

#[test]
fn a_hubspot_export_runs_without_columns() {
    runs_as_exported(
        "hubspot.csv",
        "hubspot",
        &["51234001", "51234002", "51234004"],
        &["51234003"],
    );
}

#[test]
fn a_mailchimp_export_runs_without_columns() {
    runs_as_exported(
        "mailchimp.csv",
        "mailchimp",
        &["118000001", "118000002", "118000004"],
        &["118000003"],
    );
}

#[test]
fn a_salesforce_report_runs_without_columns() {
    // Its dates are month first (the user's US locale): one date past the 12th tells.
    runs_as_exported(
        "salesforce.csv",
        "salesforce",
        &["0035g00000AbCdE1", "0035g00000AbCdE2"],
        &["0035g00000AbCdE3"],
    );
}

#[test]
fn an_italian_spreadsheet_runs_without_columns() {
    runs_as_exported(
        "italian.csv",
        "italian",
        &["IT003", "IT004"],
        &["IT001", "IT002"],
    );
}

#[test]
fn a_shopify_export_runs_once_the_campaign_gives_the_enrolment_date() {
    let t = Fixture::new();
    t.add_imb("123456");
    let bytes = std::fs::read(repo().join("tests/fixtures/exports/shopify.csv")).unwrap();
    t.write_bytes("contacts.csv", &bytes);
    t.write("events.csv", "contact_id,event,date\n");
    t.write("do-not-mail.csv", "id\n");
    // Shopify exports no sign-up date: the one thing to add, and the message says so.
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&["no column for `enrolled_on`", "enrolled_on = "]);
    t.replace(
        "campaign.toml",
        "contacts = \"contacts.csv\"",
        "contacts = \"contacts.csv\"\nenrolled_on = 2026-11-02",
    );
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&["preset `shopify`"]);
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let mut got: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| {
            (
                r[col("contact_id")].as_str(),
                r[col("postal_code")].as_str(),
                r[col("due_on")].as_str(),
            )
        })
        .collect();
    got.sort_unstable();
    // The apostrophe Shopify puts before a ZIP (so spreadsheets keep its leading zero) is gone.
    assert_eq!(
        got,
        [
            ("7011234500001", "60201", "2026-11-02"),
            ("7011234500002", "60614", "2026-11-02"),
            ("7011234500003", "20121", "2026-11-02"),
        ]
    );
}
