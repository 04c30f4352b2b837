//! Bad input never crashes: bad rows become rejects; bad files stop the run with exit 1,
//! name the file and line, and leave nothing written or committed.

use crate::util::{Fixture, csv_rows};

/// Runs the cycle expecting exit 1 with `parts` in stderr, and checks nothing was written.
#[track_caller]
fn refused(t: &Fixture, parts: &[&str]) {
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(parts);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        t.outputs().is_empty(),
        "files were written: {:?}",
        t.outputs().iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(parts);
}

#[test]
fn unknown_campaign_key_names_key_and_line() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "min_gap_days = 7",
        "min_gap_days = 7\nmax_piece_per_file = 3",
    );
    refused(&t, &["campaign.toml:10:", "max_piece_per_file"]);
}

#[test]
fn campaign_syntax_error_names_the_line() {
    let t = Fixture::new();
    t.replace("campaign.toml", "min_gap_days = 7", "min_gap_days = ");
    refused(&t, &["campaign.toml:9:"]);
}

#[test]
fn negative_gap_is_refused() {
    let t = Fixture::new();
    t.replace("campaign.toml", "min_gap_days = 7", "min_gap_days = -1");
    refused(&t, &["campaign.toml:9:", "min_gap_days"]);
}

#[test]
fn missing_campaign_file() {
    let t = Fixture::new();
    t.dripmail(["run", "nope.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&["cannot read campaign file `nope.toml`"]);
}

#[test]
fn unknown_layout_names_the_step_and_line() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "layout = \"flyer-letter\"",
        "layout = \"flyer-tabloid\"",
    );
    refused(
        &t,
        &[
            "campaign.toml:",
            "step `catalog`",
            "unknown layout `flyer-tabloid`",
        ],
    );
}

/// A copy of a shipped layout in the fixture, edited, with fonts and art copied beside it.
pub fn local_layout(t: &Fixture, from: &str, to: &str) {
    let repo = crate::util::repo();
    for f in [
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "LiberationSerif-Bold.ttf",
        "LiberationSerif-Regular.ttf",
    ] {
        t.write_bytes(
            &format!("fonts/{f}"),
            &std::fs::read(repo.join("fonts").join(f)).unwrap(),
        );
    }
    t.write_bytes(
        "layouts/art/postcard-6x4-front.jpg",
        &std::fs::read(repo.join("layouts/art/postcard-6x4-front.jpg")).unwrap(),
    );
    let text = std::fs::read_to_string(repo.join("layouts/postcard-6x4.toml")).unwrap();
    assert!(text.contains(from));
    t.write("layouts/postcard-6x4.toml", &text.replacen(from, to, 1));
    let c = t.read("campaign.toml");
    let start = c.find("layouts = ").unwrap();
    let end = start + c[start..].find('\n').unwrap();
    t.write(
        "campaign.toml",
        &format!("{}layouts = \"layouts\"{}", &c[..start], &c[end..]),
    );
    t.replace(
        "campaign.toml",
        "layout = \"flyer-letter\"",
        "layout = \"postcard-6x4\"",
    );
    t.replace(
        "campaign.toml",
        "layout = \"postcard-6x9\"",
        "layout = \"postcard-6x4\"",
    );
}

#[test]
fn a_local_layout_copy_works() {
    let t = Fixture::new();
    local_layout(&t, "stock = ", "stock = ");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
}

#[test]
fn missing_font_names_the_layout_line() {
    let t = Fixture::new();
    local_layout(&t, "DejaVuSans-Bold.ttf", "Missing-Bold.ttf");
    refused(&t, &["postcard-6x4.toml:16:", "Missing-Bold.ttf"]);
}

#[test]
fn missing_image_names_the_element() {
    let t = Fixture::new();
    local_layout(&t, "art/postcard-6x4-front.jpg", "art/nope.jpg");
    refused(&t, &["postcard-6x4.toml:", "art/nope.jpg", "not found"]);
}

#[test]
fn broken_image_is_an_error() {
    let t = Fixture::new();
    local_layout(&t, "stock = ", "stock = ");
    t.write("layouts/art/postcard-6x4-front.jpg", "this is not a jpeg");
    refused(&t, &["postcard-6x4-front.jpg", "not a JPEG or PNG"]);
}

