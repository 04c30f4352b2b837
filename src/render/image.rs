//! Images for the PDF: JPEGs passed through unchanged (RGB, grey or CMYK), PNGs decoded once.
//! Colour is said, not assumed: an image's own ICC profile goes with it, and RGB art without
//! one is tagged sRGB (what untagged RGB from a camera, a browser or a design tool is), so
//! a RIP converts it to the output intent instead of guessing.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// An image ready to embed.
#[derive(Clone, Debug)]
pub struct PdfImage {
    /// Size in pixels.
    pub width: u32,
    /// Size in pixels.
    pub height: u32,
    /// How the samples are stored.
    pub data: ImageData,
    /// The ICC profile its samples are in: its own, or sRGB for RGB without one; `None`
    /// for grey and CMYK without one (DeviceGray, DeviceCMYK: the output intent's).
    pub profile: Option<Arc<[u8]>>,
}

/// An sRGB ICC profile (IEC 61966-2-1), made once by moxcms. Its creation date (which moxcms
/// sets to the current time) is fixed to the standard's, 1999-10-18, so the same inputs give
/// the same PDF bytes on every run.
#[must_use]
pub fn srgb_profile() -> Arc<[u8]> {
    static SRGB: OnceLock<Arc<[u8]>> = OnceLock::new();
    Arc::clone(SRGB.get_or_init(|| {
        let mut icc = moxcms::ColorProfile::new_srgb()
            .encode()
            .unwrap_or_default();
        if let Some(date) = icc.get_mut(24..36) {
            let fixed: Vec<u8> = [1999u16, 10, 18, 0, 0, 0]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect();
            date.copy_from_slice(&fixed);
        }
        Arc::from(icc)
    }))
}

/// `icc` when it is an ICC profile for `components` colour channels.
fn usable_profile(icc: Option<Vec<u8>>, components: u8) -> Option<Arc<[u8]>> {
    let icc = icc?;
    let space: &[u8] = match components {
        1 => b"GRAY",
        3 => b"RGB ",
        4 => b"CMYK",
        _ => return None,
    };
    (icc.len() >= 132 && &icc[36..40] == b"acsp" && &icc[16..20] == space).then(|| Arc::from(icc))
}

/// The profile an image of `components` channels is embedded with (see [`PdfImage::profile`]).
fn profile_for(icc: Option<Vec<u8>>, components: u8) -> Option<Arc<[u8]>> {
    usable_profile(icc, components).or_else(|| (components == 3).then(srgb_profile))
}

/// The ICC profile a JPEG carries in its APP2 `ICC_PROFILE` segments, joined in order.
fn jpeg_icc(b: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut i = 2;
    while i + 4 <= b.len() && b[i] == 0xFF {
        let marker = b[i + 1];
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let seg = b.get(i + 4..i + 2 + len)?;
        if marker == 0xE2
            && let Some(rest) = seg.strip_prefix(b"ICC_PROFILE\0")
            && rest.len() >= 2
        {
            chunks.push((rest[0], &rest[2..]));
        }
        i += 2 + len;
    }
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|c| c.0);
    Some(
        chunks
            .into_iter()
            .flat_map(|c| c.1.iter().copied())
            .collect(),
    )
}

/// The samples of an image, as the PDF stores them.
#[derive(Clone, Debug)]
pub enum ImageData {
    /// A JPEG file, written as-is with DCTDecode.
    Jpeg {
        /// The whole file.
        bytes: Vec<u8>,
        /// 1 grey, 3 RGB, 4 CMYK.
        components: u8,
        /// Adobe CMYK JPEGs store inverted samples.
        inverted: bool,
    },
    /// Decoded samples, deflated: 8-bit grey or RGB, with an optional alpha mask.
    Flate {
        /// Deflated samples.
        samples: Vec<u8>,
        /// 1 or 3.
        components: u8,
        /// Deflated 8-bit alpha, when the image has transparency.
        alpha: Option<Vec<u8>>,
    },
}

/// The most pixels on a side an image may have: 16,384 (55 in at 300 ppi).
pub const MAX_SIDE: u32 = 16_384;
/// The most pixels an image may have: 64 million (a 26 x 26 in poster at 300 ppi). Decoding
/// one to check it takes up to 4 bytes a pixel for a moment.
pub const MAX_PIXELS: u64 = 64_000_000;

