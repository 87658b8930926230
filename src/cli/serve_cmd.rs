//! `burnkey serve`: the settings from `burnkey.toml`'s `[serve]` under the
//! flags, then the library's receiver behind its HTTP server.

use std::path::Path;
use std::sync::Arc;

use crate::serve::log::Log;
use crate::serve::notify::NotifyConfig;
use crate::serve::{http, Receiver, Settings};

use super::args::{Exit, OutFormat, ServeArgs};

fn settings(a: ServeArgs) -> anyhow::Result<Settings> {
    let mut s = match &a.config {
        Some(p) => Settings::load(p)?,
        None if Path::new(crate::settings::FILE).is_file() => {
            Settings::load(Path::new(crate::settings::FILE))?
        }
        None => Settings::default(),
    };
    if let Some(v) = a.listen {
        s.listen = v;
    }
    if let Some(v) = a.store {
        s.store = v;
    }
    s.rules.extend(a.rules);
    if let Some(v) = a.secret_env {
        s.secret_env = v;
        s.secret_env_given = true;
    }
    if let Some(v) = a.github_keys {
        s.github_keys = Some(v);
    }
    if let Some(v) = a.github_keys_url {
        s.github_keys_url = Some(v);
    }
    s.tolerance = a.tolerance.unwrap_or(s.tolerance);
    s.max_body = a.max_body.unwrap_or(s.max_body);
    s.max_connections = a.max_connections.unwrap_or(s.max_connections);
    s.max_requests = a.max_requests.unwrap_or(s.max_requests);
    s.header_timeout = a.header_timeout.unwrap_or(s.header_timeout);
    s.read_timeout = a.read_timeout.unwrap_or(s.read_timeout);
    s.grace = a.grace.unwrap_or(s.grace);
    if let Some(f) = a.log_format {
        s.log_json = f == OutFormat::Json;
    }
    if let Some(cmd) = a.notify_command {
        let n = s.notify.get_or_insert_with(|| NotifyConfig {
            timeout: std::time::Duration::from_secs(30),
            ..NotifyConfig::default()
        });
        n.command = vec![cmd];
    }
    s.validate()?;
    Ok(s)
}

pub(crate) fn run(a: ServeArgs) -> anyhow::Result<Exit> {
    let s = settings(a)?;
    let log = Log::new(s.log_json);
    let receiver = Arc::new(Receiver::new(&s, log)?);
    let (revocations, github) = receiver.routes();
    let on = |b: bool| if b { "on" } else { "off" };
    http::run(&s, receiver, log, |addr| {
        log.event(
            "listening",
            &[
                ("addr", &addr.to_string()),
                ("revocations", on(revocations)),
                ("github", on(github)),
            ],
        );
    })?;
    Ok(Exit::Ok)
}
