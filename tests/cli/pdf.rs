//! The PDFs themselves, parsed back with lopdf: boxes, fonts, output intent, reuse of art
//! and static content, crop marks, ICC profiles, designer-PDF backgrounds, proofs.

use lopdf::{Document, Object};

use crate::util::{Fixture, csv_rows};

fn load(t: &Fixture, rel: &str) -> Document {
    Document::load(t.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every stream of `doc`, decompressed, as text: to look for content operators.
fn stream_text(doc: &Document) -> String {
    doc.objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter_map(|s| s.decompressed_content().ok())
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .collect()
}

fn rect(doc: &Document, page: lopdf::ObjectId, key: &[u8]) -> [f32; 4] {
    let dict = doc.get_dictionary(page).unwrap();
    let arr = dict.get(key).unwrap().as_array().unwrap();
    let v: Vec<f32> = arr.iter().map(|o| o.as_float().unwrap()).collect();
    [v[0], v[1], v[2], v[3]]
}

fn inside(inner: [f32; 4], outer: [f32; 4]) -> bool {
    inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3]
}

/// Every object of type `/Type /XObject /Subtype S` in the document.
fn xobjects(doc: &Document, subtype: &[u8]) -> usize {
    doc.objects
        .values()
        .filter(|o| {
            o.as_stream()
                .ok()
                .and_then(|s| s.dict.get(b"Subtype").ok())
                .and_then(|n| n.as_name().ok())
                == Some(subtype)
        })
        .count()
}

#[test]
fn boxes_fonts_intent_and_reuse() {
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 500",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let doc = load(&t, "out/test/2026-11-24/welcome-postcard-6x4-001.pdf");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 10);
    for id in pages.values() {
        let media = rect(&doc, *id, b"MediaBox");
        let bleed = rect(&doc, *id, b"BleedBox");
        let trim = rect(&doc, *id, b"TrimBox");
        assert!(
            inside(trim, bleed) && inside(bleed, media),
            "{media:?} {bleed:?} {trim:?}"
        );
        assert_eq!([trim[2] - trim[0], trim[3] - trim[1]], [432.0, 288.0]);
        assert_eq!(trim[0] - bleed[0], 9.0);
    }
    // One art image and one static form per page kind, however many pieces.
    assert_eq!(xobjects(&doc, b"Image"), 1);
    assert_eq!(xobjects(&doc, b"Form"), 2);
    // Fonts: Type0, subset, embedded.
    let mut fonts = 0;
    for o in doc.objects.values() {
        let Ok(d) = o.as_dict() else { continue };
        if d.get(b"Type").and_then(Object::as_name).ok() == Some(b"FontDescriptor".as_slice()) {
            fonts += 1;
            assert!(d.get(b"FontFile2").is_ok(), "font not embedded");
            let name = d.get(b"FontName").unwrap().as_name().unwrap();
            assert_eq!(
                name[6],
                b'+',
                "not a subset: {}",
                String::from_utf8_lossy(name)
            );
        }
    }
    assert!(fonts >= 2);
    // Output intent.
    let catalog = doc.catalog().unwrap();
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    let intent = doc.dereference(&intents[0]).unwrap().1.as_dict().unwrap();
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFX");
    assert_eq!(
        intent
            .get(b"OutputConditionIdentifier")
            .unwrap()
            .as_str()
            .unwrap(),
        b"CGATS TR 001"
    );
}

#[test]
fn crop_marks_and_an_icc_profile() {
    let t = Fixture::new();
    crate::bad_input::local_layout(&t, "stock = ", "crop_marks = true\nstock = ");
    // A minimal CMYK output profile header: what a print shop's .icc starts with.
    let mut icc = shop_profile_header();
    t.write_bytes("shop.icc", &icc);
    t.replace(
        "campaign.toml",
        "[sender]",
        "[output_intent]\nidentifier = \"FOGRA39\"\ncondition = \"Coated FOGRA39\"\nprofile = \"shop.icc\"\n\n[sender]",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let doc = load(&t, "out/test/2026-11-24/welcome-postcard-6x4-001.pdf");
    let page = *doc.get_pages().values().next().unwrap();
    let media = rect(&doc, page, b"MediaBox");
    let trim = rect(&doc, page, b"TrimBox");
    assert_eq!(media[2] - media[0], 432.0 + 2.0 * 9.0 + 2.0 * 18.0);
    assert_eq!(trim[0], 27.0);
    let catalog = doc.catalog().unwrap();
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    let intent = doc.dereference(&intents[0]).unwrap().1.as_dict().unwrap();
    assert_eq!(
        intent
            .get(b"OutputConditionIdentifier")
            .unwrap()
            .as_str()
            .unwrap(),
        b"FOGRA39"
    );
    let profile = intent
        .get(b"DestOutputProfile")
        .unwrap()
        .as_reference()
        .unwrap();
    let stream = doc.get_object(profile).unwrap().as_stream().unwrap();
    assert_eq!(stream.dict.get(b"N").unwrap().as_i64().unwrap(), 4);
    assert_eq!(stream.decompressed_content().unwrap(), icc);
    // Registration colour in the static form.
    let form = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .find(|s| s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form".as_slice()))
        .unwrap();
    let content = String::from_utf8_lossy(&form.decompressed_content().unwrap()).into_owned();
    assert!(content.contains("1 1 1 1 K"), "{content}");
    // A profile that is not CMYK, or not for an output device, is refused.
    icc[16..20].copy_from_slice(b"RGB ");
    t.write_bytes("shop.icc", &icc);
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&["not a CMYK output (printer) profile"]);
    let mut icc = shop_profile_header();
    icc[12..16].copy_from_slice(b"scnr");
    t.write_bytes("shop.icc", &icc);
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&["not a CMYK output (printer) profile"]);
}

/// A minimal CMYK output profile header: what a print shop's .icc starts with.
fn shop_profile_header() -> Vec<u8> {
    let mut icc = vec![0u8; 200];
    icc[12..16].copy_from_slice(b"prtr");
    icc[16..20].copy_from_slice(b"CMYK");
    icc[36..40].copy_from_slice(b"acsp");
    icc
}

#[test]
fn pdf_x4_is_claimed_only_when_asked_and_with_the_profile_embedded() {
    let t = Fixture::new();
    // Without pdf_standard nothing claims a standard, and nothing is dated.
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"])
        .success();
    let plain = t.path("plain");
    t.dripmail(["proof", "campaign.toml", "--out", plain.to_str().unwrap()])
        .success();
    let proof = std::fs::read(plain.join("test/proofs/welcome-postcard-6x4-proof.pdf")).unwrap();
    assert!(proof.starts_with(b"%PDF-1.5"));
    let doc = Document::load_mem(&proof).unwrap();
    assert!(doc.catalog().unwrap().get(b"Metadata").is_err());

    // PDF/X-4 without a profile to embed is refused, naming the line and the way out.
    t.replace(
        "campaign.toml",
        "[sender]",
        "pdf_standard = \"PDF/X-4\"\n\n[sender]",
    );
    let line = t
        .read("campaign.toml")
        .lines()
        .position(|l| l.starts_with("pdf_standard"))
        .unwrap()
        + 1;
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&[
            &format!("campaign.toml:{line}: PDF/X-4 files embed the printing condition's ICC profile, and layout `postcard-6x4` names none"),
            "output_intent",
        ]);
    t.replace(
        "campaign.toml",
        "pdf_standard = \"PDF/X-4\"",
        "pdf_standard = \"PDF/X-5\"",
    );
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&["unknown PDF standard `PDF/X-5`"]);

    // With the shop's profile: PDF 1.6, the version in Info and XMP, the cycle's date.
    t.write_bytes("shop.icc", &shop_profile_header());
    t.replace(
        "campaign.toml",
        "pdf_standard = \"PDF/X-5\"",
        "pdf_standard = \"PDF/X-4\"\noutput_intent = { identifier = \"CGATS21_CRPC6\", profile = \"shop.icc\" }",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rel = "out/test/2026-11-24/welcome-postcard-6x4-001.pdf";
    let bytes = std::fs::read(t.path(rel)).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.6"));
    let doc = load(&t, rel);
    let info_ref = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_ref).unwrap();
    let text = |d: &lopdf::Dictionary, k: &[u8]| {
        String::from_utf8_lossy(d.get(k).unwrap().as_str().unwrap()).into_owned()
    };
    assert_eq!(text(info, b"GTS_PDFXVersion"), "PDF/X-4");
    assert_eq!(text(info, b"CreationDate"), "D:20261124000000Z");
    assert_eq!(text(info, b"ModDate"), "D:20261124000000Z");
    assert_eq!(info.get(b"Trapped").unwrap().as_name().unwrap(), b"False");
    let catalog = doc.catalog().unwrap();
    let meta = doc
        .get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap())
        .unwrap()
        .as_stream()
        .unwrap();
    assert!(meta.dict.get(b"Filter").is_err(), "XMP stays readable");
    let xmp = String::from_utf8(meta.content.clone()).unwrap();
    for part in [
        "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>",
        "<xmp:CreateDate>2026-11-24T00:00:00Z</xmp:CreateDate>",
        "<xmp:ModifyDate>2026-11-24T00:00:00Z</xmp:ModifyDate>",
        "<pdf:Trapped>False</pdf:Trapped>",
        "<xmpMM:DocumentID>uuid:",
        "Test campaign",
    ] {
        assert!(xmp.contains(part), "{part} missing from {xmp}");
    }
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    let intent = doc.dereference(&intents[0]).unwrap().1.as_dict().unwrap();
    assert!(intent.get(b"DestOutputProfile").is_ok());
    let ticket = t.read("out/test/2026-11-24/job-ticket.txt");
    assert!(
        ticket.contains("Output:  CGATS21_CRPC6, ICC profile embedded; PDF/X-4"),
        "{ticket}"
    );
}

