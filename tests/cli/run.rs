//! `dripmail run`: outputs, idempotency, the ledger.

use crate::util::{Fixture, csv_rows, pdf_pages};

#[test]
fn first_cycle_writes_pdfs_manifest_summary_rejects_and_ticket() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["welcome", "3 files, 10 pages", "committed"]);
    let out = t.path("out/test/2026-11-24");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "job-ticket.txt",
            "jobticket.json",
            "jobticket.xjdf",
            "manifest.csv",
            "preflight.csv",
            "rejects.csv",
            "summary.json",
            "welcome-postcard-6x4-001.pdf",
            "welcome-postcard-6x4-002.pdf",
            "welcome-postcard-6x4-003.pdf",
        ]
    );
    // Manifest: pinned columns, seq in print order, postal-code order within files, pages agree.
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    assert_eq!(
        rows[0][..16].join(","),
        "seq,piece_id,contact_id,step,layout,file,first_page,page_count,name,company,address1,address2,city,state,postal_code,country"
    );
    assert_eq!(rows.len(), 6);
    let seqs: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(seqs, ["1", "2", "3", "4", "5"]);
    let contacts: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    // Presort: US mixed-ZIP pieces by ZIP (02134 < 60614 < 62701 < 78701), then international.
    assert_eq!(contacts, ["5", "2", "1", "4", "3"]);
    let presort: Vec<&str> = rows[1..].iter().map(|r| r[17].as_str()).collect();
    assert_eq!(presort, ["MXD", "MXD", "MXD", "MXD", "INTL:IT"]);
    for file in [
        "welcome-postcard-6x4-001.pdf",
        "welcome-postcard-6x4-002.pdf",
        "welcome-postcard-6x4-003.pdf",
    ] {
        let bytes = std::fs::read(out.join(file)).unwrap();
        let in_manifest: usize = rows[1..]
            .iter()
            .filter(|r| r[5] == file)
            .map(|r| r[7].parse::<usize>().unwrap())
            .sum();
        assert_eq!(pdf_pages(&bytes), in_manifest, "{file}");
        assert!(bytes.starts_with(b"%PDF-"));
    }
    let summary: serde_json::Value =
        serde_json::from_str(&t.read("out/test/2026-11-24/summary.json")).unwrap();
    assert_eq!(summary["totals"]["issued"], 5);
    assert_eq!(summary["steps"][0]["step"], "welcome");
    assert_eq!(summary["files"].as_array().unwrap().len(), 3);
    assert_eq!(summary["files"][0]["pages"], 4);
    assert_eq!(summary["files"][0]["sha256"].as_str().unwrap().len(), 64);
    let ticket = t.read("out/test/2026-11-24/job-ticket.txt");
    assert!(
        ticket.contains("welcome-postcard-6x4-001.pdf") && ticket.contains("14 pt C2S cover"),
        "{ticket}"
    );
    assert_eq!(
        t.read("out/test/2026-11-24/rejects.csv"),
        "file,line,reason\n"
    );
}

#[test]
fn rerunning_a_committed_date_changes_nothing() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let before = t.outputs();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["already committed", "nothing changed"]);
    assert!(
        before == t.outputs(),
        "a rerun changed the outputs or the ledger"
    );
}

#[test]
fn same_inputs_give_identical_bytes() {
    let a = Fixture::new();
    let b = Fixture::new();
    a.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    b.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let strip = |f: &Fixture| -> Vec<(String, Vec<u8>)> {
        f.outputs()
            .into_iter()
            .filter(|(n, _)| !n.ends_with(".sqlite"))
            .collect()
    };
    assert!(strip(&a) == strip(&b));
}

#[test]
fn an_earlier_date_is_refused_and_nothing_is_written() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-20"])
        .failure(1)
        .stderr_has(&["2026-11-20 is earlier than the last committed cycle 2026-11-24"]);
    assert!(!t.path("out/test/2026-11-20").exists());
}

