//! `dripmail`: parses arguments, runs the command, prints the error chain once, picks the exit status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(report_bug));
    // A panic is a bug: said once by the hook, then exit 1 like any other failure (not
    // Rust's 101 and a backtrace). Worker threads' panics reach here too (the pipeline
    // passes them on).
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        if json_asked() {
            // The hook said it on stderr; a scheduler keeping stdout gets it too.
            print!(
                "{}",
                dripmail::cli::error_document(
                    command_asked(),
                    &serde_json::json!({
                        "message": "this is a bug in dripmail: the run stopped as a crash would",
                        "kind": "bug",
                        "exit": 1,
                    })
                )
            );
        }
        ExitCode::FAILURE
    })
}

/// True when the command line asks for JSON (read from the raw arguments: it may fail to
/// parse, or panic, before `Cli` exists).
fn json_asked() -> bool {
    std::env::args_os().skip(1).any(|a| a == "--json")
}

/// The subcommand the raw arguments name, as far as they tell.
fn command_asked() -> &'static str {
    const NAMES: [&str; 10] = [
        "run",
        "void",
        "plan",
        "validate",
        "proof",
        "reprint",
        "completions",
        "man",
        "history",
        "init",
    ];
    std::env::args()
        .skip(1)
        .find_map(|a| NAMES.iter().find(|n| **n == a).copied())
        .unwrap_or("dripmail")
}

/// What a panic prints: that it is dripmail's bug, where, and what the run left behind.
fn report_bug(info: &std::panic::PanicHookInfo<'_>) {
    // Several worker threads may hit the same bug: say it once.
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let what = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    let place = info
        .location()
        .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
    eprintln!(
        "error: this is a bug in dripmail {}: {what}{place}",
        env!("CARGO_PKG_VERSION")
    );
    eprintln!(
        "hint: not a problem with your files. The run stopped as a crash would: nothing is committed that it did not report, and the next run finishes or discards what it began. Please report the command and its input (RUST_BACKTRACE=1 adds where it happened)"
    );
    if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
        eprintln!("{}", std::backtrace::Backtrace::force_capture());
    }
}

fn run() -> ExitCode {
    let cli = match dripmail::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::SUCCESS;
            }
            if json_asked() {
                let message = e.kind().to_string();
                let detail = e.to_string();
                print!(
                    "{}",
                    dripmail::cli::error_document(
                        command_asked(),
                        &serde_json::json!({
                            "message": detail.lines().next().unwrap_or(&message).trim_start_matches("error: "),
                            "causes": [detail.trim()],
                            "hint": "run the command with --help for its options",
                            "kind": "usage",
                            "exit": 2,
                        })
                    )
                );
            }
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    let command = dripmail::cli::command_name(&cli.command);
    let now = chrono::Utc::now();
    match dripmail::cli::run(
        cli,
        chrono::Local::now().date_naive(),
        &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                print!("{}", dripmail::cli::error_json(command, &e));
            }
            // The chain of what went wrong, then what to do about it, once, at the end.
            let report = dripmail::error::advice(&e);
            eprintln!("error: {e:#}");
            if let Some(hint) = report.hint {
                eprintln!("hint: {hint}");
            }
            if let Some(state) = report.state {
                eprintln!("{state}");
            }
            ExitCode::from(report.exit.code())
        }
    }
}
