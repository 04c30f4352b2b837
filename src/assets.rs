//! Files the binary carries: the shipped layouts, their fonts and art, under a virtual root.
//!
//! A campaign without a `layouts` key reads its layouts from [`BUILTIN_ROOT`]; every path
//! under it resolves to bytes compiled into the binary, so an installed `dripmail` works
//! outside the repository.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// The virtual directory of the built-in files; `<built-in>/layouts` holds the layouts.
pub const BUILTIN_ROOT: &str = "<built-in>";

/// Every built-in file, by path relative to the repository root.
pub static BUILTIN: &[(&str, &[u8])] = &[
    (
        "layouts/postcard-6x4.toml",
        include_bytes!("../layouts/postcard-6x4.toml"),
    ),
    (
        "layouts/postcard-6x9.toml",
        include_bytes!("../layouts/postcard-6x9.toml"),
    ),
    (
        "layouts/flyer-letter.toml",
        include_bytes!("../layouts/flyer-letter.toml"),
    ),
    (
        "layouts/flyer-a4.toml",
        include_bytes!("../layouts/flyer-a4.toml"),
    ),
    (
        "layouts/art/postcard-6x4-front.jpg",
        include_bytes!("../layouts/art/postcard-6x4-front.jpg"),
    ),
    (
        "layouts/art/postcard-6x9-front.jpg",
        include_bytes!("../layouts/art/postcard-6x9-front.jpg"),
    ),
    (
        "layouts/art/flyer-letter-front.jpg",
        include_bytes!("../layouts/art/flyer-letter-front.jpg"),
    ),
    (
        "layouts/art/flyer-a4-front.jpg",
        include_bytes!("../layouts/art/flyer-a4-front.jpg"),
    ),
    (
        "tickets/job-ticket.toml",
        include_bytes!("../tickets/job-ticket.toml"),
    ),
    (
        "fonts/DejaVuSans.ttf",
        include_bytes!("../fonts/DejaVuSans.ttf"),
    ),
    (
        "fonts/DejaVuSans-Bold.ttf",
        include_bytes!("../fonts/DejaVuSans-Bold.ttf"),
    ),
    (
        "fonts/LiberationSerif-Regular.ttf",
        include_bytes!("../fonts/LiberationSerif-Regular.ttf"),
    ),
    (
        "fonts/LiberationSerif-Bold.ttf",
        include_bytes!("../fonts/LiberationSerif-Bold.ttf"),
    ),
    (
        "fonts/LICENSE-DejaVu.txt",
        include_bytes!("../fonts/LICENSE-DejaVu.txt"),
    ),
    (
        "fonts/LICENSE-Liberation.txt",
        include_bytes!("../fonts/LICENSE-Liberation.txt"),
    ),
];

/// The built-in layouts directory.
#[must_use]
pub fn builtin_layouts() -> PathBuf {
    Path::new(BUILTIN_ROOT).join("layouts")
}

/// Reads `path`, from the binary when it is under [`BUILTIN_ROOT`], else from disk.
///
/// # Errors
/// The I/O error, or `NotFound` for an unknown built-in path.
pub fn read(path: &Path) -> std::io::Result<Cow<'static, [u8]>> {
    let normal = lexical(path);
    if let Ok(rest) = normal.strip_prefix(BUILTIN_ROOT) {
        let key = rest.to_string_lossy().replace('\\', "/");
        return BUILTIN
            .iter()
            .find(|(p, _)| *p == key)
            .map(|(_, bytes)| Cow::Borrowed(*bytes))
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such built-in file")
            });
    }
    read_bounded(path, max_file(), " (DRIPMAIL_MAX_FILE_MIB raises it)").map(Cow::Owned)
}

/// The largest file dripmail reads whole (campaign, layout, font, image, ICC profile,
/// designer PDF): 256 MiB, or `DRIPMAIL_MAX_FILE_MIB` MiB when set. Art at 300 ppi is tens
/// of megabytes; more is a wrong path or a file that is not what it claims.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

fn max_file() -> u64 {
    static MAX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| limit_from_env("DRIPMAIL_MAX_FILE_MIB", MAX_FILE_BYTES))
}

/// A limit in bytes: the environment variable `var` in MiB when it is a positive number,
/// else `default`. Read once by each caller (they keep it in a `OnceLock`).
pub fn limit_from_env(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&m| m > 0)
        .map_or(default, |m| m.saturating_mul(1 << 20))
}

/// Reads the regular file `path` whole, if it is at most `limit` bytes (`raise` says how to
/// raise the limit, in the error).
///
/// # Errors
/// The I/O error; `InvalidInput` for a device, pipe or folder (`/dev/zero` never ends);
/// `FileTooLarge` past `limit` (checked before reading, and while reading a file that grows).
pub fn read_bounded(path: &Path, limit: u64, raise: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a device, a pipe or a folder)",
        ));
    }
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} MiB, the most dripmail reads for it{raise}",
                limit >> 20
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// True when `path` exists (on disk or built in).
#[must_use]
pub fn exists(path: &Path) -> bool {
    let normal = lexical(path);
    if let Ok(rest) = normal.strip_prefix(BUILTIN_ROOT) {
        let key = rest.to_string_lossy().replace('\\', "/");
        return BUILTIN.iter().any(|(p, _)| *p == key);
    }
    path.exists()
}

/// Resolves `.` and `..` without touching the disk.
#[must_use]
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_paths_resolve_through_dot_dot() {
        let p = builtin_layouts().join("../fonts/DejaVuSans.ttf");
        assert!(read(&p).unwrap().len() > 100_000);
        assert!(exists(&builtin_layouts().join("postcard-6x4.toml")));
        assert!(!exists(&builtin_layouts().join("nope.toml")));
    }
}
