//! Cycle folders that appear whole: files go to a staging folder beside the final one, which
//! is renamed into place only when every file is written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A staging folder for one cycle's outputs.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    published: bool,
}

impl Staging {
    /// Creates `OUT/.<name>.partial-<pid>` for the cycle folder `target` = `OUT/<name>`.
    ///
    /// # Errors
    /// When the folder cannot be created.
    pub fn new(target: &Path) -> Result<Staging> {
        let parent = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create output folder `{}`", parent.display()))?;
        let name = target
            .file_name()
            .map_or_else(|| "cycle".into(), |n| n.to_string_lossy().into_owned());
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear `{}`", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            published: false,
        })
    }

    /// The staging folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `name` in the staging folder.
    ///
    /// # Errors
    /// On an I/O error.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write `{}`", path.display()))
    }

    /// Renames the staging folder to the cycle folder, replacing an uncommitted earlier one.
    ///
    /// # Errors
    /// When a rename fails; the earlier folder is then left as it was.
    pub fn publish(mut self) -> Result<PathBuf> {
        let parent = self.target.parent().unwrap_or(Path::new("."));
        let name = self
            .target
            .file_name()
            .map_or_else(|| "cycle".into(), |n| n.to_string_lossy().into_owned());
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &old).with_context(|| {
                format!(
                    "cannot move the uncommitted `{}` aside",
                    self.target.display()
                )
            })?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e)
                .with_context(|| format!("cannot move outputs into `{}`", self.target.display()));
        }
        self.published = true;
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