#[test]
fn a_designer_pdf_page_is_the_background() {
    use pdf_writer::{Content, Finish, Pdf, Rect, Ref};
    let t = Fixture::new();
    // A one-page "designer" PDF: a 6.25 x 4.25 in page with a flat CMYK panel.
    let mut pdf = Pdf::new();
    let (cat, tree, page, content) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    pdf.catalog(cat).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(tree)
        .media_box(Rect::new(0.0, 0.0, 450.0, 306.0))
        .contents(content);
    p.resources().finish();
    p.finish();
    let mut c = Content::new();
    c.set_fill_cmyk(0.0, 0.2, 0.6, 0.0)
        .rect(0.0, 0.0, 450.0, 306.0)
        .fill_nonzero();
    pdf.stream(content, &c.finish());
    t.write_bytes("layouts/art/front.pdf", &pdf.finish());
    crate::bad_input::local_layout(
        &t,
        "name = \"front\"\n",
        "name = \"front\"\nbackground = { pdf = \"art/front.pdf\", page = 1 }\n",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let doc = load(&t, "out/test/2026-11-24/welcome-postcard-6x4-001.pdf");
    // The page is copied once as a form, with its box and its drawing.
    let forms: Vec<&lopdf::Stream> = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| {
            s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form".as_slice())
        })
        .collect();
    let imported = forms
        .iter()
        .find(|s| {
            String::from_utf8_lossy(&s.decompressed_content().unwrap()).contains("0 0.2 0.6 0 k")
        })
        .expect("the designer page's content is in a form");
    let bbox: Vec<f32> = imported
        .dict
        .get(b"BBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    assert_eq!(bbox, [0.0, 0.0, 450.0, 306.0]);
    assert_eq!(
        forms.len(),
        3,
        "designer page + 2 static page forms, once per file"
    );
    // A page number the PDF does not have holds nothing and stops the run with its name.
    t.replace("layouts/postcard-6x4.toml", "page = 1", "page = 3");
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-25"])
        .failure(1)
        .stderr_has(&["front.pdf", "no page 3"]);
}

#[test]
fn proofs_are_watermarked_and_commit_nothing() {
    let t = Fixture::new();
    t.dripmail([
        "proof",
        "campaign.toml",
        "--count",
        "2",
        "--layout",
        "postcard-6x4",
    ])
    .success()
    .stdout_has(&["welcome-postcard-6x4-proof.pdf", "2 pieces"]);
    let doc = load(&t, "out/test/proofs/welcome-postcard-6x4-proof.pdf");
    assert_eq!(doc.get_pages().len(), 4);
    let text = stream_text(&doc);
    assert!(text.contains("1 Tr"), "no outlined watermark");
    // The watermark is clipped away from the address, the IMb and the QR code.
    assert!(text.contains("W*\nn"), "the watermark is not clipped");
    assert!(!t.path("ledger.sqlite").exists());
    t.dripmail(["proof", "campaign.toml", "--sample", "--count", "9"])
        .success()
        .stdout_has(&["3 pieces", "cart-postcard-6x9-proof.pdf"]);
    t.dripmail(["proof", "campaign.toml", "--layout", "nope"])
        .failure(1)
        .stderr_has(&["no step"]);
}

/// The text of page `page` (1-based) of a PDF in the fixture, as extracted through the fonts'
/// ToUnicode maps (personalised text only: static text is in a shared form).
fn page_text(t: &Fixture, rel: &str, page: u32) -> String {
    load(t, rel).extract_text(&[page]).unwrap()
}

#[test]
fn an_element_when_draws_it_only_for_the_contacts_it_holds_for() {
    let t = Fixture::new();
    crate::bad_input::local_layout(
        &t,
        "text = \"{{ headline }}\"",
        "text = \"{{ headline }}\"\nwhen = 'segment == \"vip\"'",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    // Print order: Dan (02134), Bob (60614, the only vip), Ann, Carla, Giulia; two per file.
    let first = "out/test/2026-11-24/welcome-postcard-6x4-001.pdf";
    let (dan, bob) = (page_text(&t, first, 2), page_text(&t, first, 4));
    assert!(bob.contains("Hello Bob, autumn is here"), "{bob}");
    assert!(
        dan.contains("Dan Moss") && !dan.contains("autumn is here"),
        "{dan}"
    );
}

#[test]
fn a_per_contact_image_comes_from_its_column_and_a_missing_file_holds_the_piece() {
    let t = Fixture::new();
    t.photo_layout();
    t.write_bytes(
        "photos/ann.jpg",
        &std::fs::read(crate::util::repo().join("layouts/art/postcard-6x9-front.jpg")).unwrap(),
    );
    let contacts = crate::util::CONTACTS
        .replacen("segment\n", "segment,photo\n", 1)
        .replace("retail\n", "retail,\n")
        .replace("vip\n", "vip,\n")
        .replace("wholesale\n", "wholesale,\n")
        .replace("2026-11-01,retail,", "2026-11-01,retail,photos/ann.jpg")
        .replace("2026-11-02,retail,", "2026-11-02,retail,photos/missing.jpg");
    t.write("contacts.csv", &contacts);
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["totals"]["held"], 1);
    let held = &v["summary"]["not_issued"][0];
    assert_eq!(held["contact_id"], "3");
    assert!(
        held["reason"].as_str().unwrap().contains("missing.jpg"),
        "{held}"
    );
    // Ann's file holds her photo besides the layout's art; Dan and Bob's only the art (their
    // cells are empty: the element falls back to `src`).
    let ann = load(&t, "out/test/2026-11-24/welcome-postcard-6x4-002.pdf");
    let others = load(&t, "out/test/2026-11-24/welcome-postcard-6x4-001.pdf");
    assert_eq!(
        (xobjects(&ann, b"Image"), xobjects(&others, b"Image")),
        (2, 1)
    );
}

#[test]
fn proofs_show_the_contacts_a_step_would_mail_with_a_proof_imb() {
    let t = Fixture::new();
    t.add_imb("123456");
    t.replace(
        "campaign.toml",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"",
        "id = \"welcome\"\nlayout = \"postcard-6x4\"\nwhen = 'segment == \"retail\"'",
    );
    // The first two contacts the `when` holds for: 1 and 3 (2 is vip); Giulia is in Italy.
    t.dripmail([
        "proof",
        "campaign.toml",
        "--count",
        "2",
        "--layout",
        "postcard-6x4",
    ])
    .success()
    .stdout_has(&[
        "welcome-postcard-6x4-proof.pdf",
        "2 pieces",
        "contacts: 1, 3\n",
    ]);
    let rel = "out/test/proofs/welcome-postcard-6x4-proof.pdf";
    assert!(page_text(&t, rel, 2).contains("Ann"));
    assert!(page_text(&t, rel, 4).contains("Giulia"));
    // The US piece's back carries 65 bars; the Italian one none.
    let doc = load(&t, rel);
    let pages = doc.get_pages();
    let bars = |n: u32| {
        let content = doc.get_page_content(pages[&n]);
        String::from_utf8_lossy(&content).matches(" re").count()
    };
    assert!(bars(2) >= 65, "{} rectangles on the US back", bars(2));
    assert!(bars(4) < 65, "{} rectangles on the Italian back", bars(4));
    // A step no contact qualifies for writes no file and says so.
    t.replace(
        "campaign.toml",
        "segment == \"retail\"",
        "segment == \"none\"",
    );
    t.dripmail(["proof", "campaign.toml", "--layout", "postcard-6x4"])
        .success()
        .stdout_has(&["step `welcome`: no contact meets its `when`; no proof written"]);
}

#[test]
fn no_image_is_untagged_rgb() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let mut images = 0;
    for (name, _) in t.outputs() {
        if !name.ends_with(".pdf") {
            continue;
        }
        let doc = load(&t, &format!("out/{name}"));
        for o in doc.objects.values() {
            let Ok(s) = o.as_stream() else { continue };
            if s.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Image".as_slice()) {
                continue;
            }
            let Ok(cs) = s.dict.get(b"ColorSpace") else {
                continue; // a stencil mask (QR code) has no colour space
            };
            images += 1;
            assert_ne!(
                cs.as_name().ok(),
                Some(b"DeviceRGB".as_slice()),
                "{name}: untagged RGB image"
            );
            if let Ok(arr) = cs.as_array() {
                assert_eq!(arr[0].as_name().unwrap(), b"ICCBased", "{name}");
                let profile = doc.get_object(arr[1].as_reference().unwrap()).unwrap();
                let profile = profile.as_stream().unwrap();
                assert_eq!(profile.dict.get(b"N").unwrap().as_i64().unwrap(), 3);
                let bytes = profile.decompressed_content().unwrap();
                assert_eq!(&bytes[36..40], b"acsp", "{name}: not an ICC profile");
            }
        }
    }
    assert!(images > 0, "no images checked");
}

