//! Every file a cycle reads besides its CSVs (layout files, fonts, images, ICC profiles and
//! designer PDFs) goes through one [`Resources`], which reads and parses each once and hands
//! out shared copies: typst's `World`. Its [`Files`] are the disk and the built-in assets for
//! a real run, or a map in memory, so layouts and rendering can be tested without a disk.

use std::borrow::Cow;
#[cfg(test)]
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::layout::Font;
use crate::render::image::{self, PdfImage};

/// Where the bytes come from.
pub trait Files: Send + Sync {
    /// The bytes of the file at `path`.
    ///
    /// # Errors
    /// The I/O error (`NotFound` for a file that is not there).
    fn read(&self, path: &Path) -> std::io::Result<Cow<'static, [u8]>>;

    /// True when there is a file at `path`.
    fn exists(&self, path: &Path) -> bool;
}

/// The disk, with the built-in layouts, fonts and art under [`crate::assets::BUILTIN_ROOT`].
struct Disk;

impl Files for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Cow<'static, [u8]>> {
        crate::assets::read(path)
    }

    fn exists(&self, path: &Path) -> bool {
        crate::assets::exists(path)
    }
}

/// Files held in memory, by path: for tests.
#[cfg(test)]
#[derive(Default)]
pub struct InMemory {
    files: BTreeMap<PathBuf, Arc<[u8]>>,
}

#[cfg(test)]
impl InMemory {
    /// Adds (or replaces) the file `path`.
    pub fn insert(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Arc<[u8]>>) {
        self.files
            .insert(crate::assets::lexical(&path.into()), bytes.into());
    }
}

#[cfg(test)]
impl Files for InMemory {
    fn read(&self, path: &Path) -> std::io::Result<Cow<'static, [u8]>> {
        self.files
            .get(&crate::assets::lexical(path))
            .map(|b| Cow::Owned(b.to_vec()))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(&crate::assets::lexical(path))
    }
}

/// What was loaded from one path, or why it could not be: both are kept, so a file that
/// fails is read once, not once per piece.
struct Cache<T>(Mutex<HashMap<PathBuf, Result<T, String>>>);

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache(Mutex::default())
    }
}

impl<T: Clone> Cache<T> {
    fn get(&self, path: &Path, load: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        let key = crate::assets::lexical(path);
        // A panic while another thread held the lock leaves the cache as it was: still valid.
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(key).or_insert_with(load).clone()
    }
}

/// Reads and parses each resource once.
pub struct Resources {
    files: Box<dyn Files>,
    fonts: Cache<Arc<Font>>,
    profiles: Cache<Arc<[u8]>>,
    sizes: Cache<(u32, u32)>,
    images: Cache<Arc<PdfImage>>,
    pdfs: Cache<Arc<lopdf::Document>>,
}

impl Default for Resources {
    fn default() -> Self {
        Resources::new(Box::new(Disk))
    }
}

impl Resources {
    /// Resources read from `files`.
    #[must_use]
    pub fn new(files: Box<dyn Files>) -> Resources {
        Resources {
            files,
            fonts: Cache::default(),
            profiles: Cache::default(),
            sizes: Cache::default(),
            images: Cache::default(),
            pdfs: Cache::default(),
        }
    }

