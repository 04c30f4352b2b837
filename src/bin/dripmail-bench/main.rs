//! `dripmail-bench`: a whole cycle on N synthetic postcards, timed, with peak memory.
//!
//! ```text
//! cargo run --release --bin dripmail-bench -- --pieces 100000 [--typst PATH] [--keep] [--impose SHEET]
//! ```
//! Generates N deterministic contacts, runs ingest → schedule → render → manifest → ledger
//! commit with the built-in `postcard-6x4` layout into a temporary folder, and prints
//! pieces/s, pages/s, bytes per page and peak RSS. With `--typst`, the Typst CLI at PATH then
//! sets the same postcards from the same CSV (`postcard.typ` beside this file), timed the same
//! way, and the ratio of the two is printed.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let mut pieces: usize = 10_000;
    let mut keep = false;
    let mut typst: Option<String> = None;
    let mut impose: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pieces" => pieces = args.next().context("--pieces needs a number")?.parse()?,
            "--keep" => keep = true,
            "--impose" => impose = Some(args.next().context("--impose needs a sheet, e.g. 12x18")?),
            "--typst" => typst = Some(args.next().context("--typst needs the path of typst")?),
            "-h" | "--help" => {
                println!(
                    "usage: dripmail-bench [--pieces N] [--typst PATH] [--keep] [--impose SHEET]"
                );
                return Ok(());
            }
            other => bail!("unknown argument `{other}`"),
        }
    }
    // A fresh private folder (tempfile), not a name another user could guess and create.
    let scratch = tempfile::Builder::new()
        .prefix("dripmail-bench-")
        .tempdir()?;
    let dir = scratch.path().to_path_buf();
    let t0 = Instant::now();
    write_inputs(&dir, pieces, impose.as_deref())?;
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
            ledger: dir.join("ledger.sqlite"),
            dry_run: false,
            new_ledger: false,
            committed_at: "bench".into(),
            progress: dripmail::progress::Progress::off(),
        },
    )?;
    let cycle = t2.elapsed();
    let summary = report.summary.as_ref().context("no summary")?;
    let pages: u64 = summary.files.iter().map(|f| f.pages).sum();
    let bytes: u64 = summary.files.iter().map(|f| f.bytes).sum();
    let issued = summary.totals.counts.issued;
    let total = load + cycle;
    let secs = total.as_secs_f64();
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
    if let Some(typst) = &typst {
        let t = run_typst(typst, &dir)?;
        let typst_rate = pages as f64 / t.secs;
        println!(
            "typst: {pages} pages in {:.2} s  {typst_rate:.0} pages/s  {:.0} bytes/page  peak RSS {:.1} MiB\n\
             dripmail / typst: {:.1} x the pages per second",
            t.secs,
            t.bytes as f64 / pages.max(1) as f64,
            t.peak_kib as f64 / 1024.0,
            (pages as f64 / secs) / typst_rate,
        );
    }
    let phases: Vec<String> = report
        .phases
        .iter()
        .map(|(name, secs)| format!("{name} {secs:.2} s"))
        .collect();
    println!("phases: {}", phases.join("  "));
    if keep {
        let kept = scratch.keep();
        eprintln!("kept {}", kept.display());
    } else {
        scratch.close()?;
    }
    Ok(())
}

/// What one Typst compile took.
struct TypstRun {
    secs: f64,
    bytes: u64,
    peak_kib: u64,
}

/// Compiles the benchmark postcards with the Typst CLI at `typst` over `dir/contacts.csv`.
/// Its peak RSS is sampled from /proc every 10 ms while it runs.
fn run_typst(typst: &str, dir: &Path) -> Result<TypstRun> {
    std::fs::write(dir.join("postcard.typ"), include_str!("postcard.typ"))?;
    std::fs::write(
        dir.join("front.jpg"),
        include_bytes!("../../../layouts/art/postcard-6x4-front.jpg"),
    )?;
    let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    let t = Instant::now();
    let mut child = std::process::Command::new(typst)
        .arg("compile")
        .arg("--ignore-system-fonts")
        .arg("--font-path")
        .arg(&fonts)
        .args(["postcard.typ", "typst.pdf"])
        .current_dir(dir)
        .spawn()
        .with_context(|| format!("cannot run `{typst}`"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            peak_kib = peak_kib.max(vm_hwm(&s).unwrap_or(0));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let secs = t.elapsed().as_secs_f64();
    if !status.success() {
        bail!("`{typst} compile` failed: {status}");
    }
    Ok(TypstRun {
        secs,
        bytes: std::fs::metadata(dir.join("typst.pdf"))?.len(),
        peak_kib,
    })
}

fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_kib() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    vm_hwm(&status).context("no VmHWM in /proc/self/status")
}

/// A campaign with one postcard step and `n` contacts, all due today.
fn write_inputs(dir: &Path, n: usize, impose: Option<&str>) -> Result<()> {
    let impose = impose.map_or(String::new(), |s| format!("impose = \"{s}\"\n"));
    std::fs::write(
        dir.join("campaign.toml"),
        format!(
            "id = \"bench\"\nname = \"Benchmark\"\ncontacts = \"contacts.csv\"\nmax_pieces_per_cycle = {n}\n{impose}\
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