#[test]
fn a_folded_flyer_has_fold_marks_and_its_folds_on_the_ticket() {
    let t = Fixture::new();
    // The catalogue (flyer-letter, folded in three) is due 14 days after the welcome card.
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    t.dripmail(["run", "campaign.toml", "--date", "2026-12-08"])
        .success();
    let ticket = t.read("out/test/2026-12-08/job-ticket.txt");
    assert!(
        ticket.contains(
            "Folding: folds across the width, from the top of page 1: 3.667 in (93.1 mm) valley, 7.333 in (186.3 mm) valley"
        ),
        "{ticket}"
    );
    assert!(
        ticket.contains(
            "Closing: 2 tabs (1 in wafer seals) on the open top edge of the folded piece, 1 in from each end"
        ),
        "{ticket}"
    );
    let doc = load(&t, "out/test/2026-12-08/catalog-flyer-letter-001.pdf");
    let text = stream_text(&doc);
    assert!(text.contains("[3 2] 0 d"), "no dashed fold marks");
}

#[test]
fn a_contacts_image_outside_the_campaign_folder_holds_the_piece() {
    let t = Fixture::new();
    t.photo_layout();
    let jpeg =
        std::fs::read(crate::util::repo().join("layouts/art/postcard-6x9-front.jpg")).unwrap();
    // A real JPEG beside the campaign's folder, and a link inside it that leads there.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.jpg"), &jpeg).unwrap();
    t.write_bytes("photos/ann.jpg", &jpeg);
    std::os::unix::fs::symlink(outside.path().join("secret.jpg"), t.path("photos/link.jpg"))
        .unwrap();
    let up = format!(
        "../{}/secret.jpg",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    let contacts = crate::util::CONTACTS
        .replacen("segment\n", "segment,photo\n", 1)
        .replace("2026-11-01,retail\n", "2026-11-01,retail,photos/ann.jpg\n")
        .replace("2026-11-01,vip\n", &format!("2026-11-01,vip,{up}\n"))
        .replace("2026-11-02,retail\n", "2026-11-02,retail,/dev/zero\n")
        .replace("2026-11-03,retail\n", "2026-11-03,retail,photos/link.jpg\n")
        .replace("wholesale\n", "wholesale,\n");
    t.write("contacts.csv", &contacts);
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let held = crate::util::not_issued(&v);
    let ids: Vec<&str> = held.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(ids, ["2", "3", "4"], "{held:?}");
    for (_, reason) in &held {
        assert!(
            reason.contains("is outside the campaign's folder"),
            "{reason}"
        );
    }
    // Ann's own photo, inside the folder, is printed.
    assert_eq!(v["summary"]["totals"]["held"], 3);
    // image_folders lets a folder in: the held pieces, due again next cycle, pass but one.
    t.replace(
        "campaign.toml",
        "[sender]",
        &format!(
            "image_folders = [\"{}\"]\n\n[sender]",
            outside.path().display()
        ),
    );
    let out = t
        .dripmail([
            "run",
            "campaign.toml",
            "--date",
            "2026-12-01",
            "--dry-run",
            "--json",
        ])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let held = crate::util::not_issued(&v);
    let ids: Vec<&str> = held.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(ids, ["3"], "only /dev/zero stays out: {v}");
}

#[test]
fn a_column_named_like_a_built_in_never_reaches_a_template() {
    let t = Fixture::new();
    crate::bad_input::local_layout(
        &t,
        "text = \"{{ headline }}\"",
        "text = \"{{ headline }} [{{ imb_bars }}] [{{ piece_id }}]\"",
    );
    // A manifest re-imported as contacts: stale barcodes and ids in its columns.
    let contacts = crate::util::CONTACTS
        .replacen("segment\n", "segment,imb_bars,piece_id\n", 1)
        .replace("retail\n", "retail,STALEBARS,STALEID\n")
        .replace("vip\n", "vip,STALEBARS,STALEID\n")
        .replace("wholesale\n", "wholesale,STALEBARS,STALEID\n");
    t.write("contacts.csv", &contacts);
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&[
            "warning: ",
            "column `imb_bars` has the name of a value dripmail sets",
            "column `piece_id` has the name",
        ]);
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let text = page_text(&t, "out/test/2026-11-24/welcome-postcard-6x4-001.pdf", 2);
    assert!(!text.contains("STALE"), "{text}");
    // No [imb]: the barcode variable is empty, the piece id dripmail's own.
    assert!(text.contains("[]"), "{text}");
    let manifest = t.read("out/test/2026-11-24/manifest.csv");
    let id = manifest.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert!(text.contains(&format!("[{id}]")), "{id} not in {text}");
}

