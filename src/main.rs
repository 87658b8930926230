//! The `burnkey` command: a thin layer over the library. Parses arguments,
//! runs one command, maps the result to an exit status.

mod cli;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            // A closed pipe (`burnkey scan | head`) is not a failure.
            if let Some(e) = err.downcast_ref::<std::io::Error>() {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::from(0);
                }
            }
            let _ = writeln!(std::io::stderr(), "burnkey: error: {err:#}");
            ExitCode::from(cli::Exit::Error as u8)
        }
    }
}
