//! `burnkey rules list` and `burnkey rules check`.

use std::io::Write;

use serde_json::json;

use crate::RuleSet;

use super::args::{Exit, OutFormat, RulesCmd};

pub(crate) fn run(c: RulesCmd) -> anyhow::Result<Exit> {
    match c {
        RulesCmd::List { rules, format } => {
            let set = RuleSet::with_files(&rules)?;
            let mut out = std::io::stdout().lock();
            for r in set.rules() {
                let f = &r.format;
                match format {
                    OutFormat::Text => writeln!(
                        out,
                        "{:<42} {:<11} {:>3}  {:<15} {}",
                        r.id(),
                        if r.is_keyword() {
                            "(keyword)"
                        } else {
                            f.marker()
                        },
                        f.token_len(),
                        f.checksum_name(),
                        f.name
                    )?,
                    OutFormat::Json => writeln!(
                        out,
                        "{}",
                        json!({
                            "id": r.id(), "name": f.name, "provider": r.provider,
                            "prefix": f.prefix,
                            "marker": f.marker(),
                            "confidence": r.confidence.as_str(),
                            "keyword": r.is_keyword(),
                            "body_len": f.layout.as_preset().map(|(n, _)| n),
                            "checksum": f.checksum_name(),
                            "layout": f.layout.describe(),
                            "token_len": f.token_len(), "min_token_len": f.min_token_len(),
                            "description": r.description,
                            "source": r.source.display().to_string(),
                        })
                    )?,
                }
            }
            Ok(Exit::Ok)
        }
        RulesCmd::Check { rules } => {
            let set = RuleSet::with_files(&rules)?;
            let problems = set.check_examples();
            for p in &problems {
                println!("FAIL {p}");
            }
            let examples: usize = set
                .rules()
                .iter()
                .map(|r| r.examples.len() + r.negative_examples.len())
                .sum();
            println!(
                "{} rules, {} examples: {}",
                set.rules().len(),
                examples,
                if problems.is_empty() {
                    "ok".to_string()
                } else {
                    format!("{} problems", problems.len())
                }
            );
            Ok(if problems.is_empty() {
                Exit::Ok
            } else {
                Exit::Found
            })
        }
    }
}