/// The piece forms each sheet page of an imposed file draws, in slot order: `/P<k> Do`.
fn sheet_pieces(path: &std::path::Path) -> Vec<Vec<usize>> {
    let doc = Document::load(path).unwrap();
    doc.get_pages()
        .values()
        .map(|&page| {
            let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
            content
                .split_whitespace()
                .filter_map(|w| w.strip_prefix("/P")?.parse().ok())
                .collect()
        })
        .collect()
}

#[test]
fn an_imposed_cycle_puts_pieces_cut_and_stack_on_press_sheets() {
    let t = Fixture::new();
    // Eleven pieces: not a whole number of sheets.
    t.many_contacts(11);
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 500\nstack_depth = 2",
    );
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--impose",
        "12x18",
    ])
    .success();
    let dir = t.path("out/test/2026-11-24");
    let sheets = dir.join("welcome-postcard-6x4-001-sheets-12x18.pdf");
    let doc = Document::load(&sheets).unwrap();
    // 6 x 4 with bleed on 12 x 18: 4 up; stacks of 2 sheets: 8 pieces, then 3 on 1 sheet.
    let pages = sheet_pieces(&sheets);
    assert_eq!(pages.len(), 3 * 2, "three sheets, front and back");
    let first = doc.get_pages()[&1];
    let media = doc
        .get_dictionary(first)
        .unwrap()
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let size: Vec<f32> = media.iter().map(|v| v.as_float().unwrap()).collect();
    assert_eq!(size, [0.0, 0.0, 864.0, 1296.0]);
    // Forms P<2k> are piece k's front, P<2k+1> its back; slot j of sheet i in a stack of S
    // carries piece j*S + i.
    let fronts: Vec<Vec<usize>> = pages
        .iter()
        .step_by(2)
        .map(|p| p.iter().map(|k| k / 2).collect())
        .collect();
    assert_eq!(fronts, [vec![0, 2, 4, 6], vec![1, 3, 5, 7], vec![8, 9, 10]]);
    for (front, back) in pages.iter().step_by(2).zip(pages.iter().skip(1).step_by(2)) {
        assert_eq!(
            back.iter().map(|k| k - 1).collect::<Vec<_>>(),
            *front,
            "backs behind fronts"
        );
    }
    // The manifest says where each piece is: in mailing order, stack by stack, slot by slot.
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let at: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[col("sheet")].clone(), r[col("slot")].clone()))
        .collect();
    let want: Vec<(String, String)> = [
        (1, 1),
        (2, 1),
        (1, 2),
        (2, 2),
        (1, 3),
        (2, 3),
        (1, 4),
        (2, 4),
        (3, 1),
        (3, 2),
        (3, 3),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(at, want);
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[col("sheet_file")] == "welcome-postcard-6x4-001-sheets-12x18.pdf")
    );
    // Both sides; one across, so each back is seen in the same slot as its front.
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[col("side")] == "front+back" && r[col("back_slot")] == r[col("slot")])
    );
    // The ticket and summary.json describe it; the file is in the cycle's checksums.
    let ticket = t.read("out/test/2026-11-24/job-ticket.txt");
    assert!(
        ticket.contains("4 pieces up on 12x18 (1 across x 4 down), 3 sheets, work and turn"),
        "{ticket}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&t.read("out/test/2026-11-24/summary.json")).unwrap();
    assert_eq!(summary["sheets"][0]["sheets"], 3);
    assert_eq!(summary["sheets"][0]["pieces"], 11);
    // jobticket.json, for the shop's tools: finished size, sides, class, the sheets.
    let ticket: serde_json::Value =
        serde_json::from_str(&t.read("out/test/2026-11-24/jobticket.json")).unwrap();
    assert_eq!(ticket["schema_version"], 1);
    assert_eq!(ticket["drop_date"], "2026-11-24");
    assert_eq!(ticket["totals"]["pieces"], 11);
    assert_eq!(ticket["totals"]["sheets"], 3);
    let file = &ticket["files"][0];
    assert_eq!(file["file"], "welcome-postcard-6x4-001.pdf");
    assert_eq!(file["finished_size"]["width_in"], 6.0);
    assert_eq!(file["finished_size"]["height_mm"], 101.6);
    assert_eq!(
        (&file["sides"], &file["colors"]),
        (&2.into(), &"4/4".into())
    );
    let sheets = &file["sheets"];
    assert_eq!(sheets["file"], "welcome-postcard-6x4-001-sheets-12x18.pdf");
    assert_eq!(
        (&sheets["up"], &sheets["sheets"], &sheets["stack_depth"]),
        (&4.into(), &3.into(), &2.into())
    );
    assert_eq!(sheets["work_style"], "work-and-turn");
    assert_eq!(
        (&sheets["width_in"], &sheets["height_in"]),
        (&12.0.into(), &18.0.into())
    );
    // The XJDF ticket says the same, in CIP4's terms.
    let xjdf = t.read("out/test/2026-11-24/jobticket.xjdf");
    let doc = roxmltree::Document::parse(&xjdf).unwrap();
    let root = doc.root_element();
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.CIP4.org/JDFSchema_2_0")
    );
    assert_eq!(
        root.attribute("Types"),
        Some("Interpreting Rendering DigitalPrinting Cutting")
    );
    let all = |name: &str| -> Vec<roxmltree::Node<'_, '_>> {
        root.descendants()
            .filter(|n| n.tag_name().name() == name)
            .collect()
    };
    let product = all("Product")[0];
    assert_eq!(product.attribute("Amount"), Some("11"));
    assert_eq!(product.attribute("ProductType"), Some("Postcard"));
    let layout_intent = all("LayoutIntent")[0];
    assert_eq!(
        layout_intent.attribute("FinishedDimensions"),
        Some("432 288 0")
    );
    assert_eq!(layout_intent.attribute("Sides"), Some("TwoSidedHeadToHead"));
    assert_eq!(layout_intent.attribute("NumberUp"), Some("1 4"));
    assert_eq!(
        (
            product.attribute("MinAmount"),
            product.attribute("MaxAmount")
        ),
        (Some("11"), Some("11")),
        "no overs, no unders"
    );
    assert_eq!(
        all("FileSpec")[0].attribute("URL"),
        Some("welcome-postcard-6x4-001-sheets-12x18.pdf")
    );
    assert_eq!(all("Media")[0].attribute("Dimension"), Some("864 1296"));
    assert_eq!(
        all("PartAmount")[0].attribute("Amount"),
        Some("3"),
        "3 sheets"
    );
    assert_eq!(all("Layout")[0].attribute("WorkStyle"), Some("WorkAndTurn"));
    let positions = all("Position");
    assert_eq!(positions.len(), 4, "4 up");
    assert!(
        positions
            .iter()
            .enumerate()
            .all(|(j, p)| p.attribute("StackDepth") == Some("2")
                && p.attribute("StackOrd") == Some(j.to_string().as_str()))
    );
    assert_eq!(all("CutBlock").len(), 4);
    assert_eq!(
        all("DigitalPrintingParams")[0].attribute("Sides"),
        Some("TwoSided")
    );
    assert_eq!(
        all("Component")[0].attribute("Dimensions"),
        Some("432 288 0")
    );
    // A sheet the piece does not fit on, and a sheet no one knows, are refused.
    let t = Fixture::new();
    t.replace(
        "campaign.toml",
        "min_gap_days = 7",
        "min_gap_days = 7\nimpose = \"5x5\"",
    );
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&["does not fit on a `5x5` sheet"]);
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--impose",
        "B2",
    ])
    .failure(2)
    .stderr_has(&["sheet `B2` is not a size dripmail knows"]);
}

