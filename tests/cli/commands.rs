//! `plan`, `validate`, `history`, `init`, usage errors and `--json`.

use crate::util::Fixture;

#[test]
fn usage_errors_exit_2() {
    let t = Fixture::new();
    t.dripmail(["frobnicate"]).failure(2);
    t.dripmail(["run"]).failure(2);
    t.dripmail(["run", "campaign.toml", "--date", "24/11/2026"])
        .failure(2)
        .stderr_has(&["YYYY-MM-DD"]);
    t.dripmail(["--help"])
        .success()
        .stdout_has(&["run", "plan", "validate", "history", "init"]);
}

#[test]
fn plan_writes_nothing_and_explains_a_contact() {
    let t = Fixture::new();
    t.write(
        "events.csv",
        "contact_id,event,date\n2,added_to_cart,2026-11-01\n5,purchased,2026-11-20\n",
    );
    t.dripmail(["plan", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["welcome", "cart", "plan only"]);
    assert!(t.outputs().is_empty());
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--contact",
        "2",
    ])
    .success()
    .stdout_has(&[
        "cart",
        "issued",
        "welcome",
        "carried_over",
        "one piece per cycle",
    ]);
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--contact",
        "5",
    ])
    .success()
    .stdout_has(&["exit event"]);
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--contact",
        "77",
    ])
    .failure(1)
    .stderr_has(&["no contact `77`", "no row has that id"]);
    // A row that is in the file but rejected: its line and why, not "no contact".
    t.replace(
        "contacts.csv",
        "4,Carla,Diaz,77 Elm Street",
        "4,Carla,Diaz,",
    );
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--contact",
        "4",
    ])
    .success()
    .stdout_has(&[
        "contact `4`",
        "contacts.csv line 5",
        "is rejected",
        "no street address",
    ]);
    let out = t
        .dripmail(["history", "campaign.toml", "--contact", "4", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (&v["status"], &v["line"]),
        (&"rejected".into(), &5.into()),
        "{v}"
    );
    t.dripmail(["history", "campaign.toml", "--contact", "99999"])
        .failure(1)
        .stderr_has(&["no contact `99999`", "the ledger has nothing for it"]);
    t.replace(
        "contacts.csv",
        "4,Carla,Diaz,",
        "4,Carla,Diaz,77 Elm Street",
    );
    // Bob's cart piece and three welcomes; Dan purchased.
    let out = t
        .dripmail(["plan", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["plan"]["totals"]["issued"], 4);
    assert_eq!(v["plan"]["totals"]["exited"], 1);
}

#[test]
fn plan_reads_the_ledger_run_wrote() {
    let t = Fixture::new();
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--ledger",
        "elsewhere/ledger.sqlite",
    ])
    .success();
    // Same --ledger: the welcome pieces are done, nothing is due a week later.
    let out = t
        .dripmail([
            "plan",
            "campaign.toml",
            "--date",
            "2026-12-01",
            "--ledger",
            "elsewhere/ledger.sqlite",
            "--json",
        ])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["plan"]["totals"]["issued"], 0);
    // Another ledger knows nothing of it.
    let out = t
        .dripmail([
            "plan",
            "campaign.toml",
            "--date",
            "2026-12-01",
            "--ledger",
            "other.sqlite",
            "--json",
        ])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["plan"]["totals"]["issued"], 5);
}

#[test]
fn validate_reports_rejects_and_warnings() {
    let t = Fixture::new();
    t.write(
        "contacts.csv",
        &format!(
            "{}6,Eve,Ray,,Madison,WI,53703,US,2026-11-01,retail\n",
            crate::util::CONTACTS
        ),
    );
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&[
            "reject: contacts.csv:7:",
            "address1",
            "ok:",
            "warning:",
            "added_to_cart",
        ]);
    let out = t
        .dripmail(["validate", "campaign.toml", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["rejects"][0]["line"], 7);
}

#[test]
fn history_without_a_ledger() {
    let t = Fixture::new();
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&["no cycles committed yet"]);
}