#[test]
fn next_cycles_continue_from_the_ledger() {
    let t = Fixture::new();
    t.write(
        "events.csv",
        "contact_id,event,date\n2,added_to_cart,2026-11-25\n1,purchased,2026-11-30\n",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    // Bob's cart reminder is due 11-28 but the cap (7 days since 11-24) holds it until 12-01.
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-28", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["totals"]["held"], 1);
    assert_eq!(v["summary"]["totals"]["issued"], 0);
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-01"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-12-01/manifest.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1][2].as_str(), rows[1][3].as_str()), ("2", "cart"));
    // Catalogs: 14 days after the welcome (a trigger piece does not move the sequence), and
    // Bob's cart piece on 12-01 is 7 days back, so the cap lets his catalog through; Ann purchased.
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-08"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-12-08/manifest.csv"));
    let got: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[2].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("5", "catalog"),
            ("2", "catalog"),
            ("4", "catalog"),
            ("3", "catalog")
        ]
    );
    let h = t
        .dripmail(["history", "campaign.toml", "--contact", "2"])
        .success();
    assert!(
        h.stdout.contains("welcome") && h.stdout.contains("cart"),
        "{}",
        h.stdout
    );
    let h = t.dripmail(["history", "campaign.toml"]).success();
    assert!(h.stdout.contains("4 committed cycles"), "{}", h.stdout);
}

#[test]
fn dry_run_writes_and_commits_nothing() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"])
        .success()
        .stdout_has(&["dry run"]);
    assert!(t.outputs().iter().all(|(n, _)| !n.contains("2026-11-24")));
    assert!(!t.path("ledger.sqlite").exists());
}

#[test]
fn capacity_carries_over_and_suppression_and_households_apply() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "min_gap_days = 7",
        "min_gap_days = 7\nmax_pieces_per_cycle = 2",
    );
    t.write(
        "do-not-mail.csv",
        "id,address1,postal_code\n4,,\n,400 Oak Avenue,60614\n",
    );
    t.write(
        "contacts.csv",
        &format!(
            "{}6,Jo,Moss,9 LAKE DRIVE.,Boston,MA,02134,US,2026-11-04,retail\n",
            crate::util::CONTACTS
        ),
    );
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let totals = &v["summary"]["totals"];
    assert_eq!(
        (totals["issued"].as_u64(), totals["carried_over"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (totals["suppressed"].as_u64(), totals["duplicate"].as_u64()),
        (Some(2), Some(1))
    );
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    // Bob is suppressed by address, Carla by id; Jo (6) is Dan's household duplicate.
    // Capacity 2 of Ann (1), Giulia (3) and Dan (5): the two due longest ago, Ann and Giulia,
    // printed in presort order (US before international).
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(ids, ["1", "3"]);
}

#[test]
fn imb_serials_are_unique_and_continue_across_cycles() {
    let t = Fixture::new();
    t.add_imb("123456");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let header = &rows[0];
    let imb = header.iter().position(|h| h == "imb").unwrap();
    let bars = header.iter().position(|h| h == "imb_bars").unwrap();
    let mut codes = Vec::new();
    for r in &rows[1..] {
        if r[15] == "IT" {
            // No IMb for mail abroad.
            assert!(r[imb].is_empty() && r[bars].is_empty());
            continue;
        }
        assert_eq!(r[imb].len(), 20 + 5, "{r:?}");
        assert!(r[imb].starts_with("00301123456"));
        assert!(r[imb].ends_with(&r[14][..5]));
        assert_eq!(r[bars].len(), 65);
        assert_eq!(
            r[bars],
            dripmail::imb::encode(&r[imb][..20], &r[imb][20..]).unwrap()
        );
        codes.push(r[imb][11..20].to_string());
    }
    assert_eq!(codes.len(), 4);
    // The next cycle's serials carry on; none is reused.
    t.write(
        "events.csv",
        "contact_id,event,date\n1,added_to_cart,2026-11-26\n2,added_to_cart,2026-11-26\n",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-01"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-12-01/manifest.csv"));
    for r in &rows[1..] {
        codes.push(r[rows[0].iter().position(|h| h == "imb").unwrap()][11..20].to_string());
    }
    assert_eq!(codes.len(), 6);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6, "{codes:?}");
}

