//! `jobticket.xjdf`: the cycle's job ticket in CIP4 XJDF 2.x, for a shop's MIS or a digital
//! front end. One product per piece PDF (finished size, pages and sides, stock, colours,
//! quantity, mail class, folding and tabbing), the PDFs to print, the media, and on an imposed
//! cycle the press sheets: the sheet PDFs, where each slot sits, the stack depth and stack
//! order (cut and stack), and the cut blocks. docs/operations.md says what each element
//! carries; the test suite checks it, and `tools/check-xjdf.py` validates it against the
//! CIP4 schema (not shipped: its licence is CIP4's).

use std::fmt::Write as _;

use super::{Summary, xml_escape};
use crate::job::Job;
use crate::layout::Layout;

/// The XJDF namespace (version 2.x).
const NAMESPACE: &str = "http://www.CIP4.org/JDFSchema_2_0";

/// The cycle's XJDF ticket. Its creation time is the cycle's date at 00:00 UTC, as in the
/// PDFs: a cycle's files are the same bytes whenever they are made.
#[must_use]
pub fn job_ticket_xjdf(job: &Job, s: &Summary) -> String {
    let campaign = &job.campaign;
    let imposed = !s.sheets.is_empty();
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let types = if imposed {
        "Interpreting Rendering DigitalPrinting Cutting"
    } else {
        "Interpreting Rendering DigitalPrinting"
    };
    let _ = writeln!(
        x,
        r#"<XJDF xmlns="{NAMESPACE}" JobID="{}" DescriptiveName="{}" Types="{types}" Version="2.1">"#,
        token(&format!("{}_{}", s.campaign, s.cycle_date)),
        xml_escape(&format!("{} – cycle {}", s.name, s.cycle_date)),
    );
    let _ = writeln!(x, "  <AuditPool>\n    <AuditCreated>");
    let _ = writeln!(
        x,
        r#"      <Header AgentName="dripmail" AgentVersion="{}" DeviceID="dripmail" Time="{}"/>"#,
        env!("CARGO_PKG_VERSION"),
        format_args!("{}T00:00:00Z", s.cycle_date)
    );
    let _ = writeln!(x, "    </AuditCreated>\n  </AuditPool>");
    let pieces: u64 = s.files.iter().map(|f| f.pieces).sum();
    let _ = writeln!(
        x,
        "  <Comment>Direct mail, cycle {} of campaign {}: {} to mail on {}, in manifest order. Every piece is addressed: no overs; a spoiled piece is reprinted with `dripmail reprint`.{}</Comment>",
        s.cycle_date,
        xml_escape(&s.campaign),
        crate::words::count(pieces, "piece", "pieces"),
        s.cycle_date,
        if imposed {
            " Press sheets: work and turn, cut and stack; after cutting, put each slot's stack on the next slot's (slot 1 first), block after block."
        } else {
            ""
        }
    );
    let _ = writeln!(
        x,
        r#"  <GeneralID IDUsage="CycleDate" IDValue="{}" DataType="string"/>"#,
        s.cycle_date
    );
    let _ = writeln!(
        x,
        r#"  <GeneralID IDUsage="DropDate" IDValue="{}" DataType="string"/>"#,
        s.cycle_date
    );
    let _ = writeln!(x, "  <ProductList>");
    for (i, f) in s.files.iter().enumerate() {
        let Some(layout) = job.layouts.get(&f.layout) else {
            continue;
        };
        let n = f.pieces;
        let _ = writeln!(
            x,
            r#"    <Product ID="{}" ExternalID="{}" Amount="{n}" MinAmount="{n}" MaxAmount="{n}" ProductType="{}" ProductTypeDetails="{}" DescriptiveName="{}" IsRoot="true">"#,
            product_id(i),
            token(f.file.trim_end_matches(".pdf")),
            product_type(layout),
            xml_escape(&format!("{}, {}", layout.id, layout.trim_label())),
            xml_escape(&format!("step {}, layout {}, {}", f.step, f.layout, f.file)),
        );
        for (usage, value) in [
            ("Step", f.step.clone()),
            ("Layout", f.layout.clone()),
            ("MailClass", f.mail_class.clone()),
            ("Folding", layout.folds_label().unwrap_or_default()),
            (
                "Tabbing",
                layout.seal.as_ref().map(|x| x.label()).unwrap_or_default(),
            ),
        ] {
            if !value.is_empty() {
                let _ = writeln!(
                    x,
                    r#"      <GeneralID IDUsage="{usage}" IDValue="{}"/>"#,
                    xml_escape(&value)
                );
            }
        }
        let (w, h) = (layout.width.get(), layout.height.get());
        let number_up = s
            .sheets
            .iter()
            .find(|sh| sh.pieces_file == f.file)
            .map(|sh| format!(r#" NumberUp="{} {}""#, sh.across, sh.down))
            .unwrap_or_default();
        let _ = writeln!(
            x,
            r#"      <Intent Name="LayoutIntent">
        <LayoutIntent FinishedDimensions="{} {} 0" Bleed="{}" Pages="{}" Sides="{}"{number_up}/>
      </Intent>"#,
            pt(w),
            pt(h),
            pt(layout.bleed.get()),
            layout.pages.len(),
            sides(layout)
        );
        let _ = writeln!(
            x,
            "      <Intent Name=\"MediaIntent\" DescriptiveName=\"{}\">\n        <MediaIntent MediaType=\"Paper\"{}/>\n      </Intent>",
            xml_escape(&layout.stock),
            paper(&layout.stock)
        );
        let oi = job.output_intent(layout);
        let standard = token(&oi.identifier);
        let _ = writeln!(x, r#"      <Intent Name="ColorIntent">"#);
        let _ = writeln!(x, "        <ColorIntent>");
        for surface in ["Front", "Back"].iter().take(layout.pages.len().min(2)) {
            let _ = writeln!(
                x,
                r#"          <SurfaceColor Surface="{surface}" ColorsUsed="Cyan Magenta Yellow Black"{}/>"#,
                if standard.is_empty() {
                    String::new()
                } else {
                    format!(r#" PrintStandard="{standard}""#)
                }
            );
        }
        let _ = writeln!(x, "        </ColorIntent>\n      </Intent>");
        let _ = writeln!(x, "    </Product>");
    }
    let _ = writeln!(x, "  </ProductList>");
    resource_set(&mut x, "NodeInfo", "Input", |x| {
        let _ = writeln!(x, "    <Resource>\n      <NodeInfo/>\n    </Resource>");
    });
    let sender = &campaign.sender;
    if !sender.name.is_empty() || !sender.company.is_empty() {
        resource_set(&mut x, "Contact", "Input", |x| {
            let org = if sender.company.is_empty() {
                &sender.name
            } else {
                &sender.company
            };
            let _ = writeln!(
                x,
                r#"    <Resource>
      <Part ContactType="Customer"/>
      <Contact>
        <Address City="{}" Region="{}" PostalCode="{}"{} Street="{}"/>
        <Company OrganizationName="{}"/>
      </Contact>
    </Resource>"#,
                xml_escape(&sender.city),
                xml_escape(&sender.state),
                xml_escape(&sender.postal_code),
                country_code(&sender.country)
                    .map(|c| format!(r#" CountryCode="{c}""#))
                    .unwrap_or_default(),
                xml_escape(
                    &[sender.address1.as_str(), sender.address2.as_str()]
                        .iter()
                        .filter(|l| !l.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                xml_escape(org)
            );
        });
    }
    // The PDFs to print: the press sheets when imposed, else the pieces.
    resource_set(&mut x, "RunList", "Input", |x| {
        for (i, f) in s.files.iter().enumerate() {
            let sheet = s.sheets.iter().find(|sh| sh.pieces_file == f.file);
            let (file, pages, bytes) = match sheet {
                Some(sh) => (&sh.file, sh.pages, sh.bytes),
                None => (&f.file, f.pages, f.bytes),
            };
            let _ = writeln!(
                x,
                r#"    <Resource DescriptiveName="{}">
      <Part ProductPart="{}"/>
      <RunList NPage="{pages}">
        <FileSpec URL="{}" MimeType="application/pdf" FileSize="{bytes}" NPage="{pages}"/>
      </RunList>
    </Resource>"#,
                xml_escape(&format!("{file}, SHA-256 in summary.json")),
                product_id(i),
                xml_escape(file),
            );
        }
    });
    resource_set(&mut x, "Media", "Input", |x| {
        for (i, f) in s.files.iter().enumerate() {
            let Some(layout) = job.layouts.get(&f.layout) else {
                continue;
            };
            // On an imposed cycle, the press sheets: their size and how many.
            let sheets = s
                .sheets
                .iter()
                .find(|sh| sh.pieces_file == f.file)
                .zip(campaign.impose.as_ref());
            let _ = writeln!(
                x,
                r#"    <Resource DescriptiveName="{}">{}
      <Part ProductPart="{}"/>
      <Media MediaType="Paper"{}{}/>
    </Resource>"#,
                xml_escape(&layout.stock),
                sheets
                    .map(|(sh, _)| format!(
                        "\n      <AmountPool>\n        <PartAmount Amount=\"{}\"/>\n      </AmountPool>",
                        sh.sheets
                    ))
                    .unwrap_or_default(),
                product_id(i),
                sheets
                    .map(|(_, sh)| format!(r#" Dimension="{} {}""#, pt(sh.width), pt(sh.height)))
                    .unwrap_or_default(),
                paper(&layout.stock),
            );
        }
    });
    resource_set(&mut x, "DigitalPrintingParams", "Input", |x| {
        for (i, f) in s.files.iter().enumerate() {
            let _ = writeln!(
                x,
                r#"    <Resource>
      <Part ProductPart="{}"/>
      <DigitalPrintingParams Sides="{}" Collate="None" PageDelivery="SameOrderFaceUp"/>
    </Resource>"#,
                product_id(i),
                if f.sides >= 2 {
                    "TwoSided"
                } else {
                    "OneSidedFront"
                }
            );
        }
    });
    if imposed {
        let impositions: Vec<(usize, crate::impose::Imposition)> = s
            .files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                s.sheets.iter().find(|sh| sh.pieces_file == f.file)?;
                let layout = job.layouts.get(&f.layout)?;
                let imp = crate::impose::fit(
                    campaign.impose.as_ref()?,
                    (layout.width.get(), layout.height.get()),
                    layout.bleed.get(),
                    crate::impose::Margins::default(),
                )
                .ok()?;
                Some((i, imp))
            })
            .collect();
        resource_set(&mut x, "Layout", "Input", |x| {
            for (i, imp) in &impositions {
                let depth = s
                    .sheets
                    .iter()
                    .find(|sh| sh.pieces_file == s.files[*i].file);
                let depth = depth.map_or(0, |sh| sh.stack_depth);
                let _ = writeln!(
                    x,
                    "    <Resource>\n      <Part ProductPart=\"{}\"/>\n      <Layout Automated=\"false\" WorkStyle=\"WorkAndTurn\">",
                    product_id(*i)
                );
                for (j, &(sx, sy)) in imp.slots.iter().enumerate() {
                    let _ = writeln!(
                        x,
                        r#"        <Position AbsoluteBox="{} {} {} {}" Orientation="{}" PositionOrd="{j}" StackOrd="{j}" StackDepth="{depth}"/>"#,
                        pt(sx),
                        pt(sy),
                        pt(sx + imp.cell.0),
                        pt(sy + imp.cell.1),
                        if imp.rotated { "Rotate90" } else { "Rotate0" }
                    );
                }
                let _ = writeln!(x, "      </Layout>\n    </Resource>");
            }
        });
        resource_set(&mut x, "CuttingParams", "Input", |x| {
            for (i, imp) in &impositions {
                let _ = writeln!(
                    x,
                    "    <Resource>\n      <Part ProductPart=\"{}\"/>\n      <CuttingParams>",
                    product_id(*i)
                );
                for (j, &(sx, sy)) in imp.slots.iter().enumerate() {
                    let _ = writeln!(
                        x,
                        r#"        <CutBlock BlockName="Slot{}" Box="{} {} {} {}"/>"#,
                        j + 1,
                        pt(sx),
                        pt(sy),
                        pt(sx + imp.cell.0),
                        pt(sy + imp.cell.1),
                    );
                }
                let _ = writeln!(x, "      </CuttingParams>\n    </Resource>");
            }
        });
    }
    resource_set(&mut x, "Component", "Output", |x| {
        for (i, f) in s.files.iter().enumerate() {
            let Some(layout) = job.layouts.get(&f.layout) else {
                continue;
            };
            let n = f.pieces;
            let _ = writeln!(
                x,
                r#"    <Resource>
      <AmountPool>
        <PartAmount Amount="{n}" MinAmount="{n}" MaxAmount="{n}"/>
      </AmountPool>
      <Part ProductPart="{}"/>
      <Component Dimensions="{} {} 0" ProductType="{}"/>
    </Resource>"#,
                product_id(i),
                pt(layout.width.get()),
                pt(layout.height.get()),
                product_type(layout)
            );
        }
    });
    let _ = writeln!(x, "</XJDF>");
    x
}

/// A `ResourceSet` of `name` and `usage`, its resources written by `body`.
fn resource_set(x: &mut String, name: &str, usage: &str, body: impl FnOnce(&mut String)) {
    let _ = writeln!(x, r#"  <ResourceSet Name="{name}" Usage="{usage}">"#);
    body(x);
    let _ = writeln!(x, "  </ResourceSet>");
}

/// The XML id of the `i`th product (one per piece PDF).
fn product_id(i: usize) -> String {
    format!("Product_{}", i + 1)
}

/// XJDF's product type: a folded piece is a leaflet, a layout named a postcard a postcard,
/// else a flyer.
fn product_type(layout: &Layout) -> &'static str {
    if !layout.folds.is_empty() {
        "Leaflet"
    } else if layout.id.to_lowercase().contains("postcard") {
        "Postcard"
    } else {
        "Flyer"
    }
}

/// `TwoSidedHeadToHead` for a two-sided piece (its back is upright when turned over its
/// vertical axis), `OneSided` for one page.
fn sides(layout: &Layout) -> &'static str {
    if layout.pages.len() >= 2 {
        "TwoSidedHeadToHead"
    } else {
        "OneSided"
    }
}

/// The `Weight` and `Thickness` attributes the stock's description gives.
fn paper(stock: &str) -> String {
    let mut out = String::new();
    if let Some(g) = media_weight(stock) {
        let _ = write!(out, r#" Weight="{g}""#);
    }
    if let Some(um) = caliper(stock) {
        let _ = write!(out, r#" Thickness="{um}""#);
    }
    out
}

/// The paper's thickness in µm from a caliper in points (thousandths of an inch): `14 pt`.
fn caliper(stock: &str) -> Option<f64> {
    let lower = stock.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        let n = match w[1] {
            "pt" | "pt." => w[0].parse::<f64>().ok()?,
            _ => w[0].strip_suffix("pt")?.parse::<f64>().ok()?,
        };
        Some((n * 25.4 * 10.0).round() / 10.0)
    })
}

/// The paper's weight in g/m², read from the stock's description when it gives one: `150
/// g/m²`, `150 gsm`, `100 lb text` or `100 lb cover` (US basis weights).
fn media_weight(stock: &str) -> Option<f64> {
    let lower = stock.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    for (k, w) in words.iter().enumerate() {
        let (number, unit, after) = match w.find(|c: char| !c.is_ascii_digit() && c != '.') {
            Some(0) => continue,
            Some(at) => (&w[..at], &w[at..], k + 1),
            None => (*w, words.get(k + 1).copied().unwrap_or(""), k + 2),
        };
        let Ok(n) = number.parse::<f64>() else {
            continue;
        };
        if unit.starts_with("g/m") || unit == "gsm" || unit == "g" {
            return Some(n);
        }
        if unit == "lb" || unit == "#" {
            // US basis weights: text (25 × 38 in ream) and cover (20 × 26 in ream).
            let grade = words
                .iter()
                .skip(after)
                .take(3)
                .find(|g| matches!(**g, "cover" | "text" | "book"));
            let factor = match grade {
                Some(&"cover") => 2.708,
                Some(_) => 1.48,
                None => continue,
            };
            return Some((n * factor).round());
        }
    }
    None
}

/// The country's ISO code when it is one (XJDF wants two capital letters).
fn country_code(country: &str) -> Option<&str> {
    (country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())).then_some(country)
}

/// Points, to three decimals, without trailing zeros.
fn pt(v: f64) -> String {
    let s = format!("{:.3}", (v * 1000.0).round() / 1000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `text` as an NMTOKEN: letters, digits, `.`, `-`, `_` and `:` kept, anything else `_`.
fn token(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_read_from_the_stock() {
        assert_eq!(media_weight("150 g/m² patinata lucida, 4/4"), Some(150.0));
        assert_eq!(media_weight("300gsm silk"), Some(300.0));
        assert_eq!(media_weight("100 lb gloss text, 4/4"), Some(148.0));
        assert_eq!(media_weight("100 lb cover"), Some(271.0));
        assert_eq!(media_weight("14 pt C2S cover, 4/4"), None);
        assert_eq!(caliper("14 pt C2S cover, 4/4"), Some(355.6));
        assert_eq!(caliper("16pt cover"), Some(406.4));
        assert_eq!(caliper("150 g/m²"), None);
        assert_eq!(media_weight(""), None);
    }

    #[test]
    fn text_is_escaped_and_tokens_are_tokens() {
        assert_eq!(
            xml_escape("A & B <\"x\">"),
            "A &amp; B &lt;&quot;x&quot;&gt;"
        );
        assert_eq!(xml_escape("a\nb"), "a b");
        assert_eq!(
            token("autumn 2026/x_2026-11-24"),
            "autumn_2026_x_2026-11-24"
        );
        assert_eq!(pt(432.0), "432");
        assert_eq!(pt(9.0000001), "9");
        assert_eq!(pt(8.5), "8.5");
    }
}