#[test]
fn proofs_and_reprints_can_be_imposed_too() {
    let t = Fixture::new();
    t.dripmail([
        "proof",
        "campaign.toml",
        "--layout",
        "postcard-6x4",
        "--impose",
        "13x19",
    ])
    .success()
    .stdout_has(&[
        "press sheets: ",
        "welcome-postcard-6x4-proof-sheets-13x19.pdf",
    ]);
    let proof_sheets = t.path("out/test/proofs/welcome-postcard-6x4-proof-sheets-13x19.pdf");
    // Three proof pieces, 8 up: one sheet, front and back, watermarked like the proofs.
    assert_eq!(sheet_pieces(&proof_sheets), [vec![0, 2, 4], vec![1, 3, 5]]);
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let (a, b) = (rows[1][1].clone(), rows[2][1].clone());
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--piece",
        &a,
        "--piece",
        &b,
        "--impose",
        "12x18",
    ])
    .success()
    .stdout_has(&["press sheets: "]);
    let sheets =
        t.path("out/test/reprints/2026-11-24/001/welcome-postcard-6x4-reprint-sheets-12x18.pdf");
    // Two pieces, 4 up: one sheet, slots 1 and 2.
    assert_eq!(sheet_pieces(&sheets), [vec![0, 2], vec![1, 3]]);
}