#[test]
fn a_bad_imb_section_is_refused() {
    let t = Fixture::new();
    t.add_imb("12345");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&["mailer_id", "6 digits"]);
}

#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let outputs: Vec<Vec<(String, Vec<u8>)>> = ["1", "2", "3"]
        .iter()
        .map(|threads| {
            let t = Fixture::new();
            t.replace(
                "campaign.toml",
                "max_pieces_per_file = 2",
                "max_pieces_per_file = 1",
            );
            let out = t
                .command(["run", "campaign.toml", "--date", "2026-11-24"])
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            assert!(out.status.success());
            t.outputs()
                .into_iter()
                .filter(|(n, _)| !n.ends_with(".sqlite"))
                .collect()
        })
        .collect();
    assert_eq!(outputs[0].len(), 13, "5 PDFs, 7 reports and the ticket");
    assert!(outputs[0] == outputs[1] && outputs[1] == outputs[2]);
}

#[test]
fn postage_is_printed_per_destination_and_mail_abroad_without_any_is_held() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "[sender]",
        "[postage.domestic]\nclass = \"USPS Marketing Mail\"\nindicia = [\"PRSRT MKTG\", \"PERMIT NO. 9\"]\n\n[sender]",
    );
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let summary: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let held: Vec<_> = summary["summary"]["not_issued"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "no_postage")
        .collect();
    // Giulia (contact 3) lives in Italy: no [postage.international], so her piece is held.
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["contact_id"], "3");
    assert!(
        held[0]["reason"]
            .as_str()
            .unwrap()
            .contains("[postage] names no postage for mail to IT"),
        "{}",
        held[0]["reason"]
    );
    let manifest = t.read("out/test/2026-11-24/manifest.csv");
    let header: Vec<&str> = manifest.lines().next().unwrap().split(',').collect();
    let class = header.iter().position(|h| *h == "mail_class").unwrap();
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r[class] == "USPS Marketing Mail" && r[2] != "3")
    );
    // The indicia box prints the destination's lines.
    let first = &rows[0];
    let doc = lopdf::Document::load(t.path(&format!("out/test/2026-11-24/{}", first[5]))).unwrap();
    let text = doc.extract_text(&[2]).unwrap();
    assert!(text.contains("PERMIT NO. 9"), "{text}");
    // With international postage the Italian piece goes out under its own class.
    t.replace(
        "campaign.toml",
        "[sender]",
        "[postage.international]\nclass = \"First-Class Mail International\"\nindicia = [\"INTL PERMIT 9\"]\n\n[sender]",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-01"])
        .success();
    let manifest = t.read("out/test/2026-12-01/manifest.csv");
    let giulia = manifest
        .lines()
        .find(|l| l.split(',').nth(2) == Some("3"))
        .expect("contact 3 mailed in the next cycle");
    assert!(
        giulia.contains("First-Class Mail International"),
        "{giulia}"
    );
    // Each file holds one class: her file has no domestic piece.
    let file = giulia.split(',').nth(5).unwrap();
    assert!(
        manifest
            .lines()
            .filter(|l| l.split(',').nth(5) == Some(file))
            .all(|l| l.contains("First-Class Mail International")),
        "{manifest}"
    );
}

