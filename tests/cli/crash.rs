//! Exactly once under crashes: runs killed at named points and at random moments, then run
//! again, end with the same files and ledger as runs that were never interrupted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::{Fixture, Output};

/// The ledger's and the serial store's rows, without what differs between two folders or
/// two clocks (absolute paths, commit times).
fn ledger_rows(t: &Fixture) -> Vec<String> {
    let mut rows = Vec::new();
    let mut dump = |path: PathBuf, queries: &[&str]| {
        if !path.exists() {
            return;
        }
        let c = rusqlite::Connection::open(&path).unwrap();
        for q in queries {
            let mut stmt = c.prepare(q).unwrap();
            let n = stmt.column_count();
            let got = stmt
                .query_map([], |r| {
                    let mut line = q
                        .split_whitespace()
                        .skip_while(|w| *w != "FROM")
                        .nth(1)
                        .unwrap_or("")
                        .to_string();
                    for i in 0..n {
                        let v: rusqlite::types::Value = r.get(i)?;
                        line.push_str(&format!("|{v:?}"));
                    }
                    Ok(line)
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            rows.extend(got);
        }
    };
    dump(
        t.path("ledger.sqlite"),
        &[
            "SELECT campaign, cycle_date, issued, skipped, files, published FROM cycles ORDER BY 1, 2",
            "SELECT * FROM cycle_files ORDER BY 1, 2, 3",
            "SELECT * FROM decisions ORDER BY 1, 2, 3",
            "SELECT * FROM imb_serials ORDER BY 1, 2, 3",
            "SELECT * FROM imb_counters ORDER BY 1",
            "SELECT campaign, cycle_date FROM voids ORDER BY 1, 2",
        ],
    );
    dump(
        t.path("home/imb-123456.sqlite"),
        &[
            "SELECT mailer_id, serial, cycle_date, campaign, piece_id FROM serials ORDER BY 1, 2, 3",
            "SELECT * FROM counters ORDER BY 1",
        ],
    );
    rows
}

/// Every file of the cycle folders, as (path, bytes).
fn cycle_files(t: &Fixture) -> Vec<(String, Vec<u8>)> {
    t.outputs()
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".sqlite"))
        .collect()
}

/// Names in `dir` (and in `dir/test`) that are not a cycle folder: what a crash may have left.
fn strays(t: &Fixture) -> Vec<String> {
    let mut found = Vec::new();
    for dir in [t.path("out"), t.path("out/test"), t.path("")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if name.contains(".staging-")
                || name.contains(".creating-")
                || name.contains("-journal")
                || name.contains(".partial-")
                || name.contains("-mj")
            {
                found.push(format!("{}/{name}", dir.display()));
            }
        }
    }
    found
}

/// The campaign of the crash tests: IMbs, a trigger step, two cycles of five pieces in three
/// files each.
fn fixture() -> Fixture {
    let t = Fixture::new();
    t.add_imb("123456");
    t.write(
        "events.csv",
        &(1..=5)
            .map(|i| format!("{i},added_to_cart,2026-11-25\n"))
            .fold("contact_id,event,date\n".to_string(), |a, b| a + &b),
    );
    t
}

const DATES: [&str; 2] = ["2026-11-24", "2026-12-01"];

fn run(t: &Fixture, date: &str) -> Output {
    t.dripmail(["run", "campaign.toml", "--date", date])
}