/// The matrices (`cm`) each page's content sets: where each slot's piece is drawn.
fn placements(path: &std::path::Path) -> Vec<Vec<String>> {
    let doc = Document::load(path).unwrap();
    doc.get_pages()
        .values()
        .map(|&page| {
            let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
            content
                .lines()
                .filter(|l| l.ends_with(" cm"))
                .map(String::from)
                .collect()
        })
        .collect()
}

#[test]
fn a_damaged_sheet_is_reprinted_with_its_pieces_in_their_slots() {
    let t = Fixture::new();
    t.many_contacts(11);
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 500\nstack_depth = 2",
    );
    // Not imposed: no sheets to reprint, and the way out named.
    let plain = Fixture::new();
    plain
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    plain
        .dripmail([
            "reprint",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--sheet",
            "1",
        ])
        .failure(1)
        .stderr_has(&["has no press sheets on record", "--piece"]);
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--impose",
        "12x18",
    ])
    .success();
    let cycle = t.path("out/test/2026-11-24");
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let col = |rows: &[Vec<String>], name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let on_sheet_3: Vec<(String, String)> = rows[1..]
        .iter()
        .filter(|r| r[col(&rows, "sheet")] == "3")
        .map(|r| {
            (
                r[col(&rows, "piece_id")].clone(),
                r[col(&rows, "slot")].clone(),
            )
        })
        .collect();
    assert_eq!(on_sheet_3.len(), 3, "the last sheet is not full");
    // The contacts leave the file after the run: the reprint is still what was mailed.
    let contacts = t.read("contacts.csv");
    let kept: Vec<&str> = contacts.lines().take(2).collect();
    t.write("contacts.csv", &(kept.join("\n") + "\n"));
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--sheet",
        "3",
    ])
    .success()
    .stdout_has(&["press sheets: ", "reprint-sheet-3.pdf"]);
    let dir = t.path("out/test/reprints/2026-11-24/001");
    let sheets = dir.join("welcome-postcard-6x4-001-sheets-12x18-reprint-sheet-3.pdf");
    // One sheet, front and back: the three pieces in slots 1 to 3, slot 4 blank, each where
    // it was on the original's sheet 3 (pages 5 and 6).
    assert_eq!(sheet_pieces(&sheets), [vec![0, 2, 4], vec![1, 3, 5]]);
    let original = placements(&cycle.join("welcome-postcard-6x4-001-sheets-12x18.pdf"));
    assert_eq!(placements(&sheets), original[4..6]);
    // Its manifest lists them with the sheet they replace and their slots.
    let again = csv_rows(&t.read("out/test/reprints/2026-11-24/001/manifest.csv"));
    let listed: Vec<(String, String)> = again[1..]
        .iter()
        .map(|r| {
            assert_eq!(r[col(&again, "sheet")], "3");
            assert_eq!(
                r[col(&again, "sheet_file")],
                "welcome-postcard-6x4-001-sheets-12x18-reprint-sheet-3.pdf"
            );
            (
                r[col(&again, "piece_id")].clone(),
                r[col(&again, "slot")].clone(),
            )
        })
        .collect();
    assert_eq!(listed, on_sheet_3);
    let ticket = t.read("out/test/reprints/2026-11-24/001/job-ticket.txt");
    assert!(
        ticket.contains("Replaces:  sheet 3 of welcome-postcard-6x4-001-sheets-12x18.pdf"),
        "{ticket}"
    );
    // A sheet the file does not have, and --impose with --sheet, are refused.
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--sheet",
        "4",
    ])
    .failure(1)
    .stderr_has(&["has no sheet 4", "numbered 1 to 3"]);
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--sheet",
        "1",
        "--impose",
        "13x19",
    ])
    .failure(2);
}

