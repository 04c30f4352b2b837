//! `dripmail-bench`: a whole cycle on N synthetic postcards, timed, with peak memory.
//!
//! ```text
//! cargo run --release --bin dripmail-bench -- --pieces 100000
//! ```
//! Generates N deterministic contacts, runs ingest → schedule → render → manifest → ledger
//! commit with the built-in `postcard-6x4` layout into a temporary folder, and prints
//! pieces/s, pages/s, bytes per page and peak RSS.

/// mimalloc: many small allocations per piece, on every thread; glibc's malloc was ~15 % of a cycle.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let mut pieces: usize = 10_000;
    let mut keep = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pieces" => pieces = args.next().context("--pieces needs a number")?.parse()?,
            "--keep" => keep = true,
            "-h" | "--help" => {
                println!("usage: dripmail-bench [--pieces N] [--keep]");
                return Ok(());
            }
            other => bail!("unknown argument `{other}`"),
        }
    }
    let dir = std::env::temp_dir().join(format!("dripmail-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let t0 = Instant::now();
    write_inputs(&dir, pieces)?;
    let generate = t0.elapsed();

    let t1 = Instant::now();
    let job = dripmail::job::Job::load(&dir.join("campaign.toml"))?;
    let load = t1.elapsed();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).context("date")?;
    let t2 = Instant::now();
    let report = dripmail::cycle::run(
        &job,
        &dripmail::cycle::RunOptions {
            date,
            out: dir.join("out"),
            ledger: dir.join("out/ledger.sqlite"),
            dry_run: false,
            committed_at: "bench".into(),
        },
    )?;
    let cycle = t2.elapsed();
    let summary = report.summary.as_ref().context("no summary")?;
    let pages: u64 = summary.files.iter().map(|f| f.pages).sum();
    let bytes: u64 = summary.files.iter().map(|f| f.bytes).sum();
    let issued = summary.totals.counts.issued;
    let total = load + cycle;
    let secs = total.as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let out = format!(
        "pieces {issued}  pages {pages}  files {}\n\
         load {:.2} s  cycle {:.2} s  (inputs generated in {:.2} s, not counted)\n\
         {:.0} pieces/s  {:.0} pages/s  {:.0} bytes/page\n\
         peak RSS {:.1} MiB\n",
        summary.files.len(),
        load.as_secs_f64(),
        cycle.as_secs_f64(),
        generate.as_secs_f64(),
        issued as f64 / secs,
        pages as f64 / secs,
        bytes as f64 / pages.max(1) as f64,
        peak_rss_kib()? as f64 / 1024.0,
    );
    std::io::stdout().write_all(out.as_bytes())?;
    let phases: Vec<String> = report
        .phases
        .iter()
        .map(|(name, secs)| format!("{name} {secs:.2} s"))
        .collect();
    println!("phases: {}", phases.join("  "));
    if keep {
        eprintln!("kept {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_kib() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmHWM in /proc/self/status")
}

/// A campaign with one postcard step and `n` contacts, all due today.
fn write_inputs(dir: &Path, n: usize) -> Result<()> {
    std::fs::write(
        dir.join("campaign.toml"),
        format!(
            "id = \"bench\"\nname = \"Benchmark\"\ncontacts = \"contacts.csv\"\nmax_pieces_per_cycle = {n}\n\
             max_pieces_per_file = 500\n[sender]\nname = \"Bottega Verde\"\naddress1 = \"100 Main St\"\n\
             city = \"Springfield\"\nstate = \"IL\"\npostal_code = \"62701\"\n[[steps]]\nid = \"welcome\"\n\
             layout = \"postcard-6x4\"\n"
        ),
    )?;
    let first = [
        "Ann", "Bob", "Chiara", "Dan", "Élodie", "Frank", "Giulia", "Hiro", "Ines", "José",
    ];
    let last = [
        "Lee", "Rossi", "García", "Smith", "Nguyen", "Bianchi", "O'Brien", "Müller", "Kowalski",
        "Zanè",
    ];
    let streets = [
        "Main St",
        "Oak Ave",
        "Maple Street",
        "Via Roma",
        "Cedar Ln",
        "Lake Dr",
    ];
    let cities = [
        ("Springfield", "IL"),
        ("Boston", "MA"),
        ("Austin", "TX"),
        ("Denver", "CO"),
    ];
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("contacts.csv"))?);
    writeln!(
        w,
        "id,first_name,last_name,address1,city,state,postal_code,country,enrolled_on"
    )?;
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        // xorshift64: deterministic, no dependency.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 1..=n {
        let r = next();
        #[allow(clippy::cast_possible_truncation)]
        let pick = |k: u64, len: usize| (k % len as u64) as usize;
        let (city, state) = cities[pick(r >> 40, cities.len())];
        writeln!(
            w,
            "{i},{},{},{i} {},{city},{state},{:05},US,2026-11-{:02}",
            first[pick(r, first.len())],
            last[pick(r >> 8, last.len())],
            streets[pick(r >> 32, streets.len())],
            10_000 + (r >> 20) % 89_999,
            1 + (r >> 50) % 20,
        )?;
    }
    w.flush()?;
    Ok(())
}