/// Runs `date` with `DRIPMAIL_TEST_CRASH=point`; true when it died there.
fn crash(t: &Fixture, date: &str, point: &str) -> bool {
    let out = t
        .command(["run", "campaign.toml", "--date", date])
        .env("DRIPMAIL_TEST_CRASH", point)
        .output()
        .unwrap();
    let died = out.status.code().is_none();
    if died {
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("test crash at"),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    died
}

#[test]
fn a_run_killed_at_any_named_point_is_finished_by_the_next_one() {
    let reference = fixture();
    for date in DATES {
        run(&reference, date).success();
    }
    let want_files = cycle_files(&reference);
    let want_rows = ledger_rows(&reference);
    assert!(want_rows.iter().any(|r| r.starts_with("serials|")));
    let points = [
        "ledger-create",
        "planned",
        "file-written",
        "file-written#2",
        "reports-written",
        "sealed",
        "commit-middle",
        "commit-before-end",
        "committed",
        "published",
    ];
    let mut kills = 0;
    for (k, date) in DATES.iter().enumerate() {
        for point in points {
            let t = fixture();
            for earlier in &DATES[..k] {
                run(&t, earlier).success();
            }
            if !crash(&t, date, point) {
                // Only the first cycle creates the ledger.
                assert!(
                    point == "ledger-create" && k > 0,
                    "{point} not reached on {date}"
                );
                continue;
            }
            kills += 1;
            // Nothing under the final name unless the ledger committed it.
            let folder = t.path(&format!("out/test/{date}"));
            let committed = matches!(point, "published");
            assert_eq!(folder.exists(), committed, "{point} on {date}");
            // Read commands work on what the crash left.
            t.dripmail(["history", "campaign.toml"]).success();
            t.dripmail(["plan", "campaign.toml", "--date", date])
                .success();
            run(&t, date).success();
            for later in &DATES[k + 1..] {
                run(&t, later).success();
            }
            assert!(
                cycle_files(&t) == want_files,
                "{point} on {date}: files differ from an uninterrupted run"
            );
            assert_eq!(ledger_rows(&t), want_rows, "{point} on {date}");
            assert!(strays(&t).is_empty(), "{point} on {date}: {:?}", strays(&t));
        }
    }
    eprintln!("named kill points: {kills} kills, all recovered");
    assert!(kills >= 19);
}

/// Reads `DRIPMAIL_KILLS` (default 12): how many random kills the next test makes.
fn kill_count() -> usize {
    std::env::var("DRIPMAIL_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

/// A campaign of `n` contacts in files of 10 pieces, each also due a cart piece in the second
/// cycle, so both cycles render many files and commit many rows.
fn big_fixture(n: usize) -> Fixture {
    let t = fixture();
    t.replace(
        "campaign.toml",
        "max_pieces_per_file = 2",
        "max_pieces_per_file = 10",
    );
    let mut contacts = String::from(
        "id,first_name,last_name,address1,city,state,postal_code,country,enrolled_on,segment\n",
    );
    let mut events = String::from("contact_id,event,date\n");
    for i in 1..=n {
        contacts.push_str(&format!(
            "{i},Ann,Lee{i},{i} Main St,Springfield,IL,{:05},US,2026-11-0{},retail\n",
            10_000 + (i * 7919) % 89_999,
            1 + i % 9
        ));
        events.push_str(&format!("{i},added_to_cart,2026-11-25\n"));
    }
    t.write("contacts.csv", &contacts);
    t.write("events.csv", &events);
    t
}

/// A small deterministic generator (xorshift), seeded per run of the suite.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn a_run_killed_at_random_moments_is_finished_by_the_next_one() {
    const N: usize = 300;
    let reference = big_fixture(N);
    let mut took = Vec::new();
    for date in DATES {
        let start = Instant::now();
        run(&reference, date).success();
        took.push(start.elapsed());
    }
    let want_files = cycle_files(&reference);
    let want_rows = ledger_rows(&reference);
    let seed = std::env::var("DRIPMAIL_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let mut rng = Rng(seed);
    let (mut killed, mut finished) = (0, 0);
    for i in 0..kill_count() {
        let k = i % 2;
        let date = DATES[k];
        let t = big_fixture(N);
        for earlier in &DATES[..k] {
            run(&t, earlier).success();
        }
        let micros = rng.below(took[k].as_micros() as u64 * 11 / 10);
        let mut child = t
            .command(["run", "campaign.toml", "--date", date])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(micros));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        let context = format!("seed {seed}, kill {i} on {date} after {micros} us");
        run(&t, date).success();
        for later in &DATES[k + 1..] {
            run(&t, later).success();
        }
        assert!(cycle_files(&t) == want_files, "{context}: files differ");
        assert_eq!(ledger_rows(&t), want_rows, "{context}");
        assert!(strays(&t).is_empty(), "{context}: {:?}", strays(&t));
    }
    eprintln!(
        "random kills (seed {seed}): {killed} runs killed, {finished} finished first; all recovered"
    );
}

/// Starts `run DATE` paused at `point`; returns it once it is there.
fn paused(t: &Fixture, date: &str, point: &str) -> (std::process::Child, PathBuf) {
    let flag = t.path(&format!("paused-{point}"));
    let child = t
        .command(["run", "campaign.toml", "--date", date])
        .env("DRIPMAIL_TEST_PAUSE", format!("{point}={}", flag.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !flag.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "never paused");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, flag)
}

#[test]
fn a_second_run_is_refused_at_once_while_reads_go_on() {
    let t = fixture();
    let (child, flag) = paused(&t, "2026-11-24", "planned");
    let pid = child.id();
    for date in ["2026-11-24", "2026-12-01"] {
        let start = Instant::now();
        // Exit 3: busy, not broken; a scheduler may simply retry later.
        run(&t, date).failure(3).stderr_has(&[
            &format!("is locked by pid {pid} on "),
            "dripmail run campaign.toml --date 2026-11-24",
            "another run is in progress\nhint: wait until it ends and run again",
        ]);
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    // Another campaign on the same ledger (beside it in the same folder) waits its turn too.
    t.write(
        "other.toml",
        &t.read("campaign.toml")
            .replace("id = \"test\"", "id = \"other\""),
    );
    t.dripmail(["run", "other.toml", "--date", "2026-11-24"])
        .failure(3)
        .stderr_has(&["another run is in progress"]);
    t.dripmail(["plan", "campaign.toml", "--date", "2026-11-24"])
        .success();
    t.dripmail(["history", "campaign.toml"]).success();
    t.dripmail(["validate", "campaign.toml"]).success();
    std::fs::remove_file(&flag).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_dir(t.path("out/test"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name() != "tickets")
            .count(),
        1,
        "one cycle folder"
    );
    // The holder is gone: the lock is free.
    run(&t, "2026-12-01").success();
}

#[test]
fn a_lock_left_by_a_dead_run_is_taken_over() {
    let t = fixture();
    assert!(crash(&t, "2026-11-24", "planned"));
    assert!(t.read("ledger.sqlite.lock").contains("pid "));
    run(&t, "2026-11-24").success().stdout_has(&["committed"]);
    // Deleted by hand afterwards: still committed, and the run says the folder is missing.
    std::fs::remove_dir_all(t.path("out/test/2026-11-24")).unwrap();
    run(&t, "2026-11-24")
        .success()
        .stdout_has(&["already committed", "folder", "is missing"]);
}

#[test]
fn sigterm_before_the_commit_removes_the_staging_folder_and_commits_nothing() {
    let t = fixture();
    let (child, flag) = paused(&t, "2026-11-24", "file-written");
    let staged: Vec<_> = std::fs::read_dir(t.path("out/test"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(staged.iter().any(|n| n.contains(".staging-")), "{staged:?}");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    std::fs::remove_file(&flag).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interrupted: nothing was committed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(t.path("out/test")).unwrap().count(), 0);
    let out = t.dripmail(["history", "campaign.toml", "--json"]).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["cycles"].as_array().unwrap().len(), 0);
}

#[test]
fn a_folder_under_a_cycle_name_is_never_replaced() {
    let t = fixture();
    run(&t, "2026-11-17").success();
    t.write("out/test/2026-11-24/notes.txt", "the shop's own file");
    run(&t, "2026-11-24").failure(1).stderr_has(&[
        "out/test/2026-11-24` exists",
        "never replaces a cycle folder",
    ]);
    assert_eq!(
        t.read("out/test/2026-11-24/notes.txt"),
        "the shop's own file"
    );
    assert!(strays(&t).is_empty());
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&["1 committed cycle"]);
    // Without a ledger it looks like a committed cycle: refused as such, still untouched.
    std::fs::remove_file(t.path("ledger.sqlite")).unwrap();
    run(&t, "2026-11-24")
        .failure(1)
        .stderr_has(&["has committed cycle folders"]);
    assert_eq!(
        t.read("out/test/2026-11-24/notes.txt"),
        "the shop's own file"
    );
}

#[test]
fn validate_checks_committed_folders_against_their_checksums() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    run(&t, "2026-12-01").success();
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&["checked, 2 committed cycles"]);
    t.write("out/test/2026-11-24/manifest.csv", "edited by hand\n");
    std::fs::remove_dir_all(t.path("out/test/2026-12-01")).unwrap();
    t.dripmail(["validate", "campaign.toml"])
        .success()
        .stdout_has(&[
            "warning: cycle 2026-11-24: ",
            "manifest.csv` is not the file the ledger committed",
            "warning: cycle 2026-12-01: folder",
            "is not there",
        ]);
}

