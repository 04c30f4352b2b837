//! Layout files → checked layouts, and elements → positioned marks.

use std::path::{Path, PathBuf};

use super::*;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts")
}

#[test]
fn every_shipped_layout_loads() {
    for id in ["postcard-6x4", "postcard-6x9", "flyer-letter", "flyer-a4"] {
        let l = Layout::load(&shipped(), id).unwrap();
        assert_eq!(l.pages.len(), 2, "{id}");
        assert!(l.bleed.get() >= 8.5, "{id} bleed {}", l.bleed.get());
    }
    let l = Layout::load(&shipped(), "postcard-6x4").unwrap();
    assert!((l.width.get() - 432.0).abs() < 1e-9 && (l.height.get() - 288.0).abs() < 1e-9);
}

#[test]
fn builtin_layouts_match_the_repository() {
    let l = Layout::load(&crate::assets::builtin_layouts(), "flyer-a4").unwrap();
    assert!((l.width.get() - 595.275).abs() < 0.01);
}

#[test]
fn unknown_layout_and_bad_keys_are_named() {
    let e = Layout::load(&shipped(), "postcard-7x5")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown layout `postcard-7x5`"), "{e}");
    let text = "size = [6, 4]\ncolour = 1\n[fonts]\n[[pages]]\nname = \"a\"\n";
    let e = Layout::parse(&shipped().join("x.toml"), "x", text)
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:") && e.contains("colour"), "{e}");
    let text = "size = [6, 4]\n[fonts]\nsans = \"../fonts/Nope.ttf\"\n[[pages]]\nname = \"a\"\n";
    let e = Layout::parse(&shipped().join("x.toml"), "x", text)
        .unwrap_err()
        .to_string();
    assert!(e.contains(":3:") && e.contains("Nope.ttf"), "{e}");
    let text =
        "size = [6, 4]\n[fonts]\n[[pages]]\nname = \"a\"\n[[pages.elements]]\ntype = \"circle\"\n";
    let e = Layout::parse(&shipped().join("x.toml"), "x", text)
        .unwrap_err()
        .to_string();
    assert!(e.contains(":5:") && e.contains("circle"), "{e}");
}

/// Golden positions: the recipient block of the 6x4 back, independent of the PDF writer.
#[test]
fn address_block_positions_are_stable() {
    let l = Layout::load(&shipped(), "postcard-6x4").unwrap();
    let back = 1;
    let el = l.pages[back]
        .elements
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                ElementKind::Address {
                    who: Who::Recipient,
                    ..
                }
            )
        })
        .unwrap();
    let lines = vec![
        "Ann Lee".to_string(),
        "12 Main St".into(),
        "Springfield IL 62701".into(),
    ];
    let mut marks = Vec::new();
    l.place(back, el, &Content::Lines(lines), &mut marks)
        .unwrap();
    let Mark::Text { size, lines, .. } = &marks[0] else {
        panic!()
    };
    assert!((size - 10.0).abs() < 1e-9);
    let got: Vec<(i64, i64, String)> = lines
        .iter()
        .map(|(x, y, runs)| {
            let text: String = runs
                .iter()
                .flat_map(|r| &r.glyphs)
                .map(|g| g.text.as_str())
                .collect();
            ((x * 100.0).round() as i64, (y * 100.0).round() as i64, text)
        })
        .collect();
    // x = 2.5 in; first baseline = 2.2 in + ascent (0.928 em) * 10 pt; then 12 pt apart.
    assert_eq!(
        got,
        [
            (18000, 16768, "Ann Lee".to_string()),
            (18000, 17968, "12 Main St".to_string()),
            (18000, 19168, "Springfield IL 62701".to_string())
        ]
    );
}

#[test]
fn a_long_name_shrinks_and_a_hopeless_one_holds() {
    let l = Layout::load(&shipped(), "postcard-6x4").unwrap();
    let el = l.pages[1]
        .elements
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                ElementKind::Address {
                    who: Who::Recipient,
                    ..
                }
            )
        })
        .unwrap();
    let long = vec![
        "Maria Bartholomew-Castellanos de la Fuente y Montoya".to_string(),
        "1 Main St".into(),
    ];
    let mut marks = Vec::new();
    l.place(1, el, &Content::Lines(long), &mut marks).unwrap();
    let Mark::Text { size, .. } = &marks[0] else {
        panic!()
    };
    assert!(*size < 10.0 && *size >= 7.0, "{size}");
    let hopeless = vec!["W".repeat(60)];
    let hold = l
        .place(1, el, &Content::Lines(hopeless), &mut marks)
        .unwrap_err();
    assert!(hold.reason.contains("does not fit"), "{hold}");
}

#[test]
fn cover_fills_and_contain_fits() {
    let frame = Frame {
        x: 0.0,
        y: 0.0,
        w: 100.0,
        h: 50.0,
    };
    let c = fit_image(frame, Fit::Cover, (100, 100));
    assert!((c.w - 100.0).abs() < 1e-9 && (c.h - 100.0).abs() < 1e-9 && (c.y + 25.0).abs() < 1e-9);
    let c = fit_image(frame, Fit::Contain, (100, 100));
    assert!((c.w - 50.0).abs() < 1e-9 && (c.x - 25.0).abs() < 1e-9);
}