#[test]
fn a_cycle_with_several_sheet_files_needs_the_file_named() {
    let t = Fixture::new();
    t.many_contacts(11);
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 6",
    );
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--impose",
        "12x18",
    ])
    .success();
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--sheet",
        "1",
    ])
    .failure(1)
    .stderr_has(&[
        "has 2 sheet PDFs: say which with --file",
        "welcome-postcard-6x4-002-sheets-12x18.pdf",
    ]);
    // The second file has pieces 7 to 11: 5 pieces, 4 up, stacks of 200: 2 sheets; sheet 2
    // carries the file's pieces 2 and 4 (slots 1 and 2).
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--sheet",
        "2",
        "--file",
        "welcome-postcard-6x4-002.pdf",
    ])
    .success();
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let want: Vec<&String> = rows[1..]
        .iter()
        .filter(|r| r[col("file")] == "welcome-postcard-6x4-002.pdf" && r[col("sheet")] == "2")
        .map(|r| &r[col("piece_id")])
        .collect();
    let again = csv_rows(&t.read("out/test/reprints/2026-11-24/001/manifest.csv"));
    let got: Vec<&String> = again[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(got, want);
    assert_eq!(want.len(), 2);
}

#[test]
fn a_piece_of_more_than_two_pages_is_not_imposed() {
    let t = Fixture::new();
    crate::bad_input::local_layout(
        &t,
        "[[pages]]\nname = \"back\"",
        "[[pages]]\nname = \"inside\"\n\n[[pages]]\nname = \"back\"",
    );
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--impose",
        "13x19",
    ])
    .failure(1)
    .stderr_has(&["has 3 pages, and a press sheet has two sides", "nothing"]);
    assert!(!t.path("out/test/2026-11-24").exists());
}