#[test]
fn two_campaigns_share_an_out_folder_and_a_ledger() {
    let t = fixture();
    t.write(
        "other.toml",
        &t.read("campaign.toml")
            .replace("id = \"test\"", "id = \"other\""),
    );
    run(&t, "2026-11-24").success();
    let first = cycle_files(&t);
    t.dripmail(["run", "other.toml", "--date", "2026-11-24"])
        .success()
        .stdout_has(&["committed"]);
    let after: Vec<_> = cycle_files(&t)
        .into_iter()
        .filter(|(n, _)| n.starts_with("test/"))
        .collect();
    assert!(first == after, "the first campaign's folder changed");
    assert!(t.path("out/other/2026-11-24/manifest.csv").exists());
    // Their IMb serials do not overlap: one store for the mailer id.
    let serials = |name: &str| -> Vec<String> {
        let rows = crate::util::csv_rows(&t.read(name));
        let imb = rows[0].iter().position(|h| h == "imb").unwrap();
        rows[1..]
            .iter()
            .filter(|r| !r[imb].is_empty())
            .map(|r| r[imb][11..20].to_string())
            .collect()
    };
    let a = serials("out/test/2026-11-24/manifest.csv");
    let b = serials("out/other/2026-11-24/manifest.csv");
    assert_eq!((a.len(), b.len()), (4, 4));
    assert!(a.iter().all(|s| !b.contains(s)), "{a:?} {b:?}");
}

