//! The command line's arguments (clap derive), the exit statuses, and what
//! the flags mean together (which git source a scan reads): what every
//! command module reads, and nothing that runs a command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::ReportFormat;
use crate::rules::Confidence;

/// Exit statuses, the same for every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Exit {
    /// Nothing found / valid / allowed.
    Ok = 0,
    /// Findings / invalid token / denied.
    Found = 1,
    /// Bad arguments, unreadable root, broken configuration.
    Error = 2,
}

#[derive(Parser, Debug)]
#[command(
    name = "burnkey",
    version,
    after_help = "Exit status: 0 nothing found (or valid/allowed), 1 findings (or invalid/denied), 2 error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Cmd {
    /// Scan files, directories or stdin for leaked tokens.
    Scan(Box<ScanArgs>),
    /// Copy files or stdin to stdout with every token masked (a filter for
    /// logs, CI output and agent transcripts), or rewrite files in place.
    Redact(RedactArgs),
    /// Check one token: exit 0 if valid, 1 if not (with the reason).
    Check(CheckArgs),
    /// Mint new checksummed tokens, with the records to store.
    Mint(MintArgs),
    /// Verify a presented token against a record store for a scope.
    Verify(VerifyArgs),
    /// Manage a record store: list records, revoke a token, migrate.
    #[command(subcommand)]
    Store(StoreCmd),
    /// Receive leak reports (burnkey's signed webhooks, GitHub's secret
    /// scanning alerts) and revoke the records of the tokens you minted.
    Serve(Box<ServeArgs>),
    /// List or self-test the detection rules.
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Install or remove burnkey as a plain git pre-commit hook.
    #[command(subcommand)]
    Hook(HookCmd),
    /// Retry or list revocations waiting in the outbox.
    #[command(subcommand)]
    Revoke(RevokeCmd),
    /// Hooks for AI coding agents: tokens never enter the model's context.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// Run an MCP server (stdio) behind a filter: messages pass through
    /// unchanged, tokens in what the server sends are masked, and a tool
    /// call whose arguments hold a token is refused before the server sees
    /// it. Put it in front of the server's command in an agent's MCP config.
    McpProxy {
        /// The server's command and its arguments.
        #[arg(last = true, required = true, value_name = "SERVER")]
        command: Vec<String>,
    },
    /// Plan shards of repositories for a CI matrix, and merge JSON reports.
    #[command(subcommand)]
    Report(ReportCmd),
    /// Print one field of a JSON file (the GitHub Action reads its event
    /// payload with it, so the action needs no other JSON tool).
    #[command(hide = true)]
    EventField {
        file: PathBuf,
        /// Object keys, outermost first.
        keys: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AgentCmd {
    /// Answer one hook event (JSON on stdin) in the agent's protocol:
    /// block a prompt, deny a tool call, or mask a tool's output that holds
    /// a token. Any error of its own blocks.
    Hook {
        /// The agent: claude-code, codex, gemini, cursor, copilot-cli, vscode.
        #[arg(long, value_name = "NAME")]
        agent: String,
        /// The event's name, for an agent that does not write it in the
        /// event (copilot-cli: userPromptSubmitted, preToolUse, postToolUse).
        #[arg(long, value_name = "EVENT")]
        event: Option<String>,
    },
    /// Put burnkey's hooks in an agent's config (merged with the hooks
    /// there; installing twice changes nothing).
    Install {
        /// The agent: claude-code, codex, gemini, cursor, copilot-cli, vscode,
        /// kiro, windsurf, vibe, junie.
        #[arg(long, value_name = "NAME")]
        agent: String,
        /// user (every project), project (committed) or local (Claude
        /// Code's settings.local.json). Default: project, or user for an
        /// agent that runs no project hooks (Junie).
        #[arg(long, value_name = "SCOPE")]
        scope: Option<String>,
        /// Print the config it would write; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Take burnkey's hooks out of an agent's config: the bytes it had
    /// before, if nobody has changed it since.
    Uninstall {
        /// The agent.
        #[arg(long, value_name = "NAME")]
        agent: String,
        /// user, project or local (default as for install).
        #[arg(long, value_name = "SCOPE")]
        scope: Option<String>,
        /// Print what it would write; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List every agent config that runs burnkey's hooks, and what is wrong
    /// with them (a binary gone, a stage unguarded, no fail-closed setting,
    /// a hook registered twice). Exits 1 when something is.
    Status,
    /// List the credentials already in the agents' own transcripts and
    /// session stores (Claude Code, Codex, Gemini CLI, Copilot CLI), file by
    /// file; `--in-place` masks them there. Exits 1 when some are left.
    Scrub {
        /// Mask them in place (each file replaced atomically).
        #[arg(long)]
        in_place: bool,
        /// Only this agent's stores.
        #[arg(long, value_name = "NAME")]
        agent: Option<String>,
    },
    /// Run each installed hook as its agent would, with a canary token in
    /// a prompt, and check that it blocks it; plus everything `status`
    /// checks. Exits 1 when a hook would let a credential through.
    Doctor,
    /// Run a shell command (`sh -c`) with its output and errors masked,
    /// exiting with its status: what a hook rewrites an agent's shell
    /// commands to where the agent cannot replace a tool's output.
    Exec {
        /// The command, as one word (or several, joined by spaces).
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum ReportCmd {
    /// Split a list of repositories (one per line; `#` comments) into at
    /// most N shards of near-equal size, for a GitHub Actions matrix.
    Shards {
        /// The list; `-` reads stdin.
        list: PathBuf,
        /// How many shards (GitHub runs at most 256 jobs per matrix).
        #[arg(long, default_value_t = 16)]
        shards: usize,
        /// `json`: `{"include": [{"shard": 0, "repositories": "a/b c/d"}]}`
        /// (for `fromJSON` in a matrix); `text`: one shard per line.
        #[arg(long, default_value = "json")]
        format: OutFormat,
    },
    /// Merge JSON reports of `burnkey scan` (several repositories or
    /// shards) into one: findings concatenated in order, stats summed.
    Merge {
        /// JSON reports (`burnkey scan --format json`).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', default_value = "json", value_parser = ["json", "sarif", "markdown"])]
        format: String,
        /// Write to FILE instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Add the rules in this TOML file (repeatable): SARIF describes them.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum RevokeCmd {
    /// Resend what waits in the outbox; delivered requests are removed.
    Flush {
        #[arg(long, value_name = "DIR")]
        outbox: Option<PathBuf>,
        /// The configuration whose endpoints may receive requests (default:
        /// ./burnkey.toml). Requests for other endpoints, and files not
        /// authenticated by the endpoint's secret, are quarantined.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Consent to revocations that destroy credentials (`via =
        /// "cloudflare"`), as `confirm = true` in burnkey.toml does.
        #[arg(long)]
        yes: bool,
    },
    /// List what waits in the outbox, and what failed for good.
    Status {
        #[arg(long, value_name = "DIR")]
        outbox: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum HookCmd {
    /// Install the pre-commit hook in the repository around the current directory.
    Install {
        /// Keep an existing foreign hook as pre-commit.legacy and run it first.
        #[arg(long)]
        chain: bool,
    },
    /// Remove burnkey's hook (only ours), restoring a chained one.
    Uninstall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin. Default: `.`.
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, short = 'f', default_value = "text", value_parser = report_format())]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print each full token (the `secret` field in JSON). Off by default.
    #[arg(long)]
    pub show_secret: bool,
    /// Also report prefix+shape matches whose checksum fails (confidence
    /// low).
    #[arg(long)]
    pub report_invalid: bool,
    /// Report only findings at least this sure: `high` drops the
    /// keyword-anchored ones (pre-2026 Cloudflare keys), `medium` (the
    /// default) reports them.
    #[arg(long, value_name = "LEVEL", value_parser = confidence(&["low", "medium", "high"]))]
    pub min_confidence: Option<Confidence>,
    /// Also scan files that .gitignore/.ignore exclude (never .git).
    #[arg(long)]
    pub no_ignore: bool,
    /// Add the rules in this TOML file (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Print one `.burnkeyignore` line per finding instead of the report.
    #[arg(long)]
    pub print_fingerprints: bool,
    /// Worker threads (0 = number of CPUs).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Skip files larger than this (e.g. 10M, 2G); default: scan every size.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_filesize: Option<u64>,
    /// Do not decode: no base64, UTF-16 or escapes (and, as they need a
    /// layer, no archives).
    #[arg(long)]
    pub no_decode: bool,
    /// Do not look inside gzip, zip and tar files (found by content).
    #[arg(long)]
    pub no_archives: bool,
    /// Layers of encodings and containers to look through (base64 in
    /// base64, a zip in a tar.gz).
    #[arg(long, value_name = "N", default_value_t = crate::scan::DEFAULT_DECODE_DEPTH)]
    pub max_decode_depth: u32,
    /// Bytes decompressed per file or blob, over all its layers (e.g. 2G);
    /// past it the rest of the file is skipped (`decompression_limit`).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "256M")]
    pub max_decompressed: u64,
    /// Decompressed bytes per compressed byte, of each stream and of the
    /// whole file (every layer's output over the file's size), past the
    /// first MiB; past it the rest is skipped (`compression_ratio`, a bomb).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_compression_ratio: u64,
    /// Members read per archive (`too_many_members` past it).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_archive_members: u64,
    /// Memory one decompressor may take (an xz dictionary, a zstd window);
    /// a stream that declares more is not decompressed (`decoder_memory`).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64M")]
    pub max_decoder_memory: u64,
    /// Colour text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// No summary line and no progress indicator.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Scan what is staged in the git index (pre-commit): index blobs of
    /// added or changed files, not the working tree.
    #[arg(long, group = "source")]
    pub staged: bool,
    /// Scan every blob reachable from any ref of the repository at REPO
    /// (default: the current one), each distinct blob once.
    #[arg(long, value_name = "REPO", num_args = 0..=1, default_missing_value = ".", group = "source")]
    pub git: Option<PathBuf>,
    /// Scan the blobs that the commits in A..B add or change (CI on a push
    /// or pull request). `0000000..B` means B's commits not on any remote.
    #[arg(long, value_name = "A..B", group = "source")]
    pub git_range: Option<String>,
    /// Tag every finding with this repository name (`repository` in JSON
    /// and SARIF), for reports merged across repositories.
    #[arg(long, value_name = "NAME")]
    pub repository: Option<String>,
    /// Report only findings whose rule and secret are not in this baseline
    /// (written by --write-baseline); they are counted in
    /// `stats.suppressed.baseline`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the findings of this scan to FILE as a baseline (rule, secret
    /// SHA-256, path, fingerprint; no secret), to accept what is known today.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// With --git or --git-range: one finding per blob that holds a token
    /// (every later version of a file repeats it), instead of one per
    /// token and path with `occurrences` and `still_in`.
    #[arg(long)]
    pub all_occurrences: bool,
    /// Same as --git-range A..HEAD.
    #[arg(long, value_name = "A", group = "source")]
    pub since_commit: Option<String>,
    /// With --git-range / --since-commit: read `.burnkeyignore`, a relative
    /// --baseline and `burnkey.toml` from the work tree and the working
    /// directory, not from the range's base commit (which is the default:
    /// a pull request cannot allow its own leak or redirect revocation).
    #[arg(long)]
    pub config_from_head: bool,
    /// What the pre-commit framework runs: the pushed range
    /// (PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF) when set, else --staged.
    #[arg(long, group = "source")]
    pub pre_commit: bool,
    /// Ask each token's provider whether it works (Cloudflare, GitHub, npm):
    /// opt-in network access, one request per distinct token.
    #[arg(long, help_heading = "Verification")]
    pub verify: bool,
    /// With --verify: leave out findings whose token verified inactive or
    /// invalid (unknown and error stay).
    #[arg(long, requires = "verify", help_heading = "Verification")]
    pub only_active: bool,
    /// With --verify: requests a second, over all threads.
    #[arg(
        long,
        default_value_t = 5.0,
        value_name = "N",
        help_heading = "Verification"
    )]
    pub verify_rps: f64,
    /// With --verify: the time one request may take.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION", help_heading = "Verification")]
    pub verify_timeout: std::time::Duration,
    /// The Cloudflare account id for cfat_ tokens [default: CLOUDFLARE_ACCOUNT_ID,
    /// else one named within 5 lines of the token].
    #[arg(long, value_name = "ID", help_heading = "Verification")]
    pub cloudflare_account: Option<String>,
    /// The email for Global API Keys [default: CLOUDFLARE_EMAIL, else one named
    /// within 5 lines of the key].
    #[arg(long, value_name = "ADDRESS", help_heading = "Verification")]
    pub cloudflare_email: Option<String>,
    /// Send each checksum-valid finding to its revocation endpoint (burnkey.toml).
    #[arg(long)]
    pub revoke: bool,
    /// Print what --revoke would send (redacted), without sending.
    #[arg(long, conflicts_with = "revoke")]
    pub revoke_dry_run: bool,
    /// Consent to revocations that destroy credentials (`via = "cloudflare"`),
    /// as `confirm = true` in burnkey.toml does.
    #[arg(long)]
    pub yes: bool,
    /// The configuration file (default: burnkey.toml at the scan root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where undelivered revocations wait (default: ~/.local/state/burnkey/outbox).
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// Also write the report as SARIF to FILE (whatever --format is).
    #[arg(long, value_name = "FILE", help_heading = "CI integration")]
    pub sarif: Option<PathBuf>,
    /// Append a Markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE", help_heading = "CI integration")]
    pub markdown_summary: Option<PathBuf>,
    /// Append `findings=N` and `revocations=N` lines to FILE (e.g. "$GITHUB_OUTPUT").
    #[arg(long, value_name = "FILE", help_heading = "CI integration")]
    pub github_output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct RedactArgs {
    /// Files to copy to stdout, in order; none, or `-`, reads stdin.
    pub files: Vec<PathBuf>,
    /// Replace each token with this text instead of stars: `{rule}`,
    /// `{prefix}` and `{len}` are filled in (e.g. `[REDACTED {rule}]`).
    /// The default keeps a token's prefix and its length.
    #[arg(long, value_name = "TEMPLATE")]
    pub mask: Option<String>,
    /// Write what was masked to FILE as JSON findings (no tokens; 0600).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Also mask look-alikes whose checksum fails.
    #[arg(long)]
    pub shapes: bool,
    /// Rewrite each FILE in place, atomically; a file without tokens is
    /// left untouched.
    #[arg(long)]
    pub in_place: bool,
    /// Exit 1 when a token was masked.
    #[arg(long)]
    pub fail_on_findings: bool,
    /// `high` leaves keyword-anchored secrets (pre-2026 Cloudflare keys)
    /// alone; `medium` (the default) masks them.
    #[arg(long, value_name = "LEVEL", value_parser = confidence(&["medium", "high"]))]
    pub min_confidence: Option<Confidence>,
    /// Add the rules in this TOML file (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Do not decode: no base64, UTF-16 or escapes.
    #[arg(long)]
    pub no_decode: bool,
    /// Layers of encodings to look through (base64 in base64).
    #[arg(long, value_name = "N", default_value_t = crate::scan::DEFAULT_DECODE_DEPTH)]
    pub max_decode_depth: u32,
    /// Threads that scan a large file's blocks side by side (0 = number
    /// of CPUs).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The token, or `-` to read it from stdin.
    pub token: String,
    /// Check against this custom kind (prefix) instead of the built-in formats.
    #[arg(long)]
    pub kind: Option<String>,
    /// Checksum scheme of a custom kind (default crc32-hex8).
    #[arg(long)]
    pub scheme: Option<String>,
    /// Add the rules in this TOML file (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub(crate) struct MintArgs {
    /// Kind to mint: a built-in kind (listed from the rules), or your own
    /// prefix (e.g. acme).
    #[arg(long)]
    pub kind: String,
    /// Checksum scheme for a custom prefix (built-in kinds keep theirs).
    #[arg(long)]
    pub scheme: Option<String>,
    /// A granted scope, `<permission>:<read|edit>@<resource-type>/<resource-id>` (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Lifetime, e.g. 90d, 12h, 1h30m; default: no expiry.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub ttl: Option<std::time::Duration>,
    /// How many tokens to mint.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub count: u32,
    /// Output format: the token per line, or `{"token", "record"}` per line.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutFormat,
    /// Add the records to this store: `tokens.jsonl` (JSON lines),
    /// `tokens.db` or `sqlite:PATH` (SQLite).
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// Add the formats in this rule file (repeatable): `--kind` may name them.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The presented token, or `-` to read it from stdin.
    pub token: String,
    /// The record store: `tokens.jsonl`, `tokens.db` or `sqlite:PATH`.
    #[arg(long, value_name = "STORE")]
    pub store: String,
    /// The scope the request needs.
    #[arg(long)]
    pub scope: String,
    /// Add the formats in this rule file (repeatable), for records of its kinds.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8787; `[serve] listen`].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The record store: `tokens.db`, `sqlite:PATH` or `tokens.jsonl`.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// Add the formats in this rule file (repeatable), for records of its kinds.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// The environment variable with the webhook secret(s) of
    /// `/v1/revocations`, space-separated for rotation [default:
    /// BURNKEY_REVOKE_SECRET].
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// GitHub's secret scanning keys (the JSON of
    /// `/meta/public_keys/secret_scanning`): turns on
    /// `/v1/github/secret-scanning`.
    #[arg(long, value_name = "FILE")]
    pub github_keys: Option<PathBuf>,
    /// Fetch GitHub's keys from here when an alert names an unknown key.
    #[arg(long, value_name = "URL")]
    pub github_keys_url: Option<String>,
    /// Settings file with a `[serve]` section [default: ./burnkey.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How far `webhook-timestamp` may be from now [default: 5m].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub tolerance: Option<std::time::Duration>,
    /// Largest request body; larger ones are answered 413 [default: 1M].
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub max_body: Option<u64>,
    /// Connections open at once; one more is answered 503 [default: 256].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Reports handled at once [default: 32].
    #[arg(long, value_name = "N")]
    pub max_requests: Option<usize>,
    /// Time a client has to send a request's head [default: 10s].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub header_timeout: Option<std::time::Duration>,
    /// Time a client has to send a request's body [default: 30s].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub read_timeout: Option<std::time::Duration>,
    /// On SIGTERM, how long requests in flight may still take [default: 30s].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub grace: Option<std::time::Duration>,
    /// Log lines: text, or one JSON object per line.
    #[arg(long, value_enum)]
    pub log_format: Option<OutFormat>,
    /// Run this program once per revoked record (the event as JSON on stdin).
    #[arg(long, value_name = "PROGRAM")]
    pub notify_command: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum StoreCmd {
    /// Mark a record revoked, by token, token SHA-256 or record id.
    Revoke {
        /// The token (or `-` for stdin), its SHA-256, or a record id.
        key: String,
        /// `tokens.jsonl`, `tokens.db` or `sqlite:PATH`.
        #[arg(long, value_name = "STORE")]
        store: String,
    },
    /// List records (never tokens).
    List {
        /// `tokens.jsonl`, `tokens.db` or `sqlite:PATH`.
        #[arg(long, value_name = "STORE")]
        store: String,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// Copy every record of one store into another (e.g. `tokens.jsonl`
    /// into `tokens.db`); records already there (same id) are skipped, so
    /// running it again changes nothing.
    Migrate {
        /// The store to read.
        from: String,
        /// The store to add to (created if missing).
        to: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum RulesCmd {
    /// List the rules.
    List {
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
    /// Check every rule: examples match, negative examples don't, ids are unique.
    Check {
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
}

/// A `--min-confidence` among `levels`, as the rules' [`Confidence`].
fn confidence(
    levels: &'static [&'static str],
) -> impl clap::builder::TypedValueParser<Value = Confidence> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(levels)
        .map(|s| s.parse::<Confidence>().expect("a level the parser allowed"))
}

/// `--format`'s values: the library's report formats, listed in `--help`.
fn report_format() -> impl clap::builder::TypedValueParser<Value = ReportFormat> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(crate::report::FORMATS.iter().map(|f| f.name()))
        .map(|s| s.parse::<ReportFormat>().expect("a listed format"))
}

/// Parses `10M`, `2G`, `512K`, `100` (bytes).
fn parse_size(s: &str) -> Result<u64, String> {
    crate::serve::settings::parse_size(s)
}

/// Which git objects a scan reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GitSource {
    Staged,
    History,
    Range(String),
}

pub(crate) fn git_source(a: &ScanArgs) -> Option<GitSource> {
    if a.pre_commit {
        let from = std::env::var("PRE_COMMIT_FROM_REF").unwrap_or_default();
        let to = std::env::var("PRE_COMMIT_TO_REF").unwrap_or_default();
        return Some(if !from.is_empty() && !to.is_empty() {
            GitSource::Range(format!("{from}..{to}"))
        } else {
            GitSource::Staged
        });
    }
    if a.staged {
        Some(GitSource::Staged)
    } else if a.git.is_some() {
        Some(GitSource::History)
    } else if let Some(r) = &a.git_range {
        Some(GitSource::Range(r.clone()))
    } else {
        a.since_commit
            .as_ref()
            .map(|c| GitSource::Range(format!("{c}..HEAD")))
    }
}