#[test]
fn bad_layout_key_and_element_type() {
    let t = Fixture::new();
    local_layout(&t, "bleed = 0.125", "bleed = 0.125\nblead = 1");
    refused(&t, &["postcard-6x4.toml:", "blead"]);
    let t = Fixture::new();
    local_layout(&t, "type = \"rule\"", "type = \"circle\"");
    refused(&t, &["postcard-6x4.toml:", "unknown element type `circle`"]);
}

#[test]
fn a_field_no_column_provides_stops_the_run_before_printing() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "layout = \"postcard-6x4\"",
        "layout = \"postcard-6x4\"\n[steps.fields]\nheadline = \"Hi {{ nickname }}\"",
    );
    refused(&t, &["step `welcome`", "`nickname`", "no column of"]);
    // With a fallback it runs.
    t.replace(
        "campaign.toml",
        "{{ nickname }}",
        "{{ nickname | default('there') }}",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
}

#[test]
fn a_bad_when_is_refused() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "delay_days = 14",
        "delay_days = 14\nwhen = 'segment =='",
    );
    refused(&t, &["step `catalog`", "`when`"]);
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "delay_days = 14",
        "delay_days = 14\nwhen = 'tier == \"gold\"'",
    );
    refused(&t, &["step `catalog`", "`tier`"]);
}

#[test]
fn missing_contacts_column_or_file() {
    let t = Fixture::new();
    t.write(
        "contacts.csv",
        "id,first_name,last_name,address1,city,postal_code\n1,A,B,1 St,X,1\n",
    );
    // Every missing column at once, with a [columns] section to fill in.
    refused(
        &t,
        &[
            "contacts.csv",
            "no column for `state` and `enrolled_on`",
            "hint: ",
            "[columns]",
            "enrolled_on = ",
        ],
    );
    let t = Fixture::new();
    std::fs::remove_file(t.path("contacts.csv")).unwrap();
    refused(&t, &["cannot read", "contacts.csv"]);
    let t = Fixture::new();
    t.write("do-not-mail.csv", "name\nBob\n");
    refused(&t, &["do-not-mail.csv", "no column `id`"]);
    let t = Fixture::new();
    t.write("events.csv", "who,what\n");
    refused(&t, &["events.csv", "no column `contact_id`"]);
}

#[test]
fn bad_rows_go_to_rejects_and_the_cycle_goes_on() {
    let t = Fixture::new();
    t.write(
        "contacts.csv",
        &format!(
            "{}6,Eve,Ray,,Madison,WI,53703,US,2026-11-01,retail\n7,Fay,Ng,1 Elm St,Madison,WI,53703,US,11/01/2026,retail\n1,Gus,Lee,2 Elm St,Madison,WI,53703,US,2026-11-01,retail\n8,Hal\n9,,,3 Elm St,Madison,WI,53703,US,2026-11-01,retail\n",
            crate::util::CONTACTS
        ),
    );
    t.write(
        "events.csv",
        "contact_id,event,date\n42,purchased,2026-11-01\n2,added_to_cart,yesterday\n",
    );
    t.write("do-not-mail.csv", "id,address1,postal_code\n,,\n");
    // Five of ten contact rows rejected: over the 20 % a run accepts unless told.
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--accept-rejects",
    ])
    .success()
    .stdout_has(&["rejected rows: 8"]);
    let rows = csv_rows(&t.read("out/test/2026-11-24/rejects.csv"));
    let got: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("contacts.csv", "7"),
            ("contacts.csv", "8"),
            ("contacts.csv", "9"),
            ("contacts.csv", "10"),
            ("contacts.csv", "11"),
            ("events.csv", "2"),
            ("events.csv", "3"),
            ("do-not-mail.csv", "2"),
        ]
    );
    let reasons: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert!(reasons[0].contains("address1"), "{reasons:?}");
    assert!(reasons[1].contains("date_format"), "{reasons:?}");
    assert!(reasons[2].contains("already used on line 2"), "{reasons:?}");
    assert!(reasons[3].contains("2 fields"), "{reasons:?}");
    assert!(reasons[4].contains("no name"), "{reasons:?}");
    assert!(reasons[5].contains("`42`"), "{reasons:?}");
    assert_eq!(
        csv_rows(&t.read("out/test/2026-11-24/manifest.csv")).len(),
        6
    );
}

