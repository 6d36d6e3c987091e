//! Command-line shape (clap derive types only; behaviour lives in `app`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "readyctl",
    version,
    about = "Production readiness as signed, verifiable evidence instead of green ticks",
    after_help = crate::exit::HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checklist's probes and write a run directory (evidence, manifest, report).
    #[command(after_help = crate::exit::HELP)]
    Check(CheckArgs),
    /// Print the resolved checks without running anything.
    List(ListArgs),
    /// Write a readiness.yaml that extends the built-in checklist for the detected stack.
    Init(InitArgs),
    /// Print the JSON Schema of the checklist language.
    Schema,
    /// Create an Ed25519 signing key pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub.
    Keygen(KeygenArgs),
    /// Sign a run's manifest (DSSE envelope) after the fact.
    Sign(SignArgs),
    /// Check a run directory or proof pack offline: signature, every digest, no missing or
    /// extra file. Exit 0 valid, 1 invalid, 2 usage error.
    Verify(VerifyArgs),
    /// Pack a run directory into a deterministic .tar.gz proof pack with VERIFY.md.
    Pack(PackArgs),
    /// Re-render a saved run (directory, manifest.json or pack) without running anything.
    Report(ReportArgs),
    /// Compare two runs: new failures, fixes, score and level, waivers, changed evidence.
    /// Exit 0 no regression, 1 regression, 2 usage error.
    Diff(DiffArgs),
    /// Write a shields-style SVG badge (verdict and level) for a run.
    Badge(BadgeArgs),
    /// Verify many runs or packs and roll them up into one fleet table.
    Aggregate(AggregateArgs),
    /// Secret scanning helpers: write a baseline, list the rules.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Migration helpers: `lock` records the released migrations' digests in migrations.lock.
    #[command(subcommand)]
    Migrations(MigrationsCommand),
    /// Turn a hand-written Markdown readiness report into a checklist: one check per claim,
    /// `manual` sign-offs for what a machine cannot check.
    Import(ImportArgs),
    /// Sign off a `manual` check: write a DSSE-signed attestation under attestations/.
    Attest(AttestArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout: `readyctl man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum MigrationsCommand {
    /// Write migrations.lock: the sha256 of every migration file, for the `migrations` probe
    /// to fail on an edit to, or removal of, a released migration. Commit it when you release.
    Lock(MigrationsLockArgs),
}

#[derive(Debug, Args)]
pub struct MigrationsLockArgs {
    /// Repository (default: the current directory).
    #[arg(value_name = "REPO_DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The migrations directory, relative to the repository (default: detected, as the probe
    /// does).
    #[arg(long, value_name = "DIR")]
    pub path: Option<String>,
    /// The framework (alembic, django, rails, flyway, sqlx, golang-migrate, …; default:
    /// detected).
    #[arg(long, value_name = "NAME")]
    pub framework: Option<String>,
    /// Where to write the lock (default: DIR/migrations.lock), relative to the repository.
    #[arg(long, value_name = "FILE")]
    pub lock: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Scan the repository with the built-in rules and write the fingerprints of every current
    /// finding to a baseline file (no secret values), which `secrets: { baseline: FILE }` ignores.
    Baseline(SecretsBaselineArgs),
    /// List the built-in secret rules: id, severity, description.
    Rules(SecretsRulesArgs),
}

#[derive(Debug, Args)]
pub struct SecretsRulesArgs {
    /// Print the combined regex the scanner prefilters with (for comparing with ripgrep).
    #[arg(long)]
    pub pattern: bool,
}

#[derive(Debug, Args)]
pub struct SecretsBaselineArgs {
    /// Repository to scan (default: the current directory).
    #[arg(value_name = "REPO_DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Baseline file to write (default: REPO_DIR/.secrets-baseline.json).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Markdown report.
    #[arg(value_name = "REPORT.md")]
    pub report: PathBuf,
    /// Where to write the checklist (`-`: stdout).
    #[arg(long, short = 'o', value_name = "FILE", default_value = "readiness.yaml")]
    pub out: String,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Severity of every imported check (default: `critical` for security and data claims,
    /// `high` for the rest — both block the verdict under the default `fail_on: high`).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub severity: Option<ImportSeverity>,
}

/// `import --severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    /// The id of the `manual` check signed off.
    #[arg(value_name = "CHECK_ID")]
    pub check: String,
    /// Who attests.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// Their role (checked against the check's `roles`).
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// What they attest.
    #[arg(long, value_name = "TEXT")]
    pub statement: String,
    /// Last day (YYYY-MM-DD) the sign-off counts.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<chrono::NaiveDate>,
    /// Files attached (copied beside the attestation, their sha256 signed). Repeatable.
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Private key (PKCS#8 PEM), or the READYCTL_SIGNING_KEY environment variable.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Repository holding attestations/ (default: the current directory).
    #[arg(long, value_name = "REPO_DIR", default_value = ".")]
    pub repo: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory, its manifest.json, or a proof pack.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = crate::report::ReportFormat::Md)]
    pub format: crate::report::ReportFormat,
    /// Where to write (default: stdout).
    #[arg(long, short = 'o', value_name = "PATH", default_value = "-")]
    pub out: String,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run (directory, manifest.json or pack).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later run.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output: Markdown for people or JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Md)]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct BadgeArgs {
    /// A run directory, its manifest.json, or a proof pack.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// The SVG file to write (`-` for stdout).
    #[arg(long, short = 'o', value_name = "FILE.svg")]
    pub out: String,
}