#[test]
fn imb_serials_are_unique_across_campaigns_with_their_own_ledgers() {
    let a = fixture();
    let b = fixture();
    // b's campaign lives elsewhere with its own ledger, but prints for the same mailer id:
    // both use the same data folder (DRIPMAIL_HOME), so the same serial store.
    b.replace("campaign.toml", "id = \"test\"", "id = \"spring\"");
    let home = a.path("home");
    run(&a, "2026-11-24").success();
    assert!(
        b.command(["run", "campaign.toml", "--date", "2026-11-24"])
            .env("DRIPMAIL_HOME", &home)
            .output()
            .unwrap()
            .status
            .success()
    );
    let codes = |t: &Fixture, campaign: &str| -> Vec<String> {
        let rows =
            crate::util::csv_rows(&t.read(&format!("out/{campaign}/2026-11-24/manifest.csv")));
        let imb = rows[0].iter().position(|h| h == "imb").unwrap();
        rows[1..]
            .iter()
            .filter(|r| !r[imb].is_empty())
            .map(|r| r[imb][11..20].to_string())
            .collect()
    };
    let (x, y) = (codes(&a, "test"), codes(&b, "spring"));
    assert_eq!((x.len(), y.len()), (4, 4));
    assert!(x.iter().all(|s| !y.contains(s)), "{x:?} {y:?}");
    // A campaign with its own store (`[imb] serials`) counts on its own.
    let c = fixture();
    c.replace(
        "campaign.toml",
        "mailer_id = \"123456\"",
        "mailer_id = \"123456\"\nserials = \"serials/imb.sqlite\"",
    );
    run(&c, "2026-11-24").success();
    assert!(c.path("serials/imb.sqlite").exists());
}

