//! `dripmail`: parses arguments, runs the command, prints the error chain once, picks the exit status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match dripmail::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let now = chrono::Utc::now();
    match dripmail::cli::run(
        cli,
        chrono::Local::now().date_naive(),
        &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
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