#[test]
fn init_writes_a_campaign_that_runs_and_never_overwrites() {
    let t = Fixture::new();
    t.dripmail(["init", "starter"])
        .success()
        .stdout_has(&["starter/campaign.toml"]);
    t.dripmail(["validate", "starter/campaign.toml"]).success();
    t.dripmail(["run", "starter/campaign.toml", "--date", "2026-02-01"])
        .success()
        .stdout_has(&["committed"]);
    assert!(
        t.path("starter/out/starter/2026-02-01/manifest.csv")
            .exists()
    );
    assert!(t.path("starter/layouts/postcard-6x4.toml").exists());
    assert!(t.path("starter/fonts/LICENSE-DejaVu.txt").exists());
    // Brand-neutral: no sample brand in its copy, links or art; every key explained.
    let campaign = t.read("starter/campaign.toml");
    assert!(campaign.contains("# [columns]") && campaign.contains("docs/campaign.md"));
    for layout in ["postcard-6x4", "postcard-6x9", "flyer-letter", "flyer-a4"] {
        let text = t.read(&format!("starter/layouts/{layout}.toml"));
        assert!(!text.to_lowercase().contains("bottega"), "{layout}");
        let art =
            std::fs::read(t.path(&format!("starter/layouts/art/{layout}-front.jpg"))).unwrap();
        let shipped =
            std::fs::read(crate::util::repo().join(format!("layouts/art/{layout}-front.jpg")))
                .unwrap();
        assert_ne!(art, shipped, "{layout}: the sample brand's art");
    }
    let manifest = t.read("starter/out/starter/2026-02-01/manifest.csv");
    assert!(manifest.contains("https://example.com/r/"), "{manifest}");
    t.dripmail(["init", "starter"])
        .failure(1)
        .stderr_has(&["already exists"]);
}

#[test]
fn builtin_layouts_work_without_a_layouts_key() {
    let t = Fixture::new();
    let c = t.read("campaign.toml");
    let start = c.find("layouts = ").unwrap();
    let end = start + c[start..].find('\n').unwrap() + 1;
    t.write("campaign.toml", &format!("{}{}", &c[..start], &c[end..]));
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
}

#[test]
fn the_shipped_sample_runs() {
    let t = Fixture::new();
    let out = t.run_sample(true).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let totals = &v["summary"]["totals"];
    assert!(totals["issued"].as_u64().unwrap() > 100);
    assert!(totals["rejected"].as_u64().unwrap() >= 5);
    assert!(
        totals["suppressed"].as_u64().unwrap() >= 1 && totals["duplicate"].as_u64().unwrap() == 1
    );
    assert!(totals["exited"].as_u64().unwrap() >= 1);
    let steps = v["summary"]["steps"].as_array().unwrap();
    let cart = steps.iter().find(|s| s["step"] == "cart-rescue").unwrap();
    assert!(cart["issued"].as_u64().unwrap() > 0);
}

#[test]
fn reprint_gives_the_same_pages_and_barcode_without_touching_the_ledger() {
    let t = Fixture::new();
    t.add_imb("123456");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = crate::util::csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let piece = rows[1][1].clone();
    let bars = rows[1][rows[0].iter().position(|h| h == "imb_bars").unwrap()].clone();
    let ledger = std::fs::read(t.path("ledger.sqlite")).unwrap();
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--piece",
        &piece,
    ])
    .success()
    .stdout_has(&["welcome-postcard-6x4-reprint.pdf", "(1 piece, 2 pages)"]);
    assert_eq!(std::fs::read(t.path("ledger.sqlite")).unwrap(), ledger);
    // The reprinted page carries the same barcode: its bars are drawn from the stored code.
    let doc = lopdf::Document::load(
        t.path("out/test/reprints/2026-11-24/001/welcome-postcard-6x4-reprint.pdf"),
    )
    .unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    let back = doc.get_pages()[&2];
    let content = String::from_utf8_lossy(&doc.get_page_content(back)).into_owned();
    // Read the bars back from the rectangles drawn: height tells full and tracker apart, the
    // bottom edge ascenders from descenders.
    let mut rects: Vec<[f64; 4]> = content
        .lines()
        .filter(|l| l.ends_with(" re"))
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .take(4)
                .map(|x| x.parse().unwrap())
                .collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect();
    assert_eq!(rects.len(), 65);
    rects.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let bottom = rects.iter().map(|r| r[1]).fold(f64::MAX, f64::min);
    let read: String = rects
        .iter()
        .map(
            |r| match (r[3] > 10.0, r[3] < 4.0, (r[1] - bottom).abs() < 0.01) {
                (true, _, _) => 'F',
                (_, true, _) => 'T',
                (_, _, true) => 'D',
                _ => 'A',
            },
        )
        .collect();
    assert_eq!(read, bars);
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--piece",
        "nope",
    ])
    .failure(1)
    .stderr_has(&["no piece `nope`"]);
}

#[test]
fn completions_and_man_page() {
    let t = Fixture::new();
    t.dripmail(["completions", "bash"])
        .success()
        .stdout_has(&["dripmail", "reprint"]);
    t.dripmail(["man"])
        .success()
        .stdout_has(&[".TH", "dripmail"]);
}

