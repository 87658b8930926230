//! `burnkey revoke flush|status`, and the pieces `scan --revoke` shares.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use serde_json::json;

use crate::revoke::config::{Config, Endpoint, Via};
use crate::revoke::outbox::Outbox;
use crate::revoke::{self, Report, Request};

use crate::Finding;

use super::args::{Exit, OutFormat, RevokeCmd, ScanArgs};

/// Requests in flight at once.
pub const PARALLEL: usize = 8;

/// What `scan --revoke` / `--revoke-dry-run` did, for the report.
pub(crate) struct AfterScan {
    /// The `revocations` member of the JSON report.
    pub report: Option<serde_json::Value>,
    /// Lines for stderr.
    pub summary: String,
    /// Revocations delivered.
    pub delivered: u64,
    /// Something needs the user (exit 2).
    pub failed: bool,
}

/// What destroying a credential needs, when it was not given.
pub(crate) const NEEDS_CONSENT: &str = "revoking through this provider's API destroys the credential: it needs consent, `confirm = true` under its [[revoke]] entry or --yes";

/// Whether requests to `ep` may be made: consent, for an entry that
/// destroys credentials.
fn consented(ep: &Endpoint, yes: bool) -> bool {
    !ep.via.destroys() || ep.confirm || yes
}

/// Runs (or, dry, prints) the revocations the findings call for. `text`
/// gives a finding's content, to pair a `cfat_` token with its account.
pub(crate) fn after_scan(
    a: &ScanArgs,
    cfg: anyhow::Result<Config>,
    findings: &[Finding],
    text: &dyn Fn(&Finding) -> Option<Vec<u8>>,
) -> AfterScan {
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            return AfterScan {
                report: None,
                summary: format!("burnkey: error: revocation not attempted: {e:#}\n"),
                delivered: 0,
                failed: true,
            }
        }
    };
    let given = match crate::live::given_account(a.cloudflare_account.clone()) {
        Ok(g) => g,
        Err(e) => {
            return AfterScan {
                report: None,
                summary: format!("burnkey: error: revocation not attempted: {e}\n"),
                delivered: 0,
                failed: true,
            }
        }
    };
    // A cfat_ token's account: what verification paired, the flag or the
    // environment, else one named next to it.
    let account_of = |f: &Finding| {
        if let Some(p) = f.verification().and_then(|v| v.paired.as_ref()) {
            if p.what == "account_id" {
                return Some(p.value.clone());
            }
        }
        let t = if given.is_some() { None } else { text(f) };
        crate::live::paired(
            f,
            crate::providers::Want::AccountId,
            given.as_ref(),
            t.as_deref(),
        )
        .ok()
        .map(|p| p.value)
    };
    let reqs = revoke::plan(findings, &cfg, &account_of);
    if a.revoke_dry_run {
        return AfterScan {
            report: Some(dry_run(&reqs, &cfg, a.yes)),
            summary: String::new(),
            delivered: 0,
            failed: false,
        };
    }
    let (reqs, refused): (Vec<Request>, Vec<Request>) = reqs.into_iter().partition(|r| {
        cfg.endpoint(&r.endpoint)
            .is_none_or(|ep| consented(ep, a.yes))
    });
    let outbox = Outbox::new(a.outbox.clone().unwrap_or_else(Outbox::default_dir));
    let mut report = revoke::run(
        reqs.into_iter().map(|r| (r, None)).collect(),
        &|r| endpoint_for(&cfg, r),
        &outbox,
        PARALLEL,
    );
    refuse(&mut report, refused);
    AfterScan {
        report: serde_json::to_value(&report).ok(),
        summary: summary(&report),
        delivered: report.delivered as u64,
        failed: !report.errors.is_empty(),
    }
}

/// Reports `refused` (no consent) as skipped: never sent, never journaled.
fn refuse(report: &mut Report, refused: Vec<Request>) {
    if refused.is_empty() {
        return;
    }
    report.skipped += refused.len();
    for r in &refused {
        report.line(r, "skipped", Some(NEEDS_CONSENT.into()));
    }
    report.errors.push(format!(
        "{} revocation{} not made: {NEEDS_CONSENT}",
        refused.len(),
        if refused.len() == 1 { "" } else { "s" }
    ));
}