/// (contact, step, outcome) of every decision in the ledger, sorted.
fn decisions(t: &Fixture) -> Vec<(String, String, String)> {
    let c = rusqlite::Connection::open(t.path("ledger.sqlite")).unwrap();
    let mut s = c
        .prepare("SELECT contact_id, step, outcome FROM decisions ORDER BY contact_id, step")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Reverses the contacts file's rows and runs cycle 2026-11-24 on one thread: what is drawn
/// from the ids (holdouts, variants) must come out the same.
fn run_reversed_on_one_thread(t: &Fixture) {
    let text = t.read("contacts.csv");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    t.write("contacts.csv", &(lines.join("\n") + "\n"));
    let out = t
        .command(["run", "campaign.toml", "--date", "2026-11-24"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn a_holdout_group_is_recorded_not_printed_and_the_same_in_any_row_order() {
    let t = Fixture::new();
    t.many_contacts(60);
    t.replace("campaign.toml", "[sender]", "holdout = 0.3\n\n[sender]");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["held out: ", "control group"]);
    let held: Vec<String> = decisions(&t)
        .into_iter()
        .filter(|d| d.2 == "holdout")
        .map(|d| d.0)
        .collect();
    assert!((8..30).contains(&held.len()), "{}", held.len());
    // Nobody held out is in the manifest; everyone else is.
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let mailed: Vec<&String> = rows[1..].iter().map(|r| &r[2]).collect();
    assert_eq!(mailed.len() + held.len(), 60);
    assert!(held.iter().all(|h| !mailed.contains(&h)));
    let summary: serde_json::Value =
        serde_json::from_str(&t.read("out/test/2026-11-24/summary.json")).unwrap();
    assert_eq!(summary["totals"]["holdout"], held.len());
    // The same group with the rows reversed, on another thread count.
    let u = Fixture::new();
    u.many_contacts(60);
    u.replace("campaign.toml", "[sender]", "holdout = 0.3\n\n[sender]");
    run_reversed_on_one_thread(&u);
    assert_eq!(decisions(&u), decisions(&t));
    // Timed as if mailed: the held-out contacts' catalog comes up with everyone's, and
    // is held out again (the campaign's group gets nothing).
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-08"])
        .success();
    let catalog: Vec<(String, String, String)> = decisions(&t)
        .into_iter()
        .filter(|d| d.1 == "catalog")
        .collect();
    assert_eq!(catalog.len(), 60);
    assert!(
        catalog
            .iter()
            .all(|d| (d.2 == "holdout") == held.contains(&d.0))
    );
    t.dripmail(["history", "campaign.toml", "--contact", &held[0]])
        .success()
        .stdout_has(&["holdout"]);
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&[&format!("({} held out)", held.len())]);
}

#[test]
fn a_piece_due_too_long_ago_expires_instead_of_going_out_late() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\nexpires_after_days = 14",
    );
    // A missed month: the welcome fell due on enrolment (Nov 1-3), 28+ days before.
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-12-01",
        "--contact",
        "1",
    ])
    .success()
    .stdout_has(&["expired", "expires_after_days"]);
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-01"])
        .success()
        .stdout_has(&["expired: 5 pieces"]);
    assert!(
        decisions(&t)
            .iter()
            .filter(|d| d.1 == "welcome")
            .all(|d| d.2 == "expired")
    );
    assert!(
        !t.path("out/test/2026-12-01/welcome-postcard-6x4-001.pdf")
            .exists()
    );
    // The sequence moved on: the catalog is due 14 days after the expiry.
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-15"])
        .success();
    assert!(
        t.path("out/test/2026-12-15/catalog-flyer-letter-001.pdf")
            .exists()
    );
}