#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// Run directories or proof packs.
    #[arg(value_name = "RUN_OR_PACK", required = true)]
    pub runs: Vec<PathBuf>,
    /// Trusted public keys (repeatable); a run signed by none of them is reported untrusted.
    #[arg(long, value_name = "PUB")]
    pub key: Vec<PathBuf>,
    /// Output: Markdown or JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Md)]
    pub format: DiffFormat,
    /// Where to write (default: stdout).
    #[arg(long, short = 'o', value_name = "PATH", default_value = "-")]
    pub out: String,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Base name of the key files (NAME.key, NAME.pub). Existing files are never overwritten.
    #[arg(long, short = 'o', value_name = "NAME")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The run directory.
    #[arg(value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Private key (PKCS#8 PEM). Default: the READYCTL_SIGNING_KEY environment variable (PEM text).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A run directory or a .tar.gz proof pack (`.readyctl/latest` for the newest run).
    #[arg(value_name = "RUN_DIR|PACK")]
    pub path: PathBuf,
    /// Trusted public key (SubjectPublicKeyInfo PEM). Repeatable. Without one, integrity is
    /// checked but the signature is reported NOT CHECKED and the run is not valid.
    #[arg(long, value_name = "PUB")]
    pub key: Vec<PathBuf>,
    /// Require the manifest to name this commit, and the run to have been recorded from a
    /// clean work tree at it.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// With --commit: accept a run recorded with uncommitted changes (the changes' digest is
    /// still shown).
    #[arg(long, requires = "commit")]
    pub allow_dirty: bool,
    /// Output: a table for people, or the verification report as JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Accept an unsigned run (integrity only). Off by default: a proof must be signed.
    #[arg(long)]
    pub allow_unsigned: bool,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The run directory.
    #[arg(value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// The archive to write.
    #[arg(long, short = 'o', value_name = "PACK.tar.gz")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ChecklistArgs {
    /// Repository to check (default: the current directory).
    #[arg(value_name = "REPO_DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Checklist file or directory (default: the nearest readiness.yaml from REPO_DIR up to
    /// the git root, whose directory is then the repository checked; else the built-in
    /// checklist for the detected stack). `builtin:NAME` selects a built-in.
    #[arg(long, short = 'c', value_name = "FILE|DIR")]
    pub checklist: Option<String>,
    /// Set a checklist variable (overrides `vars:`). Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Only checks whose id matches this glob (`tests.*`). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Leave out checks whose id matches this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub skip: Vec<String>,
    /// Only checks with this tag. Repeatable.
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Only checks in this area. Repeatable.
    #[arg(long, value_name = "AREA")]
    pub area: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: ChecklistArgs,
    /// Run directory to write (must not exist or be empty). Default:
    /// REPO_DIR/.readyctl/runs/<UTC-timestamp>-<id>/.
    #[arg(long, short = 'o', value_name = "RUN_DIR")]
    pub out: Option<PathBuf>,
    /// Output on stdout: a table for people, the results document as JSON, or a report
    /// (`--format sarif` is short for `--report sarif=-`; the verdict line then goes to
    /// stderr).
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Keep the newest N complete runs in REPO_DIR/.readyctl/runs (0: keep all). The run
    /// `latest` points at and runs in progress are never removed.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub keep: usize,
    /// Print only the verdict line (and errors): no notes, progress or table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Stop starting checks after the first blocking check fails or errors; the checks not
    /// started are skipped (cause `interrupted`) and the verdict is computed from what ran.
    #[arg(long)]
    pub fail_fast: bool,
    /// Checks run at once (default: 4 × CPUs, at least 8: most probes wait on I/O).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Sign the manifest (DSSE, Ed25519) with --key or the READYCTL_SIGNING_KEY environment
    /// variable (PEM text).
    #[arg(long)]
    pub sign: bool,
    /// Private key for --sign (PKCS#8 PEM); implies --sign.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Also write the results as FORMAT (md, json, junit, sarif, tap, gitlab, html) to PATH (`-`:
    /// stdout, replacing the table). Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub reports: Vec<(crate::report::ReportFormat, String)>,
    /// Waivers file (YAML: a list of waivers, or `waivers:` with one), added to the
    /// checklist's own.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// A previous run: exit non-zero only when a check got worse than in it.
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<PathBuf>,
    /// Start no service from `services:`: use instances already running, only waiting for
    /// their readiness conditions.
    #[arg(long)]
    pub no_services: bool,
    /// The Markdown report the checklist was imported from: add a "claims vs evidence" table
    /// to report.md.
    #[arg(long, value_name = "REPORT.md")]
    pub claims: Option<PathBuf>,
}

