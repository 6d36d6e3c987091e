//! Validating typed items: a check (id, exactly one probe and its own validation, `when`
//! globs), a service (name, command, one readiness condition), every `needs` (known names, no
//! cycle) and waivers (against the waiver policy); each problem a located diagnostic.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::super::model::*;
use super::super::spans::{join_index, join_key};
use super::cycle::find_cycle;
use super::{At, DEFAULT_READY_TIMEOUT, Loader};
use crate::diag::did_you_mean;
use crate::probe::CompileContext;

impl Loader<'_> {
    /// Checks each waiver against the waiver policy (a located diagnostic per problem) and
    /// records where it is written.
    pub(super) fn validate_waivers(
        &mut self,
        waivers: Vec<(crate::waiver::WaiverSpec, At)>,
        policy: &crate::waiver::WaiverPolicy,
    ) -> Vec<crate::waiver::Waiver> {
        let mut out = Vec::new();
        for (spec, at) in waivers {
            for (field, message) in crate::waiver::validate(&spec, policy) {
                let field_at = At { file: at.file, path: join_key(&at.path, field) };
                let d = self.diag_value(&field_at, message);
                self.diags.push(d);
            }
            let src = &self.sources[at.file];
            let source = match src.spans.nearest_key(&join_key(&at.path, "check")) {
                Some(pos) => format!("{}:{}", src.display, pos.line),
                None => src.display.clone(),
            };
            out.push(crate::waiver::Waiver { spec, source });
        }
        out
    }

    pub(super) fn validate_check(
        &mut self,
        spec: CheckSpec,
        at: &At,
        timeout: Duration,
        retries: u32,
    ) -> Option<Check> {
        let id_at = At { file: at.file, path: join_key(&at.path, "id") };
        let mut ok = true;
        if !valid_id(&spec.id) {
            self.diags.push(
                self.diag_value(&id_at, format!("invalid check id `{}`", spec.id)).hint(
                    "use letters, digits, `.`, `_` and `-`, not starting with `.`, \
                     e.g. `tests.backend`",
                ),
            );
            ok = false;
        }
        if spec.id == SERVICES_DIR {
            self.diags.push(
                self.diag_value(&id_at, format!("check id `{SERVICES_DIR}` is reserved")).hint(
                    format!(
                        "`evidence/{SERVICES_DIR}/` holds the services' logs; name the check \
                         otherwise, e.g. `{SERVICES_DIR}.up`"
                    ),
                ),
            );
            ok = false;
        }
        let mut probes = spec.probes();
        if probes.is_empty() {
            self.diags.push(
                self.diag_key(at, format!("check `{}` has no probe", spec.id))
                    .hint(format!("add exactly one of: {}", PROBE_KINDS.join(", "))),
            );
            return None;
        }
        if probes.len() > 1 {
            let kinds: Vec<&str> = probes.iter().map(ProbeSpec::kind).collect();
            let second = At { file: at.file, path: join_key(&at.path, kinds[1]) };
            self.diags.push(
                self.diag_key(
                    &second,
                    format!(
                        "check `{}` has {} probe keys: {}",
                        spec.id,
                        kinds.len(),
                        kinds.join(", ")
                    ),
                )
                .hint("a check proves one thing: split it into several checks"),
            );
            return None;
        }
        let probe = probes.remove(0);
        let kind = probe.kind();
        let signers = self.trusted_signers.values().cloned().collect();
        let compiled = probe.compile(&CompileContext { trusted_signers: signers });
        for issue in compiled.as_ref().err().cloned().unwrap_or_default() {
            let path = join_key(&join_key(&at.path, kind), &issue.field);
            let mut d = self.diag_value(&At { file: at.file, path }, issue.message);
            if let Some(h) = issue.hint {
                d = d.hint(h);
            }
            self.diags.push(d);
            ok = false;
        }
        if let Some(when) = &spec.when {
            for (field, pattern) in
                [("file_exists", &when.file_exists), ("file_absent", &when.file_absent)]
            {
                if let Some(p) = pattern
                    && let Err(e) = globset::Glob::new(p)
                {
                    let path = join_key(&join_key(&at.path, "when"), field);
                    self.diags.push(self.diag_value(
                        &At { file: at.file, path },
                        format!("invalid glob `{p}`: {e}"),
                    ));
                    ok = false;
                }
            }
        }
        let src = &self.sources[at.file];
        let origin = Origin {
            file: src.display.clone(),
            line: src.spans.key(&at.path).map(|p| p.line).unwrap_or(0),
        };
        compiled.ok().filter(|_| ok).map(|probe| Check {
            title: spec.title.clone().unwrap_or_else(|| spec.id.clone()),
            area: spec.area.clone().unwrap_or_else(|| "general".into()),
            severity: spec.severity.unwrap_or(Severity::High),
            level: spec.level,
            tags: spec.tags,
            needs: spec.needs,
            when: spec.when,
            timeout: spec.timeout.map(|d| d.0).unwrap_or(timeout),
            retries: spec.retries.unwrap_or(retries),
            remediation: spec.remediation,
            docs: spec.docs,
            probe,
            origin,
            id: spec.id,
        })
    }

    /// Every `needs` names a check or a service; the graph has no cycle.
    pub(super) fn validate_needs(
        &mut self,
        checks: &[Check],
        check_at: &HashMap<String, At>,
        services: &[Service],
        declared: &[String],
    ) {
        let ids: HashSet<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        let mut names: Vec<&str> =
            ids.iter().copied().chain(declared.iter().map(String::as_str)).collect();
        names.sort_unstable();
        for s in services.iter().filter(|s| ids.contains(s.name.as_str())) {
            let at = &check_at[&s.name];
            self.diags.push(
                self.diag_value(
                    &At { file: at.file, path: join_key(&at.path, "id") },
                    format!("`{}` is both a check id and a service name", s.name),
                )
                .hint("`needs` must name one or the other: rename the check or the service"),
            );
        }
        for c in checks {
            let at = &check_at[&c.id];
            for (i, need) in c.needs.iter().enumerate() {
                if names.binary_search(&need.as_str()).is_err() {
                    let path = join_index(&join_key(&at.path, "needs"), i);
                    let hint = match did_you_mean(need, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if declared.is_empty() => {
                            "`needs` lists ids of other checks in this checklist".into()
                        }
                        None => "`needs` lists ids of other checks and names of `services:`".into(),
                    };
                    let what = if declared.is_empty() { "check" } else { "check or service" };
                    self.diags.push(
                        self.diag_value(
                            &At { file: at.file, path },
                            format!("`{}` needs unknown {what} `{need}`", c.id),
                        )
                        .hint(hint),
                    );
                }
            }
        }
        let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        let by_id: HashMap<&str, &Check> = checks.iter().map(|c| (c.id.as_str(), c)).collect();
        let needs = |id: &&str| by_id[id].needs.iter().map(String::as_str);
        if let Some(cycle) = find_cycle(&ids, needs) {
            let at = &check_at[cycle[0]];
            let path = join_key(&at.path, "needs");
            self.diags.push(
                self.diag_key(
                    &At { file: at.file, path },
                    format!("dependency cycle: {}", cycle.join(" → ")),
                )
                .hint("remove one of these `needs` entries"),
            );
        }
    }

    /// Types one service: a valid name, a command unless external, exactly one readiness
    /// condition that parses.
    pub(super) fn validate_service(
        &mut self,
        name: String,
        spec: ServiceSpec,
        at: &At,
    ) -> Option<Service> {
        let field = |f: &str| At { file: at.file, path: join_key(&at.path, f) };
        let ready_field =
            |f: &str| At { file: at.file, path: join_key(&join_key(&at.path, "ready"), f) };
        let mut ok = true;
        if !valid_id(&name) {
            self.diags.push(
                self.diag_key(at, format!("invalid service name `{name}`")).hint(
                    "use letters, digits, `.`, `_` and `-`, not starting with `.`, e.g. `api`",
                ),
            );
            ok = false;
        }
        match (&spec.run, spec.external) {
            (None, false) => {
                self.diags.push(
                    self.diag_key(at, format!("service `{name}` has no `run` command")).hint(
                        "add `run: <command>`, or `external: true` for a service started elsewhere",
                    ),
                );
                ok = false;
            }
            (Some(_), true) => {
                self.diags.push(
                    self.diag_key(
                        &field("run"),
                        format!("service `{name}` is external: readyctl does not start it"),
                    )
                    .hint("remove `run`, or remove `external: true`"),
                );
                ok = false;
            }
            _ => {}
        }
        let r = &spec.ready;
        let given: Vec<&str> =
            [("http", r.http.is_some()), ("tcp", r.tcp.is_some()), ("log", r.log.is_some())]
                .into_iter()
                .filter_map(|(k, set)| set.then_some(k))
                .collect();
        let ready = match given.as_slice() {
            [_] => {
                if let Some(url) = &r.http {
                    if !(url.starts_with("http://") || url.starts_with("https://"))
                        || url::Url::parse(url).is_err()
                    {
                        self.diags.push(self.diag_value(
                            &ready_field("http"),
                            format!("`{url}` is not an http:// or https:// URL"),
                        ));
                        ok = false;
                    }
                    Some(Ready::Http { url: url.clone(), status: r.status })
                } else if let Some(addr) = &r.tcp {
                    let port_ok = addr.rsplit_once(':').is_some_and(|(h, p)| {
                        !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0)
                    });
                    if !port_ok {
                        self.diags.push(
                            self.diag_value(
                                &ready_field("tcp"),
                                format!("`{addr}` is not `host:port`"),
                            )
                            .hint("e.g. `127.0.0.1:5432`"),
                        );
                        ok = false;
                    }
                    Some(Ready::Tcp(addr.clone()))
                } else {
                    let re = r.log.clone().unwrap_or_default();
                    if let Err(e) = regex::Regex::new(&re) {
                        self.diags.push(self.diag_value(
                            &ready_field("log"),
                            format!("invalid regex: {}", last_line(&e.to_string())),
                        ));
                        ok = false;
                    }
                    Some(Ready::Log(re))
                }
            }
            [] => {
                self.diags.push(
                    self.diag_key(
                        &field("ready"),
                        format!("service `{name}` has no readiness condition"),
                    )
                    .hint("add exactly one of `http: URL`, `tcp: host:port`, `log: regex`"),
                );
                None
            }
            several => {
                self.diags.push(
                    self.diag_key(
                        &ready_field(several[1]),
                        format!("`ready` has {} conditions: {}", several.len(), several.join(", ")),
                    )
                    .hint("give exactly one of `http`, `tcp`, `log`"),
                );
                None
            }
        };
        if r.status.is_some() && r.http.is_none() {
            self.diags.push(
                self.diag_key(&ready_field("status"), "`status` only applies to `ready.http`"),
            );
            ok = false;
        }
        if let Some(s) = r.status.filter(|s| !(100..=599).contains(s)) {
            self.diags.push(
                self.diag_value(&ready_field("status"), format!("{s} is not an HTTP status code")),
            );
            ok = false;
        }
        if spec.external && r.log.is_some() {
            self.diags.push(
                self.diag_key(
                    &ready_field("log"),
                    "an external service's output is not visible to readyctl",
                )
                .hint("wait for it with `ready.http` or `ready.tcp`"),
            );
            ok = false;
        }
        if spec.external && (spec.cwd.is_some() || !spec.env.is_empty()) {
            let f = if spec.cwd.is_some() { "cwd" } else { "env" };
            self.diags.push(
                self.diag_key(&field(f), format!("`{f}` has no effect on an external service")),
            );
            ok = false;
        }
        let src = &self.sources[at.file];
        let origin = Origin {
            file: src.display.clone(),
            line: src.spans.key(&at.path).map(|p| p.line).unwrap_or(0),
        };
        let ready = ready?;
        ok.then(|| Service {
            name,
            run: spec.run,
            cwd: spec.cwd,
            env: spec.env.into_iter().map(|(k, v)| (k, v.0)).collect(),
            ready,
            ready_timeout: r.timeout.map(|d| d.0).unwrap_or(DEFAULT_READY_TIMEOUT),
            needs: spec.needs,
            external: spec.external,
            origin,
        })
    }

    /// A service's `needs` names other services (not checks); the graph has no cycle.
    pub(super) fn validate_service_needs(
        &mut self,
        services: &[Service],
        at: &HashMap<String, At>,
        declared: &[String],
    ) {
        let names: Vec<&str> = declared.iter().map(String::as_str).collect();
        for s in services {
            let at = &at[&s.name];
            for (i, need) in s.needs.iter().enumerate() {
                if !names.contains(&need.as_str()) || need == &s.name {
                    let path = join_index(&join_key(&at.path, "needs"), i);
                    let msg = if need == &s.name {
                        format!("service `{}` needs itself", s.name)
                    } else {
                        format!("service `{}` needs unknown service `{need}`", s.name)
                    };
                    let hint = match did_you_mean(need, names.iter().copied().filter(|n| n != &s.name)) {
                        Some(x) => format!("did you mean `{x}`?"),
                        None => "a service's `needs` lists other services; checks list services in theirs".into(),
                    };
                    self.diags.push(self.diag_value(&At { file: at.file, path }, msg).hint(hint));
                }
            }
        }
        let valid: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let by_name: HashMap<&str, &Service> =
            services.iter().map(|s| (s.name.as_str(), s)).collect();
        // A service that needs itself is reported above, not as a cycle.
        let cycle = find_cycle(&valid, |&name| {
            by_name[name].needs.iter().map(String::as_str).filter(move |n| *n != name)
        });
        if let Some(cycle) = cycle {
            let a = &at[cycle[0]];
            self.diags.push(
                self.diag_key(
                    &At { file: a.file, path: join_key(&a.path, "needs") },
                    format!("service dependency cycle: {}", cycle.join(" → ")),
                )
                .hint("remove one of these `needs` entries"),
            );
        }
    }
}

/// Check ids and service names: letters, digits, `.`, `_` and `-`, not starting with `.`.
/// Each names a directory (`evidence/<id>/`, `evidence/services/<name>/`): `.`, `..` or a
/// hidden name would write outside it or hide it.
/// The directory under `evidence/` where the services' logs go (`run::services`): no check
/// may have it as its own.
pub const SERVICES_DIR: &str = "services";

pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The last line of a multi-line message, trimmed: the regex crate's errors put the pattern and
/// a caret first and the actual message (`error: unclosed group`) last.
fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or_default().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_is_the_regex_message_not_its_art() {
        assert_eq!(
            last_line("regex parse error:\n    (\n    ^\nerror: unclosed group"),
            "error: unclosed group"
        );
        let pattern = String::from("(");
        let err = regex::Regex::new(&pattern).unwrap_err().to_string();
        assert_eq!(last_line(&err), "error: unclosed group");
        assert_eq!(last_line("  one line  "), "one line");
        assert_eq!(last_line(""), "");
    }
}
