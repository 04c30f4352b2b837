//! Images for the PDF: JPEGs passed through unchanged (RGB, grey or CMYK), PNGs decoded once.

use std::borrow::Cow;
use std::path::Path;

/// An image ready to embed.
#[derive(Clone, Debug)]
pub struct PdfImage {
    /// Size in pixels.
    pub width: u32,
    /// Size in pixels.
    pub height: u32,
    /// How the samples are stored.
    pub data: ImageData,
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

/// The pixel size of the image `bytes` (read from `path`) without decoding it.
///
/// # Errors
/// The reason when it is not a JPEG or PNG.
pub fn pixel_size(path: &Path, bytes: &[u8]) -> Result<(u32, u32), String> {
    if let Some(info) = jpeg_info(bytes) {
        return Ok((info.0, info.1));
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read image `{}`: {e}", path.display()))?;
    reader
        .into_dimensions()
        .map_err(|e| format!("`{}` is not a JPEG or PNG image: {e}", path.display()))
}

/// The image `bytes` (read from `path`), decoded for embedding.
///
/// # Errors
/// The reason when they cannot be decoded.
pub fn load(path: &Path, bytes: Cow<'_, [u8]>) -> Result<PdfImage, String> {
    if let Some((width, height, components, inverted)) = jpeg_info(&bytes) {
        return Ok(PdfImage {
            width,
            height,
            data: ImageData::Jpeg {
                bytes: bytes.into_owned(),
                components,
                inverted,
            },
        });
    }
    let img = image::load_from_memory(&bytes)
        .map_err(|e| format!("`{}` is not a JPEG or PNG image: {e}", path.display()))?;
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
}