#[test]
fn windows_1252_semicolons_and_bom_are_read() {
    let t = Fixture::new();
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(
        b"Kunde;Vorname;Nachname;Strasse;Ort;PLZ;Land;Seit\n1;Nicol\xf2;Zan\xe8;Via Roma 1;Milano;20121;IT;2026-11-01\n",
    );
    // A BOM with Windows-1252 content is odd but real: spreadsheets mix them.
    t.write_bytes("contacts.csv", &bytes);
    t.replace(
        "campaign.toml",
        "[sender]",
        "[columns]\nid = \"Kunde\"\nfirst_name = \"Vorname\"\nlast_name = \"Nachname\"\naddress1 = \"Strasse\"\ncity = \"Ort\"\npostal_code = \"PLZ\"\ncountry = \"Land\"\nenrolled_on = \"Seit\"\n\n[sender]",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    assert_eq!(rows[1][8], "Nicolò Zanè");
}

#[test]
fn tab_delimited_contacts_are_read() {
    let t = Fixture::new();
    t.write("contacts.csv", &crate::util::CONTACTS.replace(',', "\t"));
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    assert_eq!(
        csv_rows(&t.read("out/test/2026-11-24/manifest.csv")).len(),
        6
    );
}

#[test]
fn a_name_the_font_cannot_draw_is_held_not_printed() {
    let t = Fixture::new();
    t.write(
        "contacts.csv",
        &format!(
            "{}6,张,伟,1 Elm St,Madison,WI,53703,US,2026-11-01,retail\n",
            crate::util::CONTACTS
        ),
    );
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["totals"]["held"], 1);
    assert_eq!(v["summary"]["totals"]["issued"], 5);
    let held = &v["summary"]["not_issued"][0];
    assert_eq!(held["contact_id"], "6");
    assert!(
        held["reason"]
            .as_str()
            .unwrap()
            .contains("has a glyph for `张`"),
        "{held}"
    );
    // Held pieces stay due: not in the ledger, so they come up again next cycle.
    // ...and the ledger records the hold, so history says why nothing was sent.
    let h = t
        .dripmail(["history", "campaign.toml", "--contact", "6"])
        .success();
    assert!(
        h.stdout.contains("2026-11-24  welcome        held     ") && h.stdout.contains("`张`"),
        "{}",
        h.stdout
    );
    let out = t
        .dripmail(["history", "campaign.toml", "--contact", "6", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "contact");
    assert_eq!(v["decisions"].as_array().unwrap().len(), 0);
    assert_eq!(v["holds"][0]["kind"], "missing_glyph", "{v}");
    // A plan says it would be held again, not issued: it sets the piece as a run would.
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-12-01",
        "--contact",
        "6",
    ])
    .success()
    .stdout_has(&["welcome", "held: ", "`张`"]);
}

#[test]
fn garbage_files_never_panic() {
    let t = Fixture::new();
    t.write_bytes(
        "contacts.csv",
        &[0xff, 0xfe, 0x00, 0x01, b'\n', 0x80, b'"', b'\n'],
    );
    let out = t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let t = Fixture::new();
    t.write_bytes("campaign.toml", &[0xff, 0x00, 0x12]);
    let out = t.dripmail(["validate", "campaign.toml"]);
    assert!(
        !out.stderr.contains("panicked") && out.code == 1,
        "{}",
        out.stderr
    );
    let t = Fixture::new();
    t.write("contacts.csv", "");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&["empty"]);
}

#[test]
fn overflow_policies_hold_or_stop_the_run() {
    let long = "{{ first_name }} ".to_string() + &"very long words that cannot fit ".repeat(30);
    // Default (shrink): the piece is held, the cycle goes on.
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "layout = \"postcard-6x4\"",
        &format!("layout = \"postcard-6x4\"\n[steps.fields]\nbody = \"{long}\""),
    );
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["totals"]["held"], 5);
    assert_eq!(v["summary"]["totals"]["issued"], 0);
    let reason = v["summary"]["not_issued"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("does not fit") && reason.contains("line"),
        "{reason}"
    );
    assert!(
        t.read("out/test/2026-11-24/preflight.csv")
            .contains("does not fit")
    );
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&["would hold", "does not fit"]);
    // overflow = "fail": the run stops, nothing is written.
    let t = Fixture::new();
    local_layout(
        &t,
        "text = \"{{ body }}\"",
        "text = \"{{ body }}\"\noverflow = \"fail\"",
    );
    t.replace(
        "campaign.toml",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"",
        &format!("id = \"welcome\"\nlayout = \"postcard-6x4\"\n[steps.fields]\nbody = \"{long}\""),
    );
    refused(&t, &["overflow = \"fail\"", "does not fit"]);
}

