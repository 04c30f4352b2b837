//! What the SVG charts of `report` and `forecast` share: the page, its title, the gridlines.

use std::fmt::Write as _;

use crate::report::xml_escape;

/// The left edge of the plot (room for the axis labels) and the right margin.
pub(super) const LEFT: f64 = 60.0;
pub(super) const RIGHT: f64 = 20.0;
/// The top of the plot, under the title and subtitle.
pub(super) const TOP: f64 = 50.0;

/// An SVG of `w` × `h` points on white, with `title` in bold and `subtitle` under it.
pub(super) fn start(w: f64, h: f64, title: &str, subtitle: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">"##
    );
    let _ = writeln!(s, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{}</text><text x="{LEFT}" y="33" fill="#555555">{}</text>"##,
        xml_escape(title),
        xml_escape(subtitle)
    );
    s
}

/// A light gridline across the plot (`w` wide) at height `y`, labelled `label` on the left.
pub(super) fn gridline(s: &mut String, w: f64, y: f64, label: &str) {
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
        w - RIGHT,
        LEFT - 6.0,
        y + 4.0,
        xml_escape(label)
    );
}
