//! The starter campaign `dripmail init` writes: a campaign file with every key explained, a
//! few contacts, and the built-in layouts with neutral copy and placeholder art (the shipped
//! ones carry the sample brand, Bottega Verde), for a shop to replace.

/// Files of the starter campaign, by path relative to the new folder.
pub static FILES: &[(&str, &[u8])] = &[
    (
        "contacts.csv",
        include_bytes!("../samples/starter/contacts.csv"),
    ),
    (
        "events.csv",
        include_bytes!("../samples/starter/events.csv"),
    ),
    (
        "do-not-mail.csv",
        include_bytes!("../samples/starter/do-not-mail.csv"),
    ),
];

/// Contacts for proofs of a campaign that has no data yet: varied names and addresses,
/// long and accented ones included.
pub const SAMPLE_CONTACTS: &str = "id,first_name,last_name,company,address1,address2,city,state,postal_code,country,enrolled_on,segment
1,Ann,Lee,,12 Main St,Apt 4,Springfield,IL,62701,US,2026-01-05,retail
2,Maria Guadalupe,Bartholomew-Castellanos,Northwind Traders International,4000 Washington Blvd,Suite 1200,Santa Fe,NM,87501-1234,US,2026-01-05,wholesale
3,Nicolò,Zanè,Trattoria da Mario,Corso Vittorio Emanuele II 116,Scala B,Verona,VR,37121,IT,2026-01-06,vip
";

/// The starter `campaign.toml`, pointing at the layouts written beside it.
#[must_use]
pub fn campaign_toml() -> String {
    include_str!("../samples/starter/campaign.toml")
        .replace("layouts = \"../../layouts\"", "layouts = \"layouts\"")
}

/// Neutral copy for each shipped layout's `[fields]`, by layout id.
const NEUTRAL_FIELDS: &[(&str, &str)] = &[
    (
        "postcard-6x4",
        r#"front_title = "Your Brand"
front_subtitle = "Replace this title and the art behind it"
headline = "Hello {{ first_name | default('there') }}, a note from us"
body = "Say what is new and why it matters to them, in two short sentences."
offer = "Your offer: 10% off with code WELCOME10"
purl = "https://example.com/r/{{ piece_id }}"
qr_caption = "Scan for your offer, or visit""#,
    ),
    (
        "postcard-6x9",
        r#"front_title = "Your Brand"
front_subtitle = "Replace this title and the art behind it"
headline = "{{ first_name | default('Hello') }}, something new for you"
body = "Say what is new and why it matters to them. Two or three short sentences read best on a card; end with what to do next."
offer = "Your offer: 10% off with code WELCOME10"
purl = "https://example.com/r/{{ piece_id }}"
qr_caption = "Scan for your offer, or visit""#,
    ),
    (
        "flyer-letter",
        r#"front_title = "Your Brand"
front_subtitle = "Replace this title and the art behind it"
headline = "Picked for you, {{ first_name | default('friend') }}"
body = "Use this space for the story of your season: what is new, what it is made of, and why a customer like this one will want it.\n\nEnd with where to find it and what it costs to ship."
offer = "Your offer: 10% off with code WELCOME10"
purl = "https://example.com/r/{{ piece_id }}"
qr_caption = "Scan for the catalog,\nor visit""#,
    ),
    (
        "flyer-a4",
        r#"front_title = "Il tuo marchio"
front_subtitle = "Sostituisci questo titolo e l’immagine"
headline = "Scelto per te, {{ first_name | default('amico') }}"
body = "Racconta qui la stagione: cosa c’è di nuovo, di cosa è fatto e perché piacerà a questo cliente.\n\nChiudi con dove trovarlo e quanto costa la spedizione."
offer = "La tua offerta: 10% di sconto con il codice BENVENUTO10"
purl = "https://example.com/r/{{ piece_id }}"
qr_caption = "Inquadra il codice o visita""#,
    ),
];

/// A built-in file as `init` writes it: layouts with neutral copy, art as placeholders of the
/// same size; everything else as built in.
///
/// # Errors
/// When the built-in art cannot be read (a broken build).
pub fn neutral(path: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some(id) = name.strip_suffix(".toml")
        && let Some((_, fields)) = NEUTRAL_FIELDS.iter().find(|(l, _)| *l == id)
    {
        let text = String::from_utf8_lossy(bytes);
        return Ok(replace_fields(&text, fields).into_bytes());
    }
    if path.ends_with("-front.jpg") {
        return placeholder_art(bytes);
    }
    Ok(bytes.to_vec())
}

/// `text` with the body of its `[fields]` table replaced by `fields`.
fn replace_fields(text: &str, fields: &str) -> String {
    let Some(start) = text.find("\n[fields]\n") else {
        return text.to_string();
    };
    let body = start + "\n[fields]\n".len();
    let end = text[body..].find("\n[").map_or(text.len(), |i| body + i);
    format!("{}{fields}\n{}", &text[..body], &text[end..])
}

/// A placeholder as large as the art `original` (so the 300 ppi check passes): light grey,
/// a darker cross corner to corner, and a frame where the trim is (the bleed, 1/8 in at
/// 300 ppi, outside it). Dark type stays readable on it.
fn placeholder_art(original: &[u8]) -> Result<Vec<u8>, String> {
    let (w, h) = image::ImageReader::new(std::io::Cursor::new(original))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .into_dimensions()
        .map_err(|e| e.to_string())?;
    let bleed = 38_u32;
    let mut img = image::RgbImage::from_pixel(w, h, image::Rgb([236, 235, 231]));
    let (wf, hf) = (f64::from(w), f64::from(h));
    for y in 0..h {
        for x in 0..w {
            let (xf, yf) = (f64::from(x), f64::from(y));
            // Distance to each diagonal, in pixels.
            let d1 = (yf * wf - xf * hf).abs() / wf.hypot(hf);
            let d2 = ((hf - yf) * wf - xf * hf).abs() / wf.hypot(hf);
            let on_trim = (x.abs_diff(bleed) < 3 || x.abs_diff(w - bleed) < 3)
                && (bleed..h - bleed).contains(&y)
                || (y.abs_diff(bleed) < 3 || y.abs_diff(h - bleed) < 3)
                    && (bleed..w - bleed).contains(&x);
            if on_trim {
                img.put_pixel(x, y, image::Rgb([170, 170, 165]));
            } else if d1 < 2.0 || d2 < 2.0 {
                img.put_pixel(x, y, image::Rgb([205, 204, 199]));
            }
        }
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_get_neutral_copy_and_art_a_placeholder_of_the_same_size() {
        for (path, bytes) in crate::assets::BUILTIN {
            let out = neutral(path, bytes).unwrap();
            if path.ends_with(".toml") && path.starts_with("layouts/") {
                let text = String::from_utf8(out).unwrap();
                assert!(!text.to_lowercase().contains("bottega"), "{path}");
                assert!(text.contains("example.com/r/{{ piece_id }}"), "{path}");
                // The rest of the layout is untouched.
                let original = String::from_utf8_lossy(bytes);
                let after = |t: &str| t[t.find("[[pages]]").unwrap()..].to_string();
                assert_eq!(after(&text), after(&original), "{path}");
            } else if path.ends_with("-front.jpg") {
                let dims = |b: &[u8]| {
                    image::ImageReader::new(std::io::Cursor::new(b))
                        .with_guessed_format()
                        .unwrap()
                        .into_dimensions()
                        .unwrap()
                };
                assert_eq!(dims(&out), dims(bytes), "{path}");
                assert_ne!(out, bytes.to_vec());
            }
        }
    }
}