/// The pixel size of the image `bytes` (read from `path`), once the image is known to be
/// whole: it is decoded to the end (and dropped), so a truncated file, corrupt scan data or
/// a header that lies never reaches a PDF. Images larger than [`MAX_SIDE`] or [`MAX_PIXELS`]
/// are refused before decoding.
///
/// # Errors
/// The reason when it is not a whole JPEG or PNG within the limits.
pub fn pixel_size(path: &Path, bytes: &[u8]) -> Result<(u32, u32), String> {
    let too_large = |w: u64, h: u64| {
        format!(
            "`{}` is {w} x {h} pixels: more than dripmail takes ({MAX_SIDE} on a side, {} million in all); scale it to 300 ppi at its printed size",
            path.display(),
            MAX_PIXELS / 1_000_000
        )
    };
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // zune-jpeg in strict mode: a premature end or corrupt scan data is an error, where
        // a lenient decoder paints the rest grey.
        let Some((w, h, ..)) = jpeg_info(bytes) else {
            return Err(format!(
                "`{}` is a JPEG whose header cannot be read or embedded (baseline or progressive, 1, 3 or 4 components)",
                path.display()
            ));
        };
        if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
            return Err(too_large(w.into(), h.into()));
        }
        let options = zune_core::options::DecoderOptions::default()
            .set_strict_mode(true)
            .set_max_width(MAX_SIDE as usize)
            .set_max_height(MAX_SIDE as usize);
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
            zune_core::bytestream::ZCursor::new(bytes),
            options,
        );
        decoder
            .decode()
            .map_err(|e| format!("`{}` is not a whole JPEG image: {e:?}", path.display()))?;
        return Ok((w, h));
    }
    let not_image = |e: image::ImageError| {
        format!("`{}` is not a whole JPEG or PNG image: {e}", path.display())
    };
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read image `{}`: {e}", path.display()))?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png)
    ) {
        return Err(format!("`{}` is not a JPEG or PNG image", path.display()));
    }
    let mut decoder = reader.into_decoder().map_err(not_image)?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(too_large(w.into(), h.into()));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (16 << 20));
    image::ImageDecoder::set_limits(&mut decoder, limits).map_err(not_image)?;
    // Decode into one buffer, then drop it: only whether it decodes matters here.
    let size = usize::try_from(image::ImageDecoder::total_bytes(&decoder))
        .map_err(|_| format!("`{}` is too large to check", path.display()))?;
    let mut buf = vec![0u8; size];
    image::ImageDecoder::read_image(decoder, &mut buf).map_err(not_image)?;
    Ok((w, h))
}

/// The image `bytes` (read from `path`), decoded for embedding.
///
/// # Errors
/// The reason when they cannot be decoded.
pub fn load(path: &Path, bytes: Cow<'_, [u8]>) -> Result<PdfImage, String> {
    if let Some((width, height, components, inverted)) = jpeg_info(&bytes) {
        let profile = profile_for(jpeg_icc(&bytes), components);
        return Ok(PdfImage {
            width,
            height,
            data: ImageData::Jpeg {
                bytes: bytes.into_owned(),
                components,
                inverted,
            },
            profile,
        });
    }
    let not_image =
        |e: image::ImageError| format!("`{}` is not a JPEG or PNG image: {e}", path.display());
    let mut decoder = image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(|e| format!("cannot read image `{}`: {e}", path.display()))?
        .into_decoder()
        .map_err(not_image)?;
    let icc = image::ImageDecoder::icc_profile(&mut decoder)
        .ok()
        .flatten();
    let img = image::DynamicImage::from_decoder(decoder).map_err(not_image)?;
    let (width, height) = (img.width(), img.height());
    let has_alpha = img.color().has_alpha();
    let grey = !img.color().has_color();
    let (samples, components) = if grey {
        (img.to_luma8().into_raw(), 1)
    } else {
        (img.to_rgb8().into_raw(), 3)
    };
    let alpha = has_alpha.then(|| {
        let a: Vec<u8> = img.to_rgba8().pixels().map(|p| p.0[3]).collect();
        miniz_oxide::deflate::compress_to_vec_zlib(&a, 6)
    });
    Ok(PdfImage {
        width,
        height,
        data: ImageData::Flate {
            samples: miniz_oxide::deflate::compress_to_vec_zlib(&samples, 6),
            components,
            alpha,
        },
        profile: profile_for(icc, components),
    })
}

