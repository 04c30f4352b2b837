//! A temp folder holding one campaign, and a way to run the binary in it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A minimal valid campaign; `{layouts}` is replaced by the shipped layouts folder.
pub const CAMPAIGN: &str = r#"
id = "test"
name = "Test campaign"
contacts = "contacts.csv"
events = "events.csv"
suppress = ["do-not-mail.csv"]
layouts = "{layouts}"
exit_on = ["purchased"]
min_gap_days = 7
max_pieces_per_file = 2

[sender]
name = "Shop"
address1 = "1 Main St"
city = "Springfield"
state = "IL"
postal_code = "62701"

[[steps]]
id = "welcome"
layout = "postcard-6x4"

[[steps]]
id = "catalog"
layout = "flyer-letter"
delay_days = 14

[[steps]]
id = "cart"
trigger = "added_to_cart"
layout = "postcard-6x9"
delay_days = 3
"#;

/// Contacts for [`CAMPAIGN`]: five good rows.
pub const CONTACTS: &str =
    "id,first_name,last_name,address1,city,state,postal_code,country,enrolled_on,segment
1,Ann,Lee,12 Main St,Springfield,IL,62701,US,2026-11-01,retail
2,Bob,Stone,400 Oak Ave,Chicago,IL,60614,US,2026-11-01,vip
3,Giulia,Rossi,Via Roma 5,Milano,MI,20121,IT,2026-11-02,retail
4,Carla,Diaz,77 Elm Street,Austin,TX,78701,US,2026-11-03,retail
5,Dan,Moss,9 Lake Dr,Boston,MA,02134,US,2026-11-04,wholesale
";

/// One campaign folder.
pub struct Fixture {
    dir: tempfile::TempDir,
}

/// What a run of the binary did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    /// A finished process as text; `code` is -1 when a signal ended it.
    fn from(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    #[track_caller]
    pub fn success(self) -> Output {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, parts: &[&str]) -> Output {
        for p in parts {
            assert!(
                self.stderr.contains(p),
                "stderr lacks {p:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    #[track_caller]
    pub fn stdout_has(self, parts: &[&str]) -> Output {
        for p in parts {
            assert!(
                self.stdout.contains(p),
                "stdout lacks {p:?}:\n{}",
                self.stdout
            );
        }
        self
    }
}

impl Fixture {
    /// A folder with [`CAMPAIGN`], [`CONTACTS`], empty events and do-not-mail lists.
    pub fn new() -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        f.write("campaign.toml", &campaign(CAMPAIGN));
        f.write("contacts.csv", CONTACTS);
        f.write("events.csv", "contact_id,event,date\n");
        f.write("do-not-mail.csv", "id\n");
        f
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        self.write_bytes(name, text.as_bytes());
    }

    pub fn write_bytes(&self, name: &str, bytes: &[u8]) {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Edits `name` by replacing `from` with `to` (which must occur).
    #[track_caller]
    pub fn replace(&self, name: &str, from: &str, to: &str) {
        let text = self.read(name);
        assert!(text.contains(from), "{name} lacks {from:?}");
        self.write(name, &text.replacen(from, to, 1));
    }

    /// Replaces the contacts with `n` of them in one town (ids 1..=n, all due a welcome on
    /// 2026-11-24), and the events with none.
    pub fn many_contacts(&self, n: usize) {
        let mut text = String::from(
            "id,first_name,last_name,address1,city,state,postal_code,country,enrolled_on,segment\n",
        );
        for i in 1..=n {
            text.push_str(&format!(
                "{i},Ann{i},Lee{i},{i} Main St,Springfield,IL,62701,US,2026-11-01,retail\n"
            ));
        }
        self.write("contacts.csv", &text);
        self.write("events.csv", "contact_id,event,date\n");
    }

    /// Gives the campaign an `[imb]` section with `mailer_id`.
    pub fn add_imb(&self, mailer_id: &str) {
        self.replace(
            "campaign.toml",
            "[sender]",
            &format!("[imb]\nbarcode_id = \"00\"\nservice_type = \"301\"\nmailer_id = \"{mailer_id}\"\n\n[sender]"),
        );
    }

    /// Gives the folder its own copy of the 6 x 4 layout whose front image comes from each
    /// contact's `photo` column (the layout's art when the cell is empty).
    pub fn photo_layout(&self) {
        crate::bad_input::local_layout(
            self,
            "src = \"art/postcard-6x4-front.jpg\"",
            "src = \"art/postcard-6x4-front.jpg\"\ncolumn = \"photo\"",
        );
    }

    /// Runs `dripmail ARGS` in the folder.
    pub fn dripmail<const N: usize>(&self, args: [&str; N]) -> Output {
        self.command(args).output().unwrap().into()
    }

    /// `dripmail ARGS` in the folder, ready to run: IMb serial stores go to `home/` in the
    /// folder (`DRIPMAIL_HOME`), never to the user's own.
    pub fn command<const N: usize>(&self, args: [&str; N]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dripmail"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("DRIPMAIL_HOME", self.path("home"))
            .env_remove("DRIPMAIL_TEST_CRASH")
            .env_remove("DRIPMAIL_TEST_PAUSE")
            .env_remove("DRIPMAIL_TEST_FAULT");
        c
    }

    /// Runs the shipped sample campaign's cycle of 2026-11-24 in place, with its output folder
    /// and ledger in this folder; `json` adds `--json`.
    pub fn run_sample(&self, json: bool) -> Output {
        let sample = repo().join("samples/autumn/campaign.toml");
        let (out, ledger) = (self.path("out"), self.path("ledger.sqlite"));
        let mut c = self.command([
            "run",
            sample.to_str().unwrap(),
            "--date",
            "2026-11-24",
            "--out",
            out.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
        ]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap().into()
    }

    /// Every file under `out/`, and the ledger beside the campaign, as (relative path, bytes),
    /// sorted.
    pub fn outputs(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        collect(&self.path("out"), &self.path("out"), &mut files);
        if let Ok(ledger) = std::fs::read(self.path("ledger.sqlite")) {
            files.push(("ledger.sqlite".into(), ledger));
        }
        files.sort();
        files
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(root, &p, files);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            files.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

/// `CAMPAIGN` text with `{layouts}` pointing at the shipped layouts.
pub fn campaign(text: &str) -> String {
    text.replace(
        "{layouts}",
        &repo().join("layouts").to_string_lossy().replace('\\', "/"),
    )
}

/// The pieces a `--json` summary did not issue, as (contact id, reason), in its order.
pub fn not_issued(v: &serde_json::Value) -> Vec<(String, String)> {
    v["summary"]["not_issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["contact_id"].as_str().unwrap().to_string(),
                h["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Counts the page objects of a PDF written by dripmail.
pub fn pdf_pages(bytes: &[u8]) -> usize {
    let needle = b"/Type /Page";
    bytes
        .windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}

/// Reads a CSV into rows of fields (header included).
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}
