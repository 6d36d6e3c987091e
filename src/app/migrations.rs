//! `readyctl migrations lock`: records the digests of the released migrations in
//! `migrations.lock`, through the same detection and lock writer the `migrations` probe uses.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use super::Error;
use crate::cli::MigrationsLockArgs;
use crate::exit;
use crate::probe::context::ProbeContext;
use crate::probe::migrations::{Spec, write_lock};

pub fn lock(args: MigrationsLockArgs) -> Result<u8, Error> {
    if !args.repo.is_dir() {
        return Err(Error::Usage(format!("`{}` is not a directory", args.repo.display())));
    }
    // The spec as a checklist would write it, so `--framework` takes the same names and
    // aliases (`golang-migrate`) and a bad one gets the same message.
    let mut fields = serde_yaml::Mapping::new();
    for (key, value) in [("path", &args.path), ("framework", &args.framework), ("lock", &args.lock)]
    {
        if let Some(v) = value {
            fields.insert(key.into(), v.clone().into());
        }
    }
    let spec: Spec = serde_yaml::from_value(serde_yaml::Value::Mapping(fields))
        .map_err(|e| Error::Usage(e.to_string()))?;
    let cancel = AtomicBool::new(false);
    let scratch = std::env::temp_dir();
    let ctx = ProbeContext {
        repo: &args.repo,
        check_id: "migrations.lock",
        evidence_dir: &scratch,
        run_started: SystemTime::now(),
        deadline: Instant::now() + Duration::from_secs(300),
        cancel: &cancel,
        output_filter: None,
    };
    let (path, n) = write_lock(&spec, &ctx).map_err(|e| Error::Usage(e.to_string()))?;
    let shown = path.strip_prefix(&args.repo).unwrap_or(&path);
    eprintln!(
        "wrote {} ({n} migration file{}); commit it with the release",
        shown.display(),
        crate::diag::plural(n)
    );
    Ok(exit::READY)
}