#[test]
fn the_ledger_survives_clearing_out_and_a_lost_ledger_is_not_replaced_silently() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    // Archiving `out/` no longer loses what was mailed: the ledger is beside the campaign.
    std::fs::rename(t.path("out"), t.path("archive")).unwrap();
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-12-01", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["steps"][0]["step"], "welcome");
    assert_eq!(
        v["summary"]["steps"][0]["issued"], 0,
        "welcome mailed twice"
    );
    // A lost ledger with the cycle folders still there: refused, with the way out.
    std::fs::remove_file(t.path("ledger.sqlite")).unwrap();
    run(&t, "2026-12-08").failure(1).stderr_has(&[
        "has committed cycle folders",
        "2026-12-01",
        "a new ledger would mail every contact again",
        "--new-ledger",
    ]);
    assert!(!t.path("ledger.sqlite").exists());
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-12-08",
        "--new-ledger",
    ])
    .success();
}

#[test]
fn a_ledger_left_in_out_by_dripmail_0_1_is_pointed_at() {
    let t = fixture();
    std::fs::create_dir_all(t.path("out")).unwrap();
    std::fs::copy(
        crate::util::repo().join("tests/fixtures/ledger-v1.sqlite"),
        t.path("out/ledger.sqlite"),
    )
    .unwrap();
    run(&t, "2026-12-08")
        .failure(1)
        .stderr_has(&["dripmail 0.1 kept the ledger in the output folder", "mv "]);
}

#[test]
fn a_ledger_of_dripmail_0_1_is_upgraded_and_carries_on() {
    // Written by dripmail 0.1 (main at d078d9f): this fixture, mailer id 123456, cycles
    // 2026-11-24 (five welcomes, serials 0-3) and 2026-12-01 (Bob's cart piece, serial 4).
    let t = fixture();
    t.write(
        "events.csv",
        "contact_id,event,date\n2,added_to_cart,2026-11-25\n",
    );
    std::fs::copy(
        crate::util::repo().join("tests/fixtures/ledger-v1.sqlite"),
        t.path("ledger.sqlite"),
    )
    .unwrap();
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&["2 committed cycles", "2026-11-24", "2026-12-01"]);
    let v: i64 = rusqlite::Connection::open(t.path("ledger.sqlite"))
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 5, "upgraded to the current schema");
    // A 0.1 piece reprints with its barcode (the code moved onto the decision).
    let piece = "6fee0698aab80a05";
    t.dripmail([
        "reprint",
        "campaign.toml",
        "--date",
        "2026-11-24",
        "--piece",
        piece,
    ])
    .success();
    // 0.1's folder of its last cycle, voided: moved aside like any other.
    t.write(
        "out/2026-12-01/summary.json",
        "{\"campaign\": \"test\", \"cycle_date\": \"2026-12-01\"}",
    );
    t.dripmail(["void", "campaign.toml", "--date", "2026-12-01"])
        .success();
    assert!(t.path("out/2026-12-01.voided/summary.json").exists());
    run(&t, "2026-12-01").success();
    // The next cycle issues catalogs, not welcomes again, with serials after 0.1's.
    run(&t, "2026-12-08").success();
    let rows = crate::util::csv_rows(&t.read("out/test/2026-12-08/manifest.csv"));
    let imb = rows[0].iter().position(|h| h == "imb").unwrap();
    assert!(rows[1..].iter().all(|r| r[3] == "catalog"), "{rows:?}");
    for r in &rows[1..] {
        if !r[imb].is_empty() {
            let serial: u64 = r[imb][11..20].parse().unwrap();
            assert!(serial >= 5, "serial {serial} reused");
        }
    }
}