#[test]
fn a_layout_that_breaks_a_postal_rule_is_refused_with_its_line() {
    // The offer box moved down into the barcode clear zone (the lower right 4.75 x 0.625 in).
    let t = Fixture::new();
    local_layout(
        &t,
        "box = [0.25, 2.78, 1.7, 0.52]",
        "box = [1.5, 3.3, 1.7, 0.52]",
    );
    let line = t
        .read("layouts/postcard-6x4.toml")
        .lines()
        .position(|l| l == "box = [1.5, 3.3, 1.7, 0.52]")
        .unwrap();
    // The element starts two lines above its box (`[[pages.elements]]`, `type`).
    let at = format!(
        "postcard-6x4.toml:{}: page `back`: this rectangle reaches into the barcode clear zone",
        line - 1
    );
    refused(
        &t,
        &[
            &at,
            "(clear-zone, USPS DMM 202.5",
            "\nhint: move the elements",
        ],
    );
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&[&at]);
    // An address allowed to shrink below 8 pt is refused too.
    let t = Fixture::new();
    local_layout(&t, "size = 10\nmin_size = 8", "size = 10\nmin_size = 7");
    refused(
        &t,
        &["the delivery address may shrink to 7 pt; it must stay at least 8 pt"],
    );
}

#[test]
fn preflight_lists_the_postal_rules_each_layout_passed_or_warned_about() {
    let t = Fixture::new();
    // The address box moved right, 0.2 in past the OCR read area: a warning, not a hold.
    local_layout(
        &t,
        "box = [2.5, 2.05, 3.0, 1.25]",
        "box = [2.7, 2.05, 3.0, 1.25]",
    );
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    assert!(
        out.stdout.contains("is not inside the OCR read area"),
        "{}",
        out.stdout
    );
    let preflight = t.read("out/test/2026-11-24/preflight.csv");
    let lines: Vec<&str> = preflight.lines().collect();
    assert_eq!(
        lines[0],
        "severity,check,layout,line,contact_id,step,reason"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pass,clear-zone,postcard-6x4,,")),
        "{preflight}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("warn,ocr-read-area,postcard-6x4,")),
        "{preflight}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("pass,ocr-read-area,postcard-6x4")),
        "{preflight}"
    );
    // Said once: the OCR warning is not repeated as a plain warning row.
    assert_eq!(preflight.matches("OCR read area").count(), 1, "{preflight}");
    t.dripmail(["validate", "campaign.toml"]).success().stdout_has(&[
        "postal: layout `postcard-6x4` (usps-letter): passes size, aspect-ratio, clear-zone, imb-position, address-size, return-address, indicia-position; 1 warning above",
    ]);
    // A layout that declares no mail_piece is listed as not checked.
    let t = Fixture::new();
    local_layout(&t, "mail_piece = \"usps-letter\"\n", "");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let preflight = t.read("out/test/2026-11-24/preflight.csv");
    assert!(
        preflight
            .lines()
            .any(|l| l.starts_with("not checked,postal,postcard-6x4,")),
        "{preflight}"
    );
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&["postal: layout `postcard-6x4`: not checked (it declares no mail_piece)"]);
}

#[test]
fn an_imb_service_type_of_another_class_is_refused_and_an_unknown_one_warned() {
    let t = Fixture::new();
    t.add_imb("123456");
    t.replace(
        "campaign.toml",
        "[sender]",
        "[postage.domestic]\nclass = \"USPS Marketing Mail\"\n\n[sender]",
    );
    t.replace(
        "campaign.toml",
        "service_type = \"301\"",
        "service_type = \"300\"",
    );
    refused(
        &t,
        &[
            "campaign.toml:",
            "`imb.service_type = \"300\"` is a First-Class Mail service type",
            "such as 301 (basic) or 261 (Full-Service)",
        ],
    );
    t.replace(
        "campaign.toml",
        "service_type = \"300\"",
        "service_type = \"999\"",
    );
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&[
            "warning: ",
            "`imb.service_type = \"999\"` is not in USPS's service type table",
        ]);
}

