//! `dripmail init`: a starter campaign.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{print, print_json};

pub(super) fn init(dir: &Path, json: bool) -> Result<()> {
    let campaign = dir.join("campaign.toml");
    if campaign.exists() {
        bail!(
            "`{}` already exists: init writes a new campaign and never overwrites one",
            campaign.display()
        );
    }
    let mut written = Vec::new();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    std::fs::write(&campaign, crate::starter::campaign_toml())
        .with_context(|| format!("cannot write `{}`", campaign.display()))?;
    written.push(campaign.display().to_string());
    for (path, bytes) in crate::assets::BUILTIN.iter().chain(crate::starter::FILES) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        if target.exists() {
            continue;
        }
        let bytes = crate::starter::neutral(path, bytes)
            .map_err(|e| anyhow::anyhow!("cannot prepare `{path}`: {e}"))?;
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write `{}`", target.display()))?;
        written.push(target.display().to_string());
    }
    if json {
        return print_json(
            &json!({"campaign": campaign.display().to_string(), "written": written}),
        );
    }
    print(&format!(
        "wrote a starter campaign: {}\n  try: dripmail validate {0}\n       dripmail run {0} --dry-run\n",
        campaign.display()
    ))
}
