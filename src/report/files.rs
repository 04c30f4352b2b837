//! The report files of a cycle folder besides the manifest: rejects, preflight, summary and ticket.

use anyhow::Result;

use super::{Summary, job_ticket, relative};
use crate::job::Job;
use crate::output::Staging;

/// Writes a CSV file `name` of `rows` (header first) into the staging folder.
fn write_csv<I, R>(staging: &Staging, name: &str, rows: I) -> Result<()>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(staging.create(name)?);
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {name}: {}", e.error()))?
        .finish(staging)?;
    Ok(())
}

pub(crate) fn write_reports(job: &Job, summary: &Summary, staging: &Staging) -> Result<()> {
    let header = |h: &[&str]| h.iter().map(|s| (*s).to_string()).collect::<Vec<String>>();
    write_csv(
        staging,
        "rejects.csv",
        std::iter::once(header(&["file", "line", "reason"])).chain(job.rejects.iter().map(|r| {
            vec![
                relative(&r.file, job.campaign.dir()),
                r.line.to_string(),
                r.reason.clone(),
            ]
        })),
    )?;
    // The preflight report: every piece held back and every warning, for the operator.
    let held = summary
        .not_issued
        .iter()
        .filter(|h| h.outcome == "held")
        .map(|h| {
            vec![
                "held".to_string(),
                h.contact_id.clone(),
                h.step.clone(),
                h.reason.clone(),
            ]
        });
    let warnings = summary.warnings.iter().map(|w| {
        vec![
            "warning".to_string(),
            String::new(),
            String::new(),
            w.clone(),
        ]
    });
    write_csv(
        staging,
        "preflight.csv",
        std::iter::once(header(&["severity", "contact_id", "step", "reason"]))
            .chain(held)
            .chain(warnings),
    )?;
    let mut json = serde_json::to_vec_pretty(summary)?;
    json.push(b'\n');
    staging.write("summary.json", &json, None)?;
    staging.write("job-ticket.txt", job_ticket(job, summary).as_bytes(), None)?;
    Ok(())
}