#[test]
fn a_postal_code_with_a_multibyte_character_is_a_reject_not_a_panic() {
    let t = Fixture::new();
    t.replace("contacts.csv", "Austin,TX,78701,", "Austin,TX,1234é6789,");
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let rejects = t.read("out/test/2026-11-24/rejects.csv");
    assert!(
        rejects.contains("contacts.csv,5,") && rejects.contains("ZIP code `1234é6789`"),
        "{rejects}"
    );
}

#[test]
fn a_stray_quote_rejects_its_row_and_never_swallows_the_rest() {
    let t = Fixture::new();
    // Bob's row opens a quote it never closes: before, every row after it vanished.
    t.replace("contacts.csv", "2,Bob,", "2,\"Bob,");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rejects = t.read("out/test/2026-11-24/rejects.csv");
    assert!(
        rejects.contains("contacts.csv,3,") && rejects.contains("a quote opened on this line"),
        "{rejects}"
    );
    let manifest = t.read("out/test/2026-11-24/manifest.csv");
    for contact in [",1,", ",3,", ",4,", ",5,"] {
        assert!(manifest.contains(contact), "{contact} missing: {manifest}");
    }
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&["contacts.csv:3:", "a quote opened on this line"]);
}

#[test]
fn a_device_or_an_endless_line_stops_the_run_with_the_limit() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "contacts = \"contacts.csv\"",
        "contacts = \"/dev/zero\"",
    );
    refused(&t, &["`/dev/zero` is not a regular file"]);
    let t = Fixture::new();
    let mut big = t.read("contacts.csv");
    big.push_str("6,");
    big.push_str(&"x".repeat(30 << 20));
    big.push_str(",Lee,1 Main St,Springfield,IL,62701,US,2026-11-01,retail\n");
    t.write("contacts.csv", &big);
    refused(
        &t,
        &[
            "contacts.csv` line 7: longer than 1 MiB",
            "DRIPMAIL_MAX_LINE_MIB",
        ],
    );
}

#[test]
fn a_device_as_campaign_or_art_is_refused_without_reading_it() {
    let t = Fixture::new();
    t.dripmail(["validate", "/dev/zero"])
        .failure(1)
        .stderr_has(&[
            "cannot read campaign file `/dev/zero`",
            "not a regular file",
        ]);
    local_layout(
        &t,
        "src = \"art/postcard-6x4-front.jpg\"",
        "src = \"/dev/zero\"",
    );
    refused(&t, &["/dev/zero", "not a regular file"]);
}

#[test]
fn a_truncated_jpeg_stops_the_run_as_art_and_holds_the_piece_as_a_photo() {
    let t = Fixture::new();
    let art =
        std::fs::read(crate::util::repo().join("layouts/art/postcard-6x4-front.jpg")).unwrap();
    t.write_bytes("half.jpg", &art[..art.len() / 2]);
    local_layout(
        &t,
        "src = \"art/postcard-6x4-front.jpg\"",
        "src = \"../half.jpg\"",
    );
    refused(&t, &["half.jpg` is not a whole JPEG image"]);
    // The same file in a contact's photo column holds that piece only.
    let t = Fixture::new();
    t.write_bytes("half.jpg", &art[..art.len() / 2]);
    t.photo_layout();
    let contacts = crate::util::CONTACTS
        .replacen("segment\n", "segment,photo\n", 1)
        .replace("retail\n", "retail,\n")
        .replace("vip\n", "vip,half.jpg\n")
        .replace("wholesale\n", "wholesale,\n");
    t.write("contacts.csv", &contacts);
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["totals"]["held"], 1, "{v}");
    let held = &v["summary"]["not_issued"][0];
    assert_eq!(held["contact_id"], "2");
    assert!(
        held["reason"]
            .as_str()
            .unwrap()
            .contains("is not a whole JPEG image"),
        "{held}"
    );
}

#[test]
fn an_impossible_page_size_or_a_tiny_qr_code_is_refused_with_the_line() {
    let t = Fixture::new();
    local_layout(&t, "size = [6, 4]", "size = [1e300, 4]");
    refused(
        &t,
        &[
            "postcard-6x4.toml:",
            "`size` must be two lengths from 1 to 200 in",
        ],
    );
    let t = Fixture::new();
    local_layout(
        &t,
        "box = [4.05, 0.2, 0.75, 0.75]",
        "box = [4.05, 0.2, 1e-9, 1e-9]",
    );
    refused(&t, &["postcard-6x4.toml:", "a qr box must be at least"]);
}

