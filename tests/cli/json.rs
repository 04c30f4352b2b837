//! `--json` on every command: one JSON document on stdout, in the envelope docs/json.md
//! describes, for successes and failures alike.

use serde_json::Value;

use crate::util::{Fixture, Output};

/// Parses `out`'s stdout as one JSON document in the envelope of `command`, `ok`.
#[track_caller]
fn document(out: &Output, command: &str, ok: bool) -> Value {
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{command}: stdout is not one JSON document ({e}):\n{}",
            out.stdout
        )
    });
    assert_eq!(v["schema_version"], 1, "{v}");
    assert_eq!(v["command"], command, "{v}");
    assert_eq!(v["ok"], ok, "{v}");
    v
}

#[test]
fn every_command_prints_one_document_in_the_envelope() {
    let t = Fixture::new();
    t.add_imb("123456");
    let v = document(
        &t.dripmail(["validate", "campaign.toml", "--json"])
            .success(),
        "validate",
        true,
    );
    assert_eq!(v["contacts"], 5);
    assert_eq!(
        v["columns"]["fields"]["postal_code"]["header"],
        "postal_code"
    );
    let v = document(
        &t.dripmail(["plan", "campaign.toml", "--date", "2026-11-24", "--json"])
            .success(),
        "plan",
        true,
    );
    assert_eq!(v["plan"]["totals"]["issued"], 5, "{v}");
    let v = document(
        &t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
            .success(),
        "run",
        true,
    );
    assert_eq!(v["status"], "committed");
    let v = document(
        &t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
            .success(),
        "run",
        true,
    );
    assert_eq!(v["status"], "already_committed");
    let v = document(
        &t.dripmail(["history", "campaign.toml", "--json"]).success(),
        "history",
        true,
    );
    assert_eq!(v["cycles"].as_array().unwrap().len(), 1);
    document(
        &t.dripmail(["history", "campaign.toml", "--contact", "1", "--json"])
            .success(),
        "history",
        true,
    );
    let manifest = t.read("out/test/2026-11-24/manifest.csv");
    let piece = manifest
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    let v = document(
        &t.dripmail([
            "reprint",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--piece",
            &piece,
            "--json",
        ])
        .success(),
        "reprint",
        true,
    );
    assert!(!v["reprints"].as_array().unwrap().is_empty(), "{v}");
    let v = document(
        &t.dripmail(["proof", "campaign.toml", "--count", "1", "--json"])
            .success(),
        "proof",
        true,
    );
    assert!(!v["proofs"].as_array().unwrap().is_empty(), "{v}");
    document(
        &t.dripmail([
            "void",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--reason",
            "test",
            "--json",
        ])
        .success(),
        "void",
        true,
    );
    document(
        &t.dripmail(["init", "starter", "--json"]).success(),
        "init",
        true,
    );
    let v = document(
        &t.dripmail(["completions", "bash", "--json"]).success(),
        "completions",
        true,
    );
    assert!(v["script"].as_str().unwrap().contains("dripmail"));
    let v = document(&t.dripmail(["man", "--json"]).success(), "man", true);
    assert!(v["roff"].as_str().unwrap().contains(".TH"));
}

#[test]
fn failures_print_a_document_too_with_the_exit_status() {
    let t = Fixture::new();
    // A failure (exit 1): the message, its causes and the hint.
    t.write("contacts.csv", "id,name\n1,Ann\n");
    let out = t.dripmail(["run", "campaign.toml", "--json"]).failure(1);
    let v = document(&out, "run", false);
    assert_eq!(v["error"]["exit"], 1);
    assert_eq!(v["error"]["kind"], "failure");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no column for"),
        "{v}"
    );
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("[columns]"),
        "{v}"
    );
    // The human message still goes to stderr, for the scheduler's log.
    assert!(out.stderr.contains("error: "), "{}", out.stderr);
    // A wrong command line (exit 2), before any command runs.
    let out = t
        .dripmail(["plan", "campaign.toml", "--bogus", "--json"])
        .failure(2);
    let v = document(&out, "plan", false);
    assert_eq!(v["error"]["kind"], "usage");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("--bogus"),
        "{v}"
    );
    // A date that needs --allow-future-date is a usage error too.
    let t = Fixture::new();
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2099-01-01", "--json"])
        .failure(2);
    assert_eq!(document(&out, "run", false)["error"]["exit"], 2);
    // A bug says so in the document as well.
    let out: Output = t
        .command(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .env("DRIPMAIL_TEST_FAULT", "render-panic")
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code, 1);
    assert_eq!(document(&out, "run", false)["error"]["kind"], "bug");
}
