//! Snapshots of what a print shop, a marketer and a script see: the sample cycle's reports and
//! every PDF's SHA-256 (in `summary.json`), and each command's exit status, stdout and stderr
//! on good and bad input. A change to any of them shows up as a diff in review: accept a
//! deliberate one with `cargo insta review` (or `INSTA_UPDATE=always cargo test`) and say why
//! in the commit. Paths of the temp folder read `[TMP]`, clock times `[TIME]`, today's date
//! in parentheses `([TODAY])`.

use crate::util::{Fixture, Output, repo};

/// `text` with the fixture's folder and wall-clock times replaced by placeholders.
fn filtered(t: &Fixture, text: &str) -> String {
    let root = t.path("");
    let root = root.to_string_lossy();
    let today = chrono::Local::now().date_naive().to_string();
    let text = text
        .replace(root.trim_end_matches('/'), "[TMP]")
        .replace(&repo().to_string_lossy().to_string(), "[REPO]")
        .replace(&format!("({today})"), "([TODAY])");
    times_hidden(&text)
}

/// Replaces RFC 3339 UTC times (`2026-12-01T06:00:00Z`) by `[TIME]`: the ledger's commit
/// times come from the clock.
fn times_hidden(text: &str) -> String {
    let b = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let fits = b.len() - i >= shape.len()
            && shape.iter().zip(&b[i..]).all(|(s, c)| match s {
                b'd' => c.is_ascii_digit(),
                s => s == c,
            });
        if fits {
            out.push_str("[TIME]");
            i += shape.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Exit status, stdout and stderr of one command, filtered.
fn report(t: &Fixture, o: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        o.code,
        filtered(t, &o.stdout),
        filtered(t, &o.stderr)
    )
}

#[test]
fn sample_cycle_reports_and_pdf_checksums() {
    let t = Fixture::new();
    let o = t.run_sample(false);
    insta::assert_snapshot!("sample_run", report(&t, &o));
    let dir = "out/autumn-2026/2026-11-24";
    for (name, file) in [
        ("sample_manifest", "manifest.csv"),
        ("sample_summary", "summary.json"),
        ("sample_rejects", "rejects.csv"),
        ("sample_preflight", "preflight.csv"),
        ("sample_job_ticket", "job-ticket.txt"),
    ] {
        insta::assert_snapshot!(name, t.read(&format!("{dir}/{file}")));
    }
    insta::assert_snapshot!("sample_xjdf", t.read(&format!("{dir}/jobticket.xjdf")));
}

#[test]
fn each_command_on_good_input() {
    let t = Fixture::new();
    t.add_imb("123456");
    t.write(
        "events.csv",
        "contact_id,event,date\n2,added_to_cart,2026-11-25\n5,purchased,2026-11-20\n",
    );
    let steps: Vec<(&str, Vec<&str>)> = vec![
        ("validate", vec!["validate", "campaign.toml"]),
        (
            "plan",
            vec!["plan", "campaign.toml", "--date", "2026-11-24"],
        ),
        (
            "plan_contact",
            vec![
                "plan",
                "campaign.toml",
                "--date",
                "2026-11-24",
                "--contact",
                "2",
            ],
        ),
        ("run", vec!["run", "campaign.toml", "--date", "2026-11-24"]),
        (
            "run_again",
            vec!["run", "campaign.toml", "--date", "2026-11-24"],
        ),
        (
            "run_json",
            vec!["--json", "run", "campaign.toml", "--date", "2026-12-01"],
        ),
        ("history", vec!["history", "campaign.toml"]),
        (
            "history_contact",
            vec!["history", "campaign.toml", "--contact", "2"],
        ),
        (
            "proof",
            vec![
                "proof",
                "campaign.toml",
                "--date",
                "2026-11-24",
                "--count",
                "2",
            ],
        ),
        (
            "void",
            vec![
                "void",
                "campaign.toml",
                "--date",
                "2026-12-01",
                "--reason",
                "art",
            ],
        ),
        (
            "run_dry",
            vec!["run", "campaign.toml", "--date", "2026-12-01", "--dry-run"],
        ),
    ];
    let mut all = String::new();
    for (name, args) in steps {
        let o = run_args(&t, &args);
        all.push_str(&format!("=== {name}: dripmail {}\n", args.join(" ")));
        all.push_str(&report(&t, &o));
        all.push('\n');
    }
    insta::assert_snapshot!("commands_good", all);
}

#[test]
fn each_command_on_bad_input() {
    let t = Fixture::new();
    let mut all = String::new();
    let mut case = |name: &str, args: &[&str], t: &Fixture| {
        let o = run_args(t, args);
        all.push_str(&format!("=== {name}: dripmail {}\n", args.join(" ")));
        all.push_str(&report(t, &o));
        all.push('\n');
    };
    case("usage", &["run"], &t);
    case(
        "bad_date",
        &["run", "campaign.toml", "--date", "24/11/2026"],
        &t,
    );
    case("no_campaign", &["validate", "missing.toml"], &t);
    case("no_ledger_history", &["history", "campaign.toml"], &t);
    case(
        "reprint_without_ledger",
        &[
            "reprint",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--piece",
            "x",
        ],
        &t,
    );
    case(
        "void_without_ledger",
        &["void", "campaign.toml", "--date", "2026-11-24"],
        &t,
    );
    case(
        "far_future",
        &["run", "campaign.toml", "--date", "2099-01-01"],
        &t,
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    case(
        "earlier_date",
        &["run", "campaign.toml", "--date", "2026-11-17"],
        &t,
    );
    case(
        "unknown_contact",
        &[
            "plan",
            "campaign.toml",
            "--date",
            "2026-12-01",
            "--contact",
            "77",
        ],
        &t,
    );
    case(
        "void_not_latest",
        &["void", "campaign.toml", "--date", "2026-11-17"],
        &t,
    );
    t.replace("campaign.toml", "min_gap_days = 7", "min_gap_days = -1");
    case(
        "bad_campaign_value",
        &["run", "campaign.toml", "--date", "2026-12-01"],
        &t,
    );
    insta::assert_snapshot!("commands_bad", all);
}

fn run_args(t: &Fixture, args: &[&str]) -> Output {
    // Who voided a cycle is `user@host`: the same on every machine here.
    let out = t
        .command::<0>([])
        .args(args)
        .env("USER", "tester")
        .env("HOSTNAME", "press-1")
        .output()
        .unwrap();
    out.into()
}