#[test]
fn a_run_writes_a_one_page_ticket_beside_the_cycle_folder() {
    let t = Fixture::new();
    t.dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["ticket: ", "tickets/2026-11-24.pdf"]);
    let path = "out/test/tickets/2026-11-24.pdf";
    let doc = load(&t, path);
    assert_eq!(doc.get_pages().len(), 1);
    let text = doc.extract_text(&[1]).unwrap();
    for part in [
        "JOB TICKET",
        "2026-11-24",
        "5 pieces",
        "welcome",
        "postcard-6x4",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
    // Not in the cycle folder, whose every PDF is a print file.
    assert!(!t.path("out/test/2026-11-24/tickets").exists());
    // `dripmail ticket` writes it again, the same bytes.
    let first = std::fs::read(t.path(path)).unwrap();
    std::fs::remove_file(t.path(path)).unwrap();
    t.dripmail(["ticket", "campaign.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["tickets/2026-11-24.pdf"]);
    assert_eq!(std::fs::read(t.path(path)).unwrap(), first);
    // A cycle that is not there is named, with where to look.
    t.dripmail(["ticket", "campaign.toml", "--date", "2026-12-01"])
        .failure(1)
        .stderr_has(&["has no jobticket.json", "dripmail history"]);
}

#[test]
fn pdf_vt_1_makes_each_piece_a_record_with_its_metadata() {
    let t = Fixture::new();
    t.write_bytes("shop.icc", &shop_profile_header());
    t.replace(
        "campaign.toml",
        "[sender]",
        "pdf_standard = \"PDF/VT-1\"\noutput_intent = { identifier = \"CGATS21_CRPC6\", profile = \"shop.icc\" }\n\n[sender]",
    );
    t.add_imb("123456");
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 500",
    );
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--impose",
        "12x18",
    ])
    .success();
    let rel = "out/test/2026-11-24/welcome-postcard-6x4-001.pdf";
    let bytes = std::fs::read(t.path(rel)).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.6"), "PDF/VT-1 is PDF 1.6");
    let doc = load(&t, rel);
    let catalog = doc.catalog().unwrap();
    // XMP claims PDF/X-4 and PDF/VT-1, dated like the file.
    let meta = doc
        .get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap())
        .unwrap()
        .as_stream()
        .unwrap();
    let xmp = String::from_utf8(meta.content.clone()).unwrap();
    for part in [
        "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>",
        "xmlns:pdfvtid=\"http://www.npes.org/pdfvt/ns/id/\"",
        "<pdfvtid:GTS_PDFVTVersion>PDF/VT-1</pdfvtid:GTS_PDFVTVersion>",
        "<pdfvtid:GTS_PDFVTModDate>2026-11-24T00:00:00Z</pdfvtid:GTS_PDFVTModDate>",
        "<xmp:ModifyDate>2026-11-24T00:00:00Z</xmp:ModifyDate>",
    ] {
        assert!(xmp.contains(part), "{part} missing from {xmp}");
    }
    // The document part tree: a root node for the file, one record per piece.
    let dict = |r: &Object| doc.dereference(r).unwrap().1.as_dict().unwrap().clone();
    let root = dict(catalog.get(b"DPartRoot").unwrap());
    assert_eq!(root.get(b"Type").unwrap().as_name().unwrap(), b"DPartRoot");
    assert_eq!(root.get(b"RecordLevel").unwrap().as_i64().unwrap(), 1);
    let names: Vec<&[u8]> = root
        .get(b"NodeNameList")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_name().unwrap())
        .collect();
    assert_eq!(names, [b"File".as_slice(), b"Piece"]);
    let node_ref = root.get(b"DPartRootNode").unwrap().as_reference().unwrap();
    let node = doc.get_dictionary(node_ref).unwrap();
    let dpm_text = |d: &lopdf::Dictionary, k: &[u8]| {
        let dpm = d.get(b"DPM").unwrap().as_dict().unwrap();
        String::from_utf8_lossy(dpm.get(k).unwrap().as_str().unwrap()).into_owned()
    };
    assert_eq!(dpm_text(node, b"Campaign"), "test");
    assert_eq!(dpm_text(node, b"Step"), "welcome");
    let leaves: Vec<lopdf::ObjectId> = node
        .get(b"DParts")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a.as_array().unwrap().clone())
        .map(|r| r.as_reference().unwrap())
        .collect();
    // Each record: its piece's two pages (Start, End), pointing back; the manifest's id,
    // presort group, class and barcode as metadata.
    let rows = csv_rows(&t.read("out/test/2026-11-24/manifest.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let pages = doc.get_pages();
    assert_eq!(leaves.len(), rows.len() - 1);
    assert_eq!(leaves.len() * 2, pages.len());
    for (k, (leaf_id, row)) in leaves.iter().zip(&rows[1..]).enumerate() {
        let leaf = doc.get_dictionary(*leaf_id).unwrap();
        assert_eq!(
            leaf.get(b"Parent").unwrap().as_reference().unwrap(),
            node_ref
        );
        assert_eq!(dpm_text(leaf, b"PieceID"), row[col("piece_id")]);
        assert_eq!(dpm_text(leaf, b"PresortGroup"), row[col("presort")]);
        let start = leaf.get(b"Start").unwrap().as_reference().unwrap();
        let end = leaf.get(b"End").unwrap().as_reference().unwrap();
        let (front, back) = (pages[&(2 * k as u32 + 1)], pages[&(2 * k as u32 + 2)]);
        assert_eq!((start, end), (front, back));
        for page in [front, back] {
            let p = doc.get_dictionary(page).unwrap();
            assert_eq!(p.get(b"DPart").unwrap().as_reference().unwrap(), *leaf_id);
        }
        if !row[col("imb")].is_empty() {
            assert_eq!(dpm_text(leaf, b"IMb"), row[col("imb")]);
        }
    }
    // The art every record shares is marked for the RIP to cache.
    let scoped = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| s.dict.get(b"GTS_Scope").and_then(|v| v.as_name()).ok() == Some(b"File"))
        .count();
    assert!(scoped >= 2, "the front's static form and its art: {scoped}");
    // The press sheets carry several records a sheet: they claim PDF/X-4 only.
    let sheets = load(
        &t,
        "out/test/2026-11-24/welcome-postcard-6x4-001-sheets-12x18.pdf",
    );
    assert!(sheets.catalog().unwrap().get(b"DPartRoot").is_err());
    let meta = sheets
        .get_object(
            sheets
                .catalog()
                .unwrap()
                .get(b"Metadata")
                .unwrap()
                .as_reference()
                .unwrap(),
        )
        .unwrap()
        .as_stream()
        .unwrap()
        .content
        .clone();
    let xmp = String::from_utf8(meta).unwrap();
    assert!(xmp.contains("PDF/X-4") && !xmp.contains("PDF/VT"), "{xmp}");
    let ticket = t.read("out/test/2026-11-24/job-ticket.txt");
    assert!(ticket.contains("PDF/VT-1"), "{ticket}");
}