#[test]
fn ab_variants_are_assigned_once_recorded_and_printed_apart() {
    let variants = "id = \"welcome\"\nlayout = \"postcard-6x4\"\n\n[[steps.variants]]\nid = \"a\"\n\n[[steps.variants]]\nid = \"b\"\nweight = 2\nlayout = \"postcard-6x9\"\nfields = { headline = \"Hello from B\" }\n";
    let setup = |t: &Fixture| {
        t.many_contacts(60);
        t.replace(
            "campaign.toml",
            "id = \"welcome\"\nlayout = \"postcard-6x4\"\n",
            variants,
        );
        t.replace(
            "campaign.toml",
            "max_pieces_per_file = 2",
            "max_pieces_per_file = 500",
        );
    };
    let t = Fixture::new();
    setup(&t);
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let by_variant = |v: &str| rows[1..].iter().filter(|r| r[col("variant")] == v).count();
    let (a, b) = (by_variant("a"), by_variant("b"));
    assert_eq!(a + b, 60);
    // Weights 1 and 2: about a third and two thirds.
    assert!((10..32).contains(&a), "{a} of 60 are A");
    // Each variant's pieces are files of their own, in its layout.
    for r in &rows[1..] {
        let v = &r[col("variant")];
        let want = if v == "a" {
            "welcome-a-postcard-6x4-001.pdf"
        } else {
            "welcome-b-postcard-6x9-001.pdf"
        };
        assert_eq!(r[col("file")], *want);
    }
    // The tickets say which file is which variant.
    let ticket = t.read("out/test/2026-11-24/job-ticket.txt");
    assert!(
        ticket.contains("Step:    welcome, variant b (layout postcard-6x9)"),
        "{ticket}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&t.read("out/test/2026-11-24/jobticket.json")).unwrap();
    assert!(
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["variant"] == "a" && f["layout"] == "postcard-6x4")
    );
    // The ledger records each piece's variant, as the manifest says.
    let c = rusqlite::Connection::open(t.path("ledger.sqlite")).unwrap();
    for r in &rows[1..] {
        let v: String = c
            .query_row(
                "SELECT variant FROM decisions WHERE piece_id = ?1",
                [&r[col("piece_id")]],
                |x| x.get(0),
            )
            .unwrap();
        assert_eq!(v, r[col("variant")]);
    }
    // The same assignment with the rows reversed and one thread.
    let u = Fixture::new();
    setup(&u);
    run_reversed_on_one_thread(&u);
    let again = csv_rows(&u.read("out/test/2026-11-24/manifest.csv"));
    let assigned = |rows: &[Vec<String>]| {
        let mut v: Vec<(String, String)> = rows[1..]
            .iter()
            .map(|r| (r[col("contact_id")].clone(), r[col("variant")].clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(assigned(&rows), assigned(&again));
    // A B piece reprints as B; plan and history say which variant.
    let piece = rows[1..].iter().find(|r| r[col("variant")] == "b").unwrap();
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--piece",
        &piece[col("piece_id")],
    ])
    .success()
    .stdout_has(&["welcome-b-postcard-6x9-reprint.pdf"]);
    t.dripmail([
        "history",
        "campaign.toml",
        "--contact",
        &piece[col("contact_id")],
    ])
    .success()
    .stdout_has(&["variant b", "exposures: 1 piece received"]);
    let fresh = Fixture::new();
    setup(&fresh);
    fresh
        .dripmail([
            "plan",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--contact",
            &piece[col("contact_id")],
        ])
        .success()
        .stdout_has(&["(variant b)"]);
    // One variant is no test.
    let one = Fixture::new();
    one.replace(
        "campaign.toml",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\n",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\n\n[[steps.variants]]\nid = \"a\"\n",
    );
    one.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&["one variant is no test"]);
}