#[test]
fn a_journal_left_by_a_kill_in_the_commit_blocks_nothing() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    assert!(crash(&t, "2026-12-01", "commit-before-end"));
    assert!(t.path("ledger.sqlite-journal").exists(), "no journal left");
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&["1 committed cycle"]);
    run(&t, "2026-12-01").success();
    assert!(!t.path("ledger.sqlite-journal").exists());
}

#[test]
fn a_hot_journal_is_rolled_back_by_any_command() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    // What a kill in the middle of a large commit leaves: SQLite has spilled changed pages
    // into the ledger file and the journal holds the originals. Copied while the writer is
    // in its transaction, the two files are exactly such a crash image.
    std::fs::create_dir_all(t.path("crashed")).unwrap();
    {
        let c = rusqlite::Connection::open(t.path("ledger.sqlite")).unwrap();
        c.execute_batch("PRAGMA cache_size = 10; BEGIN IMMEDIATE;")
            .unwrap();
        for i in 0..20_000 {
            c.execute(
                "INSERT INTO decisions (campaign, contact_id, step, cycle_date, outcome) VALUES ('test', ?1, 'welcome', '2026-12-01', 'issued')",
                [format!("x{i}")],
            )
            .unwrap();
        }
        for f in ["ledger.sqlite", "ledger.sqlite-journal"] {
            std::fs::copy(t.path(f), t.path(&format!("crashed/{f}"))).unwrap();
        }
        c.execute_batch("ROLLBACK").unwrap();
    }
    let journal = std::fs::read(t.path("crashed/ledger.sqlite-journal")).unwrap();
    assert_eq!(
        &journal[..8],
        b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7",
        "not a hot journal"
    );
    // dripmail 0.1 opened the ledger read-only here: "attempt to write a readonly database".
    let ledger = t.path("crashed/ledger.sqlite");
    let ledger = ledger.to_str().unwrap();
    t.dripmail([
        "history",
        "campaign.toml",
        "--ledger",
        ledger,
        "--contact",
        "1",
    ])
    .success()
    .stdout_has(&["2026-11-24  welcome        issued"]);
    assert!(!t.path("crashed/ledger.sqlite-journal").exists());
    t.dripmail(["validate", "campaign.toml", "--ledger", ledger])
        .success()
        .stdout_has(&["checked, 1 committed cycle"]);
}

#[test]
fn an_empty_ledger_file_is_replaced() {
    let t = fixture();
    t.write("ledger.sqlite", "");
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&["no cycles committed yet"]);
    run(&t, "2026-11-24").success();
    assert!(std::fs::metadata(t.path("ledger.sqlite")).unwrap().len() > 0);
}

/// Overwrites a page in the middle of the ledger with garbage.
fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let page = 4096;
    assert!(bytes.len() >= 4 * page);
    for b in &mut bytes[2 * page..3 * page] {
        *b = 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_ledger_stops_the_run_and_validate_says_so() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    damage(&t.path("ledger.sqlite"));
    run(&t, "2026-12-01")
        .failure(1)
        .stderr_has(&["is damaged", "restore the ledger from a backup"]);
    assert!(!t.path("out/test/2026-12-01").exists());
    assert!(strays(&t).is_empty(), "{:?}", strays(&t));
    t.dripmail(["validate", "campaign.toml"])
        .failure(1)
        .stderr_has(&["is damaged"]);
}