/// The configured endpoint for a request.
pub(crate) fn endpoint_for(cfg: &Config, r: &Request) -> Result<Endpoint, crate::Error> {
    cfg.endpoint(&r.endpoint)
        .cloned()
        .ok_or_else(|| crate::Error::Invalid(format!("{} is no longer configured", r.endpoint)))
}

/// What `--revoke-dry-run` prints (to stderr) and reports: redacted.
pub(crate) fn dry_run(reqs: &[Request], cfg: &Config, yes: bool) -> serde_json::Value {
    let mut items = Vec::new();
    for r in reqs {
        let ep = cfg.endpoint(&r.endpoint);
        let via = ep.map_or(Via::Webhook, |e| e.via);
        let api = ep.and_then(|e| e.api.clone()).unwrap_or_default();
        let key = match r.send {
            revoke::config::SendMode::Token => "token",
            revoke::config::SendMode::Hash => "token_hash",
        };
        let shown = if key == "token" {
            r.redacted.clone()
        } else {
            r.token_sha256.clone()
        };
        let consent = ep.is_none_or(|e| consented(e, yes));
        let plan = match via.provider() {
            None => format!(
                "would POST to {}: [{{\"{key}\": \"{shown}\", \"type\": \"{}\", \"url\": \"{}\", \"source\": \"{}\"}}] (webhook-id {})",
                r.endpoint, r.rule_id, r.location, r.source, r.webhook_id
            ),
            Some(p) => {
                let item = crate::providers::Revocation {
                    rule_id: &r.rule_id,
                    token: "",
                    paired: r.account_id.as_deref(),
                };
                format!(
                    "would revoke {shown} ({}) through {}: {}{}",
                    r.rule_id,
                    p.title(),
                    p.revoke_plan(&api, &item),
                    if consent { "" } else { "; not without consent (confirm = true, or --yes)" }
                )
            }
        };
        let what = via.name();
        eprintln!("burnkey: {plan}");
        items.push(json!({
            "webhook_id": r.webhook_id, "endpoint": r.endpoint, "via": what, "rule_id": r.rule_id,
            "send": key, "redacted": r.redacted, "url": r.location, "source": r.source,
            "account_id": r.account_id, "consent": consent,
        }));
    }
    json!({"dry_run": true, "would_send": items})
}

/// The lines printed after a revocation run.
pub(crate) fn summary(r: &Report) -> String {
    let mut s = format!(
        "burnkey: revocations: {} delivered, {} failed, {} waiting in the outbox ({}){}\n",
        r.delivered,
        r.failed,
        r.outbox,
        r.outbox_dir.display(),
        if r.skipped > 0 {
            format!(", {} skipped", r.skipped)
        } else {
            String::new()
        }
    );
    for l in &r.requests {
        let said = match (&l.outcome, l.status.as_str()) {
            (Some(o), _) => o.as_str(),
            (None, "delivered") => continue,
            (None, _) => l.reason.as_deref().unwrap_or(""),
        };
        s.push_str(&format!(
            "  {} {} {} -> {}: {said}\n",
            l.status, l.rule_id, l.redacted, l.endpoint,
        ));
    }
    for e in &r.errors {
        s.push_str(&format!("burnkey: error: {e}\n"));
    }
    if r.outbox > 0 {
        s.push_str("  Retry later with `burnkey revoke flush`.\n");
    }
    s
}

pub(crate) fn run(c: RevokeCmd) -> anyhow::Result<Exit> {
    match c {
        RevokeCmd::Flush {
            outbox,
            config,
            yes,
        } => flush(outbox, config, yes),
        RevokeCmd::Status { outbox, format } => status(outbox, format),
    }
}