    /// The bytes of the file at `path` (not cached: for files read once, like a layout).
    ///
    /// # Errors
    /// The I/O error.
    pub fn read(&self, path: &Path) -> std::io::Result<Cow<'static, [u8]>> {
        self.files.read(path)
    }

    /// True when there is a file at `path`.
    #[must_use]
    pub fn exists(&self, path: &Path) -> bool {
        self.files.exists(path)
    }

    /// The font at `path`.
    ///
    /// # Errors
    /// Why it cannot be read or is not a font.
    pub fn font(&self, path: &Path) -> Result<Arc<Font>, String> {
        self.fonts.get(path, || {
            let bytes = self
                .read(path)
                .map_err(|e| format!("cannot read font `{}`: {e}", path.display()))?;
            Font::parse(path, bytes).map(Arc::new)
        })
    }

    /// The ICC profile at `path`, checked to be one.
    ///
    /// # Errors
    /// Why it cannot be read or is not an ICC profile.
    pub fn profile(&self, path: &Path) -> Result<Arc<[u8]>, String> {
        self.profiles.get(path, || {
            let bytes = self
                .read(path)
                .map_err(|e| format!("cannot read ICC profile `{}`: {e}", path.display()))?;
            if bytes.len() < 132 || &bytes[36..40] != b"acsp" {
                return Err(format!("`{}` is not an ICC profile", path.display()));
            }
            Ok(Arc::from(bytes.into_owned()))
        })
    }

    /// The pixel size of the image at `path`, read from its header.
    ///
    /// # Errors
    /// Why it cannot be read or is not a JPEG or PNG.
    pub fn pixel_size(&self, path: &Path) -> Result<(u32, u32), String> {
        self.sizes.get(path, || {
            let bytes = self
                .read(path)
                .map_err(|e| format!("cannot read image `{}`: {e}", path.display()))?;
            image::pixel_size(path, &bytes)
        })
    }

    /// The image at `path`, ready to embed.
    ///
    /// # Errors
    /// Why it cannot be read or decoded.
    pub fn image(&self, path: &Path) -> Result<Arc<PdfImage>, String> {
        self.images.get(path, || {
            let bytes = self
                .read(path)
                .map_err(|e| format!("cannot read image `{}`: {e}", path.display()))?;
            image::load(path, bytes).map(Arc::new)
        })
    }

    /// The designer PDF at `path`, parsed.
    ///
    /// # Errors
    /// Why it cannot be read or parsed.
    pub fn pdf(&self, path: &Path) -> Result<Arc<lopdf::Document>, String> {
        self.pdfs.get(path, || {
            let bytes = self
                .read(path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            lopdf::Document::load_mem(&bytes)
                .map(Arc::new)
                .map_err(|e| format!("`{}` is not a readable PDF: {e}", path.display()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_is_read_once_and_failures_are_remembered() {
        struct Counting(InMemory, std::sync::atomic::AtomicUsize);
        impl Files for Counting {
            fn read(&self, path: &Path) -> std::io::Result<Cow<'static, [u8]>> {
                self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.0.read(path)
            }
            fn exists(&self, path: &Path) -> bool {
                self.0.exists(path)
            }
        }
        let mut files = InMemory::default();
        let font = crate::assets::builtin_layouts().join("../fonts/DejaVuSans.ttf");
        files.insert(&font, crate::assets::read(&font).unwrap().into_owned());
        files.insert("/art/bad.jpg", b"not an image".to_vec());
        let counting = Arc::new(Counting(files, 0.into()));
        struct Shared(Arc<Counting>);
        impl Files for Shared {
            fn read(&self, path: &Path) -> std::io::Result<Cow<'static, [u8]>> {
                self.0.read(path)
            }
            fn exists(&self, path: &Path) -> bool {
                self.0.exists(path)
            }
        }
        let res = Resources::new(Box::new(Shared(Arc::clone(&counting))));
        let a = res.font(&font).unwrap();
        let b = res
            .font(&font.parent().unwrap().join("./DejaVuSans.ttf"))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b), "one font, parsed once");
        for _ in 0..3 {
            assert!(res.pixel_size(Path::new("/art/bad.jpg")).is_err());
        }
        assert!(
            res.profile(Path::new("/art/bad.jpg"))
                .unwrap_err()
                .contains("is not an ICC profile")
        );
        assert!(res.image(Path::new("/nope.png")).is_err());
        // font once, bad.jpg once as an image header and once as a profile, nope.png once.
        assert_eq!(counting.1.load(std::sync::atomic::Ordering::Relaxed), 4);
    }
}