#[test]
fn a_full_disk_during_the_commit_commits_nothing() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    let out: Output = t
        .command(["run", "campaign.toml", "--date", "2026-12-01"])
        .env("DRIPMAIL_TEST_FAULT", "ledger-full")
        .output()
        .unwrap()
        .into();
    let stderr = out.failure(1).stderr;
    assert!(
        stderr.contains("is full") && stderr.contains("nothing was committed"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("is full").count(), 1, "said twice: {stderr}");
    assert_eq!(
        stderr.matches("nothing was committed").count(),
        1,
        "{stderr}"
    );
    assert!(!t.path("out/test/2026-12-01").exists());
    assert!(strays(&t).is_empty(), "{:?}", strays(&t));
    run(&t, "2026-12-01").success();
}

/// A file system mounted for a test, unmounted when dropped; `None` where this process may
/// not mount (not root, or a container that forbids it).
struct Mount(PathBuf);

impl Mount {
    fn new(args: &[&str], at: &Path) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(args)
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_real_full_disk_during_the_commit_commits_nothing() {
    let t = fixture();
    let Some(_disk) = Mount::new(
        &["-t", "tmpfs", "-o", "size=256k", "tmpfs"],
        &t.path("small"),
    ) else {
        eprintln!("skipped: cannot mount a tmpfs here (the fault switch test covers the path)");
        return;
    };
    let ledger = t.path("small/ledger.sqlite");
    let ledger = ledger.to_str().unwrap();
    let run_on = |date| t.dripmail(["run", "campaign.toml", "--date", date, "--ledger", ledger]);
    run_on("2026-11-24").success();
    // Fill the disk to the last byte.
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(t.path("small/filler")).unwrap();
        while f.write_all(&[0u8; 512]).is_ok() {}
    }
    run_on("2026-12-01")
        .failure(1)
        .stderr_has(&["is full", "nothing was committed"]);
    assert!(!t.path("out/test/2026-12-01").exists());
    std::fs::remove_file(t.path("small/filler")).unwrap();
    run_on("2026-12-01").success();
    t.dripmail(["history", "campaign.toml", "--ledger", ledger])
        .success()
        .stdout_has(&["2 committed cycles"]);
}

#[test]
fn a_read_only_ledger_refuses_runs_and_still_answers_reads() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    std::fs::create_dir_all(t.path("ro")).unwrap();
    std::fs::rename(t.path("ledger.sqlite"), t.path("ro/ledger.sqlite")).unwrap();
    let ledger = t.path("ro/ledger.sqlite");
    let ledger = ledger.to_str().unwrap();
    // Read-only as root needs a read-only mount; as another user, permissions do.
    let ro = t.path("ro");
    let mount = Mount::new(&["--bind", ro.to_str().unwrap()], &ro).filter(|m| {
        std::process::Command::new("mount")
            .args(["-o", "remount,ro,bind"])
            .arg(&m.0)
            .status()
            .is_ok_and(|s| s.success())
    });
    if mount.is_none() {
        use std::os::unix::fs::PermissionsExt as _;
        for p in [t.path("ro/ledger.sqlite"), ro.clone()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
    }
    t.dripmail(["history", "campaign.toml", "--ledger", ledger])
        .success()
        .stdout_has(&["1 committed cycle"]);
    t.dripmail([
        "plan",
        "campaign.toml",
        "--date",
        "2026-12-01",
        "--ledger",
        ledger,
    ])
    .success();
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        "2026-12-01",
        "--ledger",
        ledger,
    ])
    .failure(1)
    .stderr_has(&["is read-only here: a run cannot commit to it"]);
    assert!(!t.path("out/test/2026-12-01").exists());
}