#[test]
fn a_reprint_is_what_was_mailed_whatever_the_contacts_file_says_now() {
    let t = Fixture::new();
    t.add_imb("123456");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = crate::util::csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let ann = rows[1..].iter().find(|r| r[2] == "1").unwrap()[1].clone();
    let ledger = std::fs::read(t.path("ledger.sqlite")).unwrap();
    let reprint = |t: &Fixture| {
        t.dripmail([
            "reprint",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--piece",
            &ann,
        ])
    };
    let pdf = |n: &str| {
        std::fs::read(t.path(&format!(
            "out/test/reprints/2026-11-24/{n}/welcome-postcard-6x4-reprint.pdf"
        )))
        .unwrap()
    };
    reprint(&t)
        .success()
        .stdout_has(&["reprints/2026-11-24/001", "rendered from the rows recorded"]);
    // Ann moved and changed her name: the reprint is still what was mailed, byte for byte,
    // in a new folder (the first one is kept).
    t.replace(
        "contacts.csv",
        "1,Ann,Lee,12 Main St,Springfield,IL,62701",
        "1,Annie,Lee-Park,9 New Rd,Chicago,IL,60614",
    );
    reprint(&t)
        .success()
        .stdout_has(&["reprints/2026-11-24/002"]);
    assert_eq!(pdf("002"), pdf("001"));
    let manifest = crate::util::csv_rows(&t.read("out/test/reprints/2026-11-24/002/manifest.csv"));
    let col = |name: &str| manifest[0].iter().position(|h| h == name).unwrap();
    let row = &manifest[1];
    assert_eq!(
        (
            &row[col("piece_id")][..],
            &row[col("name")][..],
            &row[col("address1")][..],
            &row[col("postal_code")][..]
        ),
        (ann.as_str(), "Ann Lee", "12 Main St", "62701")
    );
    // The barcode issued, not a new serial.
    assert_eq!(
        row[col("imb")],
        rows[1..].iter().find(|r| r[2] == "1").unwrap()
            [rows[0].iter().position(|h| h == "imb").unwrap()]
    );
    let ticket = t.read("out/test/reprints/2026-11-24/002/job-ticket.txt");
    assert!(
        ticket.contains("REPRINT TICKET") && ticket.contains("never\nas well as it"),
        "{ticket}"
    );
    // Ann's row left the file: still reprinted, as mailed.
    t.write(
        "contacts.csv",
        &crate::util::CONTACTS.replace(
            "1,Ann,Lee,12 Main St,Springfield,IL,62701,US,2026-11-01,retail\n",
            "",
        ),
    );
    reprint(&t).success();
    assert_eq!(pdf("003"), pdf("001"));
    assert_eq!(std::fs::read(t.path("ledger.sqlite")).unwrap(), ledger);
    // The step was renamed: refused, and no folder is left.
    t.write("contacts.csv", crate::util::CONTACTS);
    t.replace("campaign.toml", "id = \"welcome\"", "id = \"hello\"");
    reprint(&t).failure(1).stderr_has(&[&format!(
        "piece `{ann}` is of step `welcome`, which the campaign no longer has"
    )]);
    let folders: Vec<String> = std::fs::read_dir(t.path("out/test/reprints/2026-11-24"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut folders = folders;
    folders.sort();
    assert_eq!(folders, ["001", "002", "003"]);
}

#[test]
fn plan_and_dry_run_never_point_at_files_they_did_not_write() {
    let t = Fixture::new();
    t.write(
        "contacts.csv",
        &format!(
            "{}6,Eve,Ray,,Madison,WI,53703,US,2026-11-01,retail\n",
            crate::util::CONTACTS
        ),
    );
    for args in [
        ["plan", "campaign.toml", "--date", "2026-11-24", ""],
        ["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"],
    ] {
        let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
        let out: crate::util::Output = t.command([""; 0]).args(&args).output().unwrap().into();
        let out = out.success();
        assert!(!out.stdout.contains("rejects.csv"), "{}", out.stdout);
        assert!(!out.stdout.contains("summary.json"), "{}", out.stdout);
        assert!(
            out.stdout.contains("`dripmail validate` lists them"),
            "{}",
            out.stdout
        );
    }
    // A committed run wrote them: it points at them.
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["see rejects.csv", "3 files, 10 pages"]);
}

#[test]
fn plan_says_which_list_suppresses_and_which_contact_a_duplicate_yields_to() {
    let t = Fixture::new();
    t.write(
        "do-not-mail.csv",
        "id,address1,postal_code\n,1 Nowhere Rd,00000\n,77 ELM ST.,78701\n",
    );
    t.replace(
        "contacts.csv",
        "5,Dan,Moss,9 Lake Dr,Boston,MA,02134",
        "5,Dan,Stone,400 Oak Avenue,Chicago,IL,60614",
    );
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--contact",
        "4",
    ])
    .success()
    .stdout_has(&["suppressed: on the do-not-mail list `do-not-mail.csv` line 3 (by address)"]);
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--contact",
        "5",
    ])
    .success()
    .stdout_has(&["duplicate: the same household as contact `2` (line 3), who is mailed instead"]);
}
