//! `burnkey agent exec -- COMMAND`: runs a shell command with its standard
//! output and standard error each passed through the redactor, and exits
//! with the command's status. A hook rewrites an agent's shell commands to
//! this where the agent cannot replace a tool's output (see
//! [`crate::agent::shell`]): what the model reads never held the token.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

use crate::redact::Redactor;
use crate::scan::Scanner;

/// Copies `from` to `to` through a redactor; the bytes of a token never
/// reach `to`. Returns what the redactor masked, in count.
pub(crate) fn pump(scanner: &Scanner, mut from: impl Read, to: impl Write) -> io::Result<usize> {
    let mut r = Redactor::new(scanner, to).keep_matches(true);
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        r.write_all(&buf[..n])?;
        // A line of output reaches the agent as soon as the redactor can
        // tell it holds no token.
        r.flush()?;
    }
    r.close()?;
    let masked = r.matches().len();
    r.finish()?;
    Ok(masked)
}

/// Runs `command` with `sh -c`, its output masked; the exit status it
/// gave (128 + the signal that ended it).
pub fn run(scanner: &Scanner, command: &str) -> io::Result<i32> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let masked = std::thread::scope(|s| {
        let e = s.spawn(|| pump(scanner, err, io::stderr().lock()));
        let o = pump(scanner, out, io::stdout().lock());
        let e = e
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("a panic")));
        Ok::<usize, io::Error>(o? + e?)
    })?;
    let status = child.wait()?;
    io::stdout().flush()?;
    if masked > 0 {
        let _ = writeln!(
            io::stderr(),
            "burnkey: {masked} credential(s) in this command's output were masked before the agent read it; if real, rotate them"
        );
    }
    Ok(status.code().unwrap_or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }
        #[cfg(not(unix))]
        1
    }))
}
