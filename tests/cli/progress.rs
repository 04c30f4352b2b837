//! Progress bars: drawn on a terminal, never into a pipe, a log or JSON, and not with --quiet.

use std::io::Read as _;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::util::Fixture;

/// A campaign with enough contacts that a run takes a moment.
fn fixture() -> Fixture {
    let t = Fixture::new();
    t.many_contacts(400);
    t
}

/// Everything `dripmail ARGS` writes to a pseudo-terminal (stdout and stderr both), and its
/// exit status.
fn on_a_terminal(t: &Fixture, args: &[&str]) -> (String, u32) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dripmail"));
    cmd.args(args);
    cmd.cwd(t.path(""));
    cmd.env("DRIPMAIL_HOME", t.path("home"));
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    // Linux ends the master's stream with EIO once the child has gone.
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let status = child.wait().unwrap();
    (
        String::from_utf8_lossy(&bytes).into_owned(),
        status.exit_code(),
    )
}

#[test]
fn a_terminal_gets_progress_a_pipe_quiet_or_json_none() {
    let t = fixture();
    let (out, code) = on_a_terminal(
        &t,
        &["run", "campaign.toml", "--date", "2026-11-24", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rendering [") && out.contains("/400 pieces"),
        "{out}"
    );
    // The summary is still there, after the bar was cleared.
    assert!(out.contains("dry run: nothing written"), "{out}");
    let (out, code) = on_a_terminal(
        &t,
        &[
            "run",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--dry-run",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains("rendering") && !out.contains("pieces,"),
        "{out}"
    );
    let (out, code) = on_a_terminal(
        &t,
        &[
            "run",
            "campaign.toml",
            "--date",
            "2026-11-24",
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("rendering"), "{out}");
    // A pipe (cron, a log): nothing but the summary.
    let piped = t
        .dripmail(["run", "campaign.toml", "--date", "2026-11-24"])
        .success();
    assert!(!piped.stderr.contains("rendering"), "{}", piped.stderr);
    assert!(piped.stderr.is_empty(), "{}", piped.stderr);
}
