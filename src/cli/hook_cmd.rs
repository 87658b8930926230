//! `burnkey hook install|uninstall`.

use crate::source::hook::{self, Installed, Uninstalled};

use super::args::{Exit, HookCmd};

pub(crate) fn run(c: HookCmd) -> anyhow::Result<Exit> {
    let here = std::env::current_dir()?;
    match c {
        HookCmd::Install { chain } => {
            let exe = std::env::current_exe()?;
            let (path, how) = hook::install(&here, &exe, chain)?;
            let what = match how {
                Installed::Fresh => "installed",
                Installed::Chained => {
                    "installed (the existing hook is kept as pre-commit.legacy and runs first)"
                }
                Installed::Updated => "updated",
            };
            println!("burnkey: pre-commit hook {what}: {}", path.display());
            Ok(Exit::Ok)
        }
        HookCmd::Uninstall => match hook::uninstall(&here) {
            Ok((path, how)) => {
                let what = match how {
                    Uninstalled::Removed => "removed",
                    Uninstalled::Restored => "removed; the chained hook is back in place",
                };
                println!("burnkey: pre-commit hook {what}: {}", path.display());
                Ok(Exit::Ok)
            }
            Err(e) => {
                eprintln!("burnkey: {e}");
                Ok(Exit::Found)
            }
        },
    }
}