#[test]
fn a_date_far_ahead_is_refused_unless_allowed() {
    let t = fixture();
    let far = (chrono::Local::now().date_naive() + chrono::Days::new(60)).to_string();
    // Exit 2: the command line needs changing, like any usage error.
    run(&t, &far).failure(2).stderr_has(&[
        "more than 28 days after today",
        "would be refused\nhint: check the date; to run it anyway, add --allow-future-date",
    ]);
    assert!(!t.path("ledger.sqlite").exists());
    t.dripmail(["run", "campaign.toml", "--date", &far, "--dry-run"])
        .success();
    t.dripmail([
        "run",
        "campaign.toml",
        "--date",
        &far,
        "--allow-future-date",
    ])
    .success();
}

#[test]
fn void_withdraws_the_latest_cycle_and_its_pieces_are_due_again() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    let first = t.read("out/test/2026-11-24/manifest.csv");
    run(&t, "2026-12-01").success();
    t.dripmail(["void", "campaign.toml", "--date", "2026-11-24"])
        .failure(1)
        .stderr_has(&["not its latest committed cycle (2026-12-01)"]);
    t.dripmail([
        "void",
        "campaign.toml",
        "--date",
        "2026-12-01",
        "--reason",
        "wrong art",
    ])
    .success()
    .stdout_has(&["voided", "due again", "2026-12-01.voided"]);
    assert!(!t.path("out/test/2026-12-01").exists());
    assert!(t.path("out/test/2026-12-01.voided/manifest.csv").exists());
    t.dripmail(["history", "campaign.toml"])
        .success()
        .stdout_has(&["1 committed cycle", "voided: cycle 2026-12-01", "wrong art"]);
    // The voided cycle's pieces come again; its serials stay reserved, so new ones are used.
    let out = t
        .dripmail(["run", "campaign.toml", "--date", "2026-12-01", "--json"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["totals"]["issued"], 5);
    let again = t.read("out/test/2026-12-01/manifest.csv");
    let voided = t.read("out/test/2026-12-01.voided/manifest.csv");
    assert_ne!(again, voided, "a reprinted serial");
    // Voiding twice moves the folder to a new name.
    t.dripmail(["void", "campaign.toml", "--date", "2026-12-01"])
        .success();
    assert!(t.path("out/test/2026-12-01.voided-2").exists());
    assert_eq!(t.read("out/test/2026-11-24/manifest.csv"), first);
}

#[test]
fn a_void_killed_after_its_commit_is_finished_by_the_next_run() {
    let t = fixture();
    run(&t, "2026-11-24").success();
    let out = t
        .command(["void", "campaign.toml", "--date", "2026-11-24"])
        .env("DRIPMAIL_TEST_CRASH", "void-after-commit")
        .output()
        .unwrap();
    assert!(out.status.code().is_none());
    // The ledger says voided; the folder is still under its name until a writer finishes.
    run(&t, "2026-11-24").success();
    assert!(t.path("out/test/2026-11-24.voided/manifest.csv").exists());
    assert!(t.path("out/test/2026-11-24/manifest.csv").exists());
}

#[test]
fn a_panic_is_reported_as_a_bug_with_exit_1_and_commits_nothing() {
    let t = fixture();
    let out: Output = t
        .command(["run", "campaign.toml", "--date", "2026-11-24"])
        .env("DRIPMAIL_TEST_FAULT", "render-panic")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
        .into();
    let stderr = out.failure(1).stderr;
    assert!(
        stderr.starts_with("error: this is a bug in dripmail ")
            && stderr.contains("test fault: render-panic")
            && stderr.contains("hint: not a problem with your files"),
        "{stderr}"
    );
    // Said once, without Rust's own panic message or backtrace note.
    assert_eq!(stderr.matches("this is a bug").count(), 1, "{stderr}");
    assert!(
        !stderr.contains("panicked at") && !stderr.contains("note: run with"),
        "{stderr}"
    );
    assert!(!t.path("out/test/2026-11-24").exists());
    assert!(strays(&t).is_empty(), "{:?}", strays(&t));
    run(&t, "2026-11-24").success();
}