#[test]
fn a_placeholder_date_or_a_control_character_in_an_id_is_a_reject() {
    let t = Fixture::new();
    t.replace(
        "contacts.csv",
        "Austin,TX,78701,US,2026-11-03",
        "Austin,TX,78701,US,0000-01-01",
    );
    t.replace("contacts.csv", "\n5,Dan,", "\n5\u{0},Dan,");
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--accept-rejects",
    ])
    .success();
    let rejects = t.read("out/test/2026-11-24/rejects.csv");
    assert!(
        rejects.contains("contacts.csv,5,")
            && rejects.contains("not a plausible date (years 1900 to 2200)"),
        "{rejects}"
    );
    assert!(
        rejects.contains("contacts.csv,6,")
            && rejects.contains("holds a control character (U+0000)"),
        "{rejects}"
    );
    assert!(
        !rejects.contains('\u{0}'),
        "the NUL is escaped in the reason"
    );
    let manifest = t.read("out/test/2026-11-24/manifest.csv");
    assert!(!manifest.contains('\u{0}'), "{manifest}");
}

#[test]
fn a_template_error_names_the_field_the_expression_and_the_line() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "layout = \"postcard-6x4\"\n",
        "layout = \"postcard-6x4\"\n[steps.fields]\nheadline = \"Hello\\n{{ 1 / 0 }}\"\n",
    );
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&[
            "step `welcome`: field `headline`",
            "in `1 / 0` (template line 2)",
        ]);
    assert!(!out.stderr.contains("undefined value"), "{}", out.stderr);
    assert!(!t.path("out/test/2026-11-24").exists());
}

#[test]
fn a_file_mostly_rejected_stops_the_run_before_anything_is_committed() {
    let t = Fixture::new();
    // An export whose dates no one can read: every row is rejected.
    let text = crate::util::CONTACTS.replace(",2026-11-0", ",yesterday 0");
    t.write("contacts.csv", &text);
    let out = t
        .dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&[
            "5 of 5 contact rows rejected (100 %), more than the 20 % a run accepts",
            "hint: nothing was committed",
            "--accept-rejects",
        ]);
    // validate lists every reject before the error.
    assert_eq!(
        out.stdout.matches("reject: contacts.csv:").count(),
        5,
        "{}",
        out.stdout
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&["100 %"]);
    assert!(!t.path("out/test").exists());
    assert!(!t.path("ledger.sqlite").exists());
    t.dripmail(["plan", "campaign.toml", "--date", "2026-11-24"])
        .failure(1);
    // One bad row in five is 20 %: accepted; two are not.
    let one_bad = crate::util::CONTACTS.replacen(",2026-11-01,", ",yesterday,", 1);
    t.write("contacts.csv", &one_bad);
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"])
        .success();
    let two_bad = crate::util::CONTACTS.replace(",2026-11-01,", ",yesterday,");
    t.write("contacts.csv", &two_bad);
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"])
        .failure(1)
        .stderr_has(&["2 of 5 contact rows rejected (40 %)"]);
    // The campaign may accept more, or the run may be told to go on.
    t.replace(
        "campaign.toml",
        "min_gap_days = 7",
        "min_gap_days = 7\nmax_rejected_percent = 50",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"])
        .success();
    t.write("contacts.csv", &text);
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--accept-rejects",
    ])
    .success();
}

#[test]
fn a_typo_hidden_by_default_is_warned_about() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "layout = \"postcard-6x4\"",
        "layout = \"postcard-6x4\"\nfields = { greeting = 'Hi {{ frist_name | default(\"friend\") }}' }",
    );
    // It runs (a default is allowed), but validate says every piece would get the default.
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&[
            "warning: ",
            "campaign.toml:",
            "field `greeting` uses `frist_name` only behind `default(...)`",
            "every piece gets the default (did you mean `first_name`?)",
        ]);
    // A column that exists is no warning.
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "layout = \"postcard-6x4\"",
        "layout = \"postcard-6x4\"\nfields = { greeting = 'Hi {{ first_name | default(\"friend\") }}' }",
    );
    let out = t.dripmail(["validate", "campaign.toml"]).success();
    assert!(!out.stdout.contains("only behind"), "{}", out.stdout);
}
