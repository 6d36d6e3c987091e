//! `--only`, `--skip`, `--tag`, `--area`: which checks run. Dependencies of a selected check
//! are pulled in (a check cannot pass without what it `needs`).

use std::collections::HashSet;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::checklist::Check;
use crate::cli::ChecklistArgs;

/// The selected checks (in checklist order) and the ids pulled in only as dependencies.
pub struct Selection {
    pub checks: Vec<Check>,
    pub pulled_in: Vec<String>,
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("invalid glob `{p}`: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

pub fn select(all: &[Check], args: &ChecklistArgs) -> Result<Selection, String> {
    let only = globs(&args.only)?;
    let skip = globs(&args.skip)?;
    let chosen: HashSet<&str> = all
        .iter()
        .filter(|c| only.as_ref().is_none_or(|g| g.is_match(&c.id)))
        .filter(|c| skip.as_ref().is_none_or(|g| !g.is_match(&c.id)))
        .filter(|c| args.tag.is_empty() || c.tags.iter().any(|t| args.tag.contains(t)))
        .filter(|c| args.area.is_empty() || args.area.contains(&c.area))
        .map(|c| c.id.as_str())
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "no check matches the selection ({} checks in the checklist; `readyctl list` shows them)",
            all.len()
        ));
    }
    let by_id: std::collections::HashMap<&str, &Check> =
        all.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut wanted = chosen.clone();
    let mut frontier: Vec<&str> = chosen.iter().copied().collect();
    while let Some(id) = frontier.pop() {
        if let Some(c) = by_id.get(id) {
            for n in &c.needs {
                if wanted.insert(n.as_str()) {
                    frontier.push(n.as_str());
                }
            }
        }
    }
    let pulled_in = all
        .iter()
        .filter(|c| wanted.contains(c.id.as_str()) && !chosen.contains(c.id.as_str()))
        .map(|c| c.id.clone())
        .collect();
    Ok(Selection {
        checks: all.iter().filter(|c| wanted.contains(c.id.as_str())).cloned().collect(),
        pulled_in,
    })
}