fn parse_report(s: &str) -> Result<(crate::report::ReportFormat, String), String> {
    let (format, path) =
        s.split_once('=').ok_or_else(|| format!("expected FORMAT=PATH, got `{s}`"))?;
    let format = crate::report::ReportFormat::parse(format).ok_or_else(|| {
        format!("unknown report format `{format}` (md, json, junit, sarif, tap, gitlab, html)")
    })?;
    if path.is_empty() {
        return Err("empty PATH (use `-` for stdout)".into());
    }
    Ok((format, path.to_string()))
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: ChecklistArgs,
    /// Output: a table, or the resolved checks as JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Repository to write readiness.yaml into (default: the current directory).
    #[arg(value_name = "REPO_DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Overwrite an existing readiness.yaml.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (`text` is accepted too).
    #[value(alias = "text")]
    Table,
    Json,
}

/// `check --format`: the table, JSON, or any report format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table for people, then the verdict.
    Table,
    /// The results document (the manifest's predicate).
    Json,
    /// SARIF 2.1.0 (same as `--report sarif=-`).
    Sarif,
    /// JUnit XML (same as `--report junit=-`).
    Junit,
    /// TAP version 13 (same as `--report tap=-`).
    Tap,
    /// GitLab Code Quality JSON (same as `--report gitlab=-`).
    Gitlab,
    /// The Markdown report (same as `--report md=-`).
    Md,
}

impl CheckFormat {
    /// The report this format is short for (`None` for the table and JSON).
    pub fn as_report(self) -> Option<crate::report::ReportFormat> {
        use crate::report::ReportFormat as R;
        match self {
            CheckFormat::Table | CheckFormat::Json => None,
            CheckFormat::Sarif => Some(R::Sarif),
            CheckFormat::Junit => Some(R::Junit),
            CheckFormat::Tap => Some(R::Tap),
            CheckFormat::Gitlab => Some(R::Gitlab),
            CheckFormat::Md => Some(R::Md),
        }
    }
}

pub use crate::report::style::ColorChoice;

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}