/// `burnkey revoke flush`: sends what waits in the outbox, to the endpoints
/// the configuration names.
fn flush(outbox: Option<PathBuf>, config: Option<PathBuf>, yes: bool) -> anyhow::Result<Exit> {
    let outbox = Outbox::new(outbox.unwrap_or_else(Outbox::default_dir));
    // Only endpoints the configuration names receive anything: an
    // outbox file cannot choose where its request goes.
    let path = config.unwrap_or_else(|| PathBuf::from(crate::settings::FILE));
    if !path.exists() {
        bail!(
            "revoke flush sends only to endpoints that burnkey.toml configures, and there is none at {}: pass --config FILE",
            path.display()
        );
    }
    let cfg = Config::load(&path)?;
    let t = revoke::triage(&outbox, &cfg).context("cannot read the outbox")?;
    for (p, why) in &t.quarantined {
        eprintln!(
            "burnkey: warning: quarantined {}, not sent: {why}",
            crate::report::text::escape_control(&p.display().to_string())
        );
    }
    for e in &t.errors {
        eprintln!("burnkey: error: {e}");
    }
    for (p, why) in &t.waiting {
        eprintln!("burnkey: {}: left in the outbox: {why}", p.display());
    }
    if t.ready.is_empty() && t.waiting.is_empty() {
        if t.quarantined.is_empty() && t.errors.is_empty() {
            println!("burnkey: the outbox is empty ({})", outbox.dir().display());
            return Ok(Exit::Ok);
        }
        return Ok(if t.errors.is_empty() {
            Exit::Found
        } else {
            Exit::Error
        });
    }
    let endpoint_of = |r: &Request| endpoint_for(&cfg, r);
    // Without consent, what destroys credentials stays in the outbox.
    let (ready, held): (Vec<_>, Vec<_>) = t.ready.into_iter().partition(|(r, _)| {
        cfg.endpoint(&r.endpoint)
            .is_none_or(|ep| consented(ep, yes))
    });
    for (r, _) in &held {
        eprintln!(
            "burnkey: {} ({}) left in the outbox: {NEEDS_CONSENT}",
            r.webhook_id, r.redacted
        );
    }
    let report = revoke::run(ready, &endpoint_of, &outbox, PARALLEL);
    eprint!("{}", summary(&report));
    Ok(
        if !report.errors.is_empty()
            || !t.errors.is_empty()
            || !t.waiting.is_empty()
            || !held.is_empty()
        {
            Exit::Error
        } else if report.all_delivered() && t.quarantined.is_empty() {
            Exit::Ok
        } else {
            Exit::Found
        },
    )
}

/// `burnkey revoke status`: what waits, what failed, what was quarantined.
fn status(outbox: Option<PathBuf>, format: OutFormat) -> anyhow::Result<Exit> {
    let outbox = Outbox::new(outbox.unwrap_or_else(Outbox::default_dir));
    let mut out = std::io::stdout().lock();
    let mut rows = Vec::new();
    for (state, list) in [
        ("pending", outbox.pending()?),
        ("failed", outbox.failed()?),
        ("quarantined", outbox.quarantined()?),
    ] {
        for (path, r) in list {
            rows.push(match r {
                Ok(r) => json!({
                    "state": state, "webhook_id": r.webhook_id, "endpoint": r.endpoint,
                    "rule_id": r.rule_id, "redacted": r.redacted, "url": r.location,
                    "attempts": r.attempts, "last_error": r.last_error, "created_at": r.created_at,
                }),
                Err(e) => json!({"state": "unreadable", "file": path.display().to_string(), "last_error": e}),
            });
        }
    }
    match format {
        OutFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        OutFormat::Text => {
            for r in &rows {
                writeln!(
                    out,
                    "{:<8} {} {} {} -> {} (attempts {}, last error: {})",
                    r["state"].as_str().unwrap_or(""),
                    r["webhook_id"]
                        .as_str()
                        .unwrap_or(r["file"].as_str().unwrap_or("")),
                    r["rule_id"].as_str().unwrap_or(""),
                    r["redacted"].as_str().unwrap_or(""),
                    r["endpoint"].as_str().unwrap_or(""),
                    r["attempts"],
                    r["last_error"].as_str().unwrap_or("-"),
                )?;
            }
            writeln!(
                out,
                "{} request(s) in {}",
                rows.len(),
                outbox.dir().display()
            )?;
        }
    }
    Ok(Exit::Ok)
}