/// A deterministic uniform draw in [0, 1) from `seed` (xorshift64*), for synthetic responses.
fn uniform(seed: u64) -> f64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..4 {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
    }
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn the_report_recovers_a_known_lift_within_its_interval() {
    let t = Fixture::new();
    t.many_contacts(1500);
    t.replace(
        "campaign.toml",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\n",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\n\n[[steps.variants]]\nid = \"a\"\n\n[[steps.variants]]\nid = \"b\"\nfields = { headline = \"B\" }\n",
    );
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 1000\nholdout = 0.2",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--quiet"])
        .success();
    // True response rates: holdout 4 %, variant A 8 %, variant B 14 %.
    let c = rusqlite::Connection::open(t.path("ledger.sqlite")).unwrap();
    let mut s = c
        .prepare(
            "SELECT contact_id, outcome, variant, piece_id FROM decisions WHERE step = 'welcome'",
        )
        .unwrap();
    let rows: Vec<(String, String, Option<String>, Option<String>)> = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1500);
    let mut csv = String::from("customer_id,offer_code,order_date,order_total\n");
    let mut responders = std::collections::HashMap::<&str, u64>::new();
    for (i, (id, outcome, variant, piece)) in rows.iter().enumerate() {
        let group = match (outcome.as_str(), variant.as_deref()) {
            ("holdout", _) => "control",
            (_, Some("a")) => "a",
            _ => "b",
        };
        let p = match group {
            "control" => 0.04,
            "a" => 0.08,
            _ => 0.14,
        };
        let u = uniform(id.parse::<u64>().unwrap());
        if u < p {
            *responders.entry(group).or_default() += 1;
            let day = 1 + (uniform(i as u64 + 7) * 60.0) as u64;
            // Half the mailed responders quote their offer code instead of their id.
            let by_code = piece.is_some() && i % 2 == 0;
            csv.push_str(&format!(
                "{},{},2026-11-24 +{day},{}\n",
                if by_code { "" } else { id },
                if by_code {
                    piece.as_deref().unwrap()
                } else {
                    ""
                },
                "49.90"
            ));
        }
    }
    // Dates as day offsets: rewrite them as real dates.
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let csv: String = csv
        .lines()
        .map(|l| match l.split_once(" +") {
            Some((head, rest)) => {
                let (day, tail) = rest.split_once(',').unwrap();
                format!(
                    "{}{},{tail}\n",
                    head.trim_end_matches("2026-11-24"),
                    base + chrono::Days::new(day.parse().unwrap())
                )
            }
            None => format!("{l}\n"),
        })
        .collect();
    t.write("orders.csv", &csv);
    let o = t
        .dripmail([
            "report",
            "campaign.toml",
            "--responses",
            "orders.csv",
            "--cost-per-piece",
            "0.62",
            "--csv",
            "report.csv",
            "--chart",
            "report.svg",
            "--json",
        ])
        .success();
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let steps = doc["steps"].as_array().unwrap();
    let find = |variant: Option<&str>| {
        steps
            .iter()
            .find(|l| l["step"] == "welcome" && l["variant"].as_str() == variant)
            .unwrap()
            .clone()
    };
    let total_responders: u64 = responders.values().sum();
    assert_eq!(doc["attribution"]["attributed"], total_responders);
    assert_eq!(doc["attribution"]["unmatched"], 0);
    for (variant, true_lift) in [(Some("a"), 0.04), (Some("b"), 0.10), (None, 0.07)] {
        let l = find(variant);
        let (low, high) = (
            l["lift_low"].as_f64().unwrap(),
            l["lift_high"].as_f64().unwrap(),
        );
        assert!(
            low <= true_lift && true_lift <= high,
            "{variant:?}: true lift {true_lift} outside [{low}, {high}]"
        );
        assert!(
            high - low < 0.08,
            "{variant:?}: interval too wide to tell anything"
        );
    }
    assert_eq!(find(Some("a"))["responders"], responders["a"]);
    assert_eq!(find(None)["holdout_responders"], responders["control"]);
    // B beats A: its interval is above A's estimate.
    assert!(
        find(Some("b"))["lift_low"].as_f64().unwrap() > 0.0,
        "B's lift is clear of zero"
    );
    // The CSV and the chart say the same.
    let report = t.read("report.csv");
    assert!(report.starts_with("step,variant,pieces,responders"));
    assert_eq!(
        report.lines().count(),
        1 + 3 + 1,
        "header, welcome, a, b, total"
    );
    let svg = t.read("report.svg");
    assert!(svg.starts_with("<svg") && svg.contains("welcome/b") && svg.contains("holdout"));
    // The table for people.
    t.dripmail(["report", "campaign.toml", "--responses", "orders.csv"])
        .success()
        .stdout_has(&["lift [95 % CI]", "welcome/a", "exposures", "Newcombe"]);
}

#[test]
fn a_responses_file_it_cannot_use_is_named_with_the_fix() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    t.write("orders.csv", "customer,when\n1,2026-11-30\n");
    t.dripmail(["report", "campaign.toml", "--responses", "orders.csv"])
        .failure(1)
        .stderr_has(&["orders.csv", "date"]);
    t.write("orders.csv", "customer_id,date,revenue\n1,2026-11-30,12.50\n2,yesterday,3\n3,2026-12-01,lots\n99,2026-12-01,1\n");
    t.dripmail(["report", "campaign.toml", "--responses", "orders.csv"])
        .success()
        .stdout_has(&[
            "orders.csv:3: `date`",
            "orders.csv:4: revenue `lots`",
            "unmatched: 1",
            "lines 5",
        ]);
}

