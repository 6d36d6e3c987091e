//! Interpolated values in shell scripts are text, never code: `${env:NAME}` and `--var` values
//! that try to run commands are printed as they are, and nothing else runs.

use crate::support::*;

/// Values an attacker controlling a branch name or a variable would try; each would create
/// `pwned` if it ran as shell code.
fn hostile(pwned: &str) -> Vec<String> {
    vec![
        format!("x; touch {pwned} #"),
        format!("$(touch {pwned})"),
        format!("`touch {pwned}`"),
        format!("a'b\"c; touch {pwned}; echo '"),
        format!("first\ntouch {pwned}\n"),
        format!("\"; touch {pwned}; \""),
        format!("'$(touch {pwned})'"),
    ]
}

#[test]
fn hostile_env_and_var_values_are_printed_literally_and_never_run() {
    let yaml = "version: 1\n\
        services:\n  svc:\n    run: \"printf %s ${env:BRANCH_NAME} > svc.txt; echo up; exec sleep 30\"\n    ready: { log: '^up$' }\n\
        checks:\n\
        \x20 - id: env-unquoted\n    needs: [svc]\n    command: { run: \"printf %s ${env:BRANCH_NAME}\" }\n\
        \x20 - id: env-double\n    command: { run: 'printf %s \"${env:BRANCH_NAME}\"' }\n\
        \x20 - id: var-single\n    command: { run: \"printf %s '${label}'\" }\n\
        \x20 - id: home\n    command: { run: 'echo ${env:HOME}' }\n\
        vars: { label: default }\n";
    let home = std::env::var("HOME").unwrap();
    for (i, value) in hostile("PWNED").into_iter().enumerate() {
        let repo = temp_repo(&[("readiness.yaml", yaml)]);
        let pwned = repo.path().join("PWNED");
        let value = value.replace("PWNED", pwned.to_str().unwrap());
        let label = format!("label={value}");
        let out = std::process::Command::new(bin())
            .args(["check", "--format", "json", "--out", "run", "--var", &label])
            .current_dir(repo.path())
            .env("BRANCH_NAME", &value)
            .output()
            .unwrap();
        assert!(!pwned.exists(), "value {i} {value:?} ran as code: {}", text(&out.stdout));
        assert_eq!(out.status.code(), Some(0), "{value:?}: {}", text(&out.stdout));
        for id in ["env-unquoted", "env-double", "var-single"] {
            let log = repo.path().join("run/evidence").join(id).join("stdout.log");
            assert_eq!(std::fs::read_to_string(log).unwrap(), value, "{id} with {value:?}");
        }
        assert_eq!(std::fs::read_to_string(repo.path().join("svc.txt")).unwrap(), value);
        let log = repo.path().join("run/evidence/home/stdout.log");
        assert_eq!(std::fs::read_to_string(log).unwrap(), format!("{home}\n"));
    }
}