/// Width, height, components and Adobe inversion of a baseline or progressive JPEG.
fn jpeg_info(b: &[u8]) -> Option<(u32, u32, u8, bool)> {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return None;
    }
    let mut i = 2;
    let mut adobe = false;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let seg = b.get(i + 4..i + 2 + len)?;
        if marker == 0xEE && seg.starts_with(b"Adobe") {
            adobe = true;
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let height = u32::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
            let width = u32::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
            let components = *seg.get(5)?;
            if width == 0 || height == 0 || !matches!(components, 1 | 3 | 4) {
                return None;
            }
            return Some((width, height, components, adobe && components == 4));
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jpeg_is_checked_to_its_end_and_within_the_limits() {
        let art = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts/art/postcard-6x4-front.jpg");
        let bytes = std::fs::read(&art).unwrap();
        // Truncated: the header is fine, the scan data stops halfway.
        let half = &bytes[..bytes.len() / 2];
        let e = pixel_size(&art, half).unwrap_err();
        assert!(e.contains("is not a whole JPEG image"), "{e}");
        // Garbage scan data after a good header.
        let mut garbage = bytes.clone();
        let from = garbage.len() / 3;
        for b in &mut garbage[from..] {
            *b = 0x5A;
        }
        assert!(pixel_size(&art, &garbage).is_err());
        // A header claiming 65535 x 65535 pixels: refused before any decoding.
        let mut huge = bytes.clone();
        let sof = huge
            .windows(2)
            .position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2])
            .unwrap();
        huge[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        let e = pixel_size(&art, &huge).unwrap_err();
        assert!(
            e.contains("65535 x 65535 pixels: more than dripmail takes"),
            "{e}"
        );
        // A truncated PNG.
        let mut png = Vec::new();
        image::RgbImage::from_pixel(64, 64, image::Rgb([200, 100, 50]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let p = Path::new("x.png");
        assert_eq!(pixel_size(p, &png).unwrap(), (64, 64));
        assert!(pixel_size(p, &png[..png.len() - 20]).is_err());
        // A valid PNG wider than the limit: said in pixels, not "Memory limit exceeded".
        let mut wide = Vec::new();
        image::GrayImage::new(MAX_SIDE + 1, 1)
            .write_to(
                &mut std::io::Cursor::new(&mut wide),
                image::ImageFormat::Png,
            )
            .unwrap();
        let e = pixel_size(p, &wide).unwrap_err();
        assert!(
            e.contains("16385 x 1 pixels: more than dripmail takes"),
            "{e}"
        );
        // A CMYK JPEG (as Photoshop writes them) is checked and embedded as it is.
        let cmyk = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cmyk-24x16.jpg");
        let cb = std::fs::read(&cmyk).unwrap();
        assert_eq!(pixel_size(&cmyk, &cb).unwrap(), (24, 16));
        assert!(matches!(
            load(&cmyk, Cow::Owned(cb)).unwrap().data,
            ImageData::Jpeg { components: 4, .. }
        ));
    }

    #[test]
    fn reads_jpeg_size_without_decoding() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts/art/postcard-6x4-front.jpg");
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(pixel_size(&p, &bytes).unwrap(), (1875, 1275));
        let img = load(&p, Cow::Owned(bytes)).unwrap();
        assert!(matches!(
            img.data,
            ImageData::Jpeg {
                components: 3,
                inverted: false,
                ..
            }
        ));
    }

    #[test]
    fn rejects_what_is_not_an_image() {
        let p = Path::new("x.jpg");
        let bytes = b"not an image";
        assert!(pixel_size(p, bytes).is_err());
        assert!(load(p, Cow::Borrowed(bytes)).is_err());
    }

    #[test]
    fn rgb_art_is_tagged_srgb_and_a_profile_it_carries_is_kept() {
        let srgb = srgb_profile();
        assert!(srgb.len() > 132 && &srgb[36..40] == b"acsp" && &srgb[16..20] == b"RGB ");
        // Dated 1999-10-18, not today: output must not depend on when it was made.
        assert_eq!(&srgb[24..30], &[0x07, 0xCF, 0, 10, 0, 18]);
        // The shipped art is RGB with no profile: tagged sRGB.
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts/art/postcard-6x4-front.jpg");
        let bytes = std::fs::read(&p).unwrap();
        assert!(jpeg_icc(&bytes).is_none());
        let img = load(&p, Cow::Owned(bytes.clone())).unwrap();
        assert_eq!(img.profile.as_deref(), Some(&srgb[..]));
        // The same JPEG with a profile in two APP2 chunks, stored out of order.
        let mut own = srgb.to_vec();
        own[44..48].copy_from_slice(b"TEST");
        let (a, b) = own.split_at(100);
        let app2 = |seq: u8, part: &[u8]| {
            let mut seg = b"ICC_PROFILE\0".to_vec();
            seg.extend([seq, 2]);
            seg.extend_from_slice(part);
            let len = u16::try_from(seg.len() + 2).unwrap().to_be_bytes();
            let mut out = vec![0xFF, 0xE2, len[0], len[1]];
            out.extend(seg);
            out
        };
        let mut tagged = bytes[..2].to_vec();
        tagged.extend(app2(2, b));
        tagged.extend(app2(1, a));
        tagged.extend_from_slice(&bytes[2..]);
        assert_eq!(jpeg_icc(&tagged).as_deref(), Some(&own[..]));
        let img = load(&p, Cow::Owned(tagged)).unwrap();
        assert_eq!(img.profile.as_deref(), Some(&own[..]));
        // A profile for the wrong colour space is ignored; grey and CMYK stay device colour.
        assert!(usable_profile(Some(own.clone()), 4).is_none());
        assert!(profile_for(None, 1).is_none() && profile_for(None, 4).is_none());
    }
}