#[test]
fn the_forecast_of_eight_cycles_is_what_eight_runs_then_issue() {
    let t = Fixture::new();
    let mut contacts = String::from(
        "id,first_name,last_name,address1,city,state,postal_code,country,enrolled_on,segment\n",
    );
    let mut events = String::from("contact_id,event,date\n");
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    for i in 1..=150u64 {
        let enrolled = base + chrono::Days::new(i % 45);
        contacts.push_str(&format!(
            "{i},Ann{i},Lee{i},{i} Main St,Springfield,IL,62701,US,{enrolled},retail\n"
        ));
        if i % 7 == 0 {
            let day = base + chrono::Days::new(9 + i % 30);
            events.push_str(&format!("{i},added_to_cart,{day}\n"));
        }
        if i % 11 == 0 {
            let day = base + chrono::Days::new(35 + i % 20);
            events.push_str(&format!("{i},purchased,{day}\n"));
        }
    }
    t.write("contacts.csv", &contacts);
    t.write("events.csv", &events);
    t.replace(
        "campaign.toml",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\n",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\n\n[[steps.variants]]\nid = \"a\"\n\n[[steps.variants]]\nid = \"b\"\nfields = { headline = \"B\" }\n",
    );
    t.replace(
        "campaign.toml",
        "trigger = \"added_to_cart\"",
        "trigger = \"added_to_cart\"\nexpires_after_days = 10",
    );
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 500\nmax_pieces_per_cycle = 40\nholdout = 0.1",
    );
    let o = t
        .dripmail([
            "forecast",
            "campaign.toml",
            "--weeks",
            "8",
            "--from",
            "2026-11-24",
            "--json",
        ])
        .success();
    let forecast: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let cycles = forecast["cycles"].as_array().unwrap();
    assert_eq!(cycles.len(), 8);
    let mut issued_somewhere = 0;
    for c in cycles {
        let date = c["date"].as_str().unwrap();
        let o = t
            .dripmail([
                "run",
                "campaign.toml",
                "--date",
                date,
                "--allow-future-date",
                "--json",
                "--quiet",
            ])
            .success();
        let run: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
        let totals = &run["summary"]["totals"];
        for (f, r) in [
            ("pieces", "issued"),
            ("holdout", "holdout"),
            ("expired", "expired"),
            ("skipped", "skipped"),
            ("held", "held"),
            ("carried_over", "carried_over"),
        ] {
            assert_eq!(c[f], totals[r], "{date}: forecast {f} vs run {r}");
        }
        // Piece for piece by step, variant and layout: the run's files add up to the rows.
        let mut want: Vec<(String, String, String, u64)> = c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["step"].as_str().unwrap().to_string(),
                    r["variant"].as_str().unwrap_or("").to_string(),
                    r["layout"].as_str().unwrap().to_string(),
                    r["pieces"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut got: std::collections::BTreeMap<(String, String, String), u64> = Default::default();
        for f in run["summary"]["files"].as_array().unwrap() {
            *got.entry((
                f["step"].as_str().unwrap().to_string(),
                f["variant"].as_str().unwrap_or("").to_string(),
                f["layout"].as_str().unwrap().to_string(),
            ))
            .or_default() += f["pieces"].as_u64().unwrap();
        }
        let mut got: Vec<(String, String, String, u64)> =
            got.into_iter().map(|((a, b, c), n)| (a, b, c, n)).collect();
        want.sort();
        got.sort();
        assert_eq!(want, got, "{date}");
        issued_somewhere += c["pieces"].as_u64().unwrap();
        assert!(c["carried_over"].as_u64().unwrap() > 0 || date != "2026-11-24");
    }
    assert!(issued_somewhere > 100, "{issued_somewhere}");
    // The rules the forecast must follow were all at work.
    let sum = |k: &str| cycles.iter().map(|c| c[k].as_u64().unwrap()).sum::<u64>();
    assert!(sum("holdout") > 0 && sum("expired") > 0 && sum("carried_over") > 0);
}
