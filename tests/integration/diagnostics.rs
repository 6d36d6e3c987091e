//! Every kind of checklist mistake gives a located, actionable diagnostic, exit code 2 and
//! nothing run. One snapshot per case.

use crate::support::*;

/// Runs `readyctl check` on a repository with these files; returns stderr with the temp path
/// replaced. Asserts exit code 2 and that no run directory was created.
fn diagnose(files: &[(&str, &str)]) -> String {
    let repo = temp_repo(files);
    let o = readyctl(repo.path(), &["check", "--checklist", "readiness.yaml"]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!repo.path().join(".readyctl").exists(), "nothing may run");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.replace(&repo.path().display().to_string(), "[REPO]")
}

macro_rules! case {
    ($name:ident, $files:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), diagnose($files));
        }
    };
}

case!(
    yaml_syntax_error,
    &[("readiness.yaml", "version: 1\nchecks:\n  - id: a\n    command: { run: 'x'\n  - id: b\n")]
);
case!(
    unknown_key_in_probe,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command:\n      run: 'true'\n      exit_cod: 1\n"
    )]
);
case!(
    unknown_probe_kind,
    &[("readiness.yaml", "version: 1\nchecks:\n  - id: a\n    comand: { run: 'true' }\n")]
);
case!(
    wrong_type,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    retries: many\n    command: { run: 'true' }\n"
    )]
);
case!(
    sql_value_unknown_operator,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    sql:\n      url: sqlite:app.db\n      query: SELECT 2\n      expect: { value: { eq: 2, foo: 1 } }\n"
    )]
);
case!(
    scalar_where_a_map_belongs,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    sql:\n      url: sqlite:app.db\n      query: SELECT 2\n      expect: 2\n"
    )]
);
case!(
    duplicate_id,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: 'true' }\n  - id: a\n    command: { run: 'false' }\n"
    )]
);
case!(
    unknown_needs,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: build\n    command: { run: 'true' }\n  - id: test\n    needs: [biuld]\n    command: { run: 'true' }\n"
    )]
);
case!(
    dependency_cycle,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    needs: [b]\n    command: { run: 'true' }\n  - id: b\n    needs: [c]\n    command: { run: 'true' }\n  - id: c\n    needs: [a]\n    command: { run: 'true' }\n"
    )]
);
case!(
    include_cycle,
    &[
        ("readiness.yaml", "version: 1\ninclude: [more.yaml]\nchecks: []\n"),
        ("more.yaml", "version: 1\ninclude: [readiness.yaml]\n"),
    ]
);
case!(
    missing_include,
    &[("readiness.yaml", "version: 1\nextends: [\"builtin:base\", shared/ops.yaml]\n")]
);
case!(
    unknown_builtin,
    &[("readiness.yaml", "version: 1\nextends: [\"builtin:pyhton-service\"]\n")]
);
case!(
    invalid_regex,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    search: { pattern: \"(unclosed\" }\n"
    )]
);
case!(
    bad_duration,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    timeout: 10 parsecs\n    command: { run: 'true' }\n"
    )]
);
case!(
    unset_env_without_default,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: \"curl ${env:READYCTL_TEST_SURELY_UNSET}/health\" }\n"
    )]
);
case!(
    two_probe_keys,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: 'true' }\n    file: { path: README.md }\n"
    )]
);
case!(
    no_probe_key,
    &[("readiness.yaml", "version: 1\nchecks:\n  - id: a\n    title: Nothing to prove\n")]
);
case!(
    unknown_variable,
    &[(
        "readiness.yaml",
        "version: 1\nvars: { base_url: 'http://x' }\nchecks:\n  - id: a\n    command: { run: \"curl ${base_ur}\" }\n"
    )]
);
case!(wrong_version, &[("readiness.yaml", "version: 2\nchecks: []\n")]);
case!(
    all_problems_in_one_pass,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    comand: { run: 'true' }\n  - id: b\n    search: { pattern: '[' }\n  - id: c\n    needs: [zz]\n    file: { path: x }\n  - id: c\n    file: { path: y }\n"
    )]
);

#[test]
fn binary_garbage_is_a_clear_error() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("readiness.yaml"), [0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96])
        .unwrap();
    let o = readyctl(repo.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("is not UTF-8 text"), "{}", text(&o.stderr));
}

// Issue 19: every problem in one check at once, not the first per check.
case!(
    two_problems_in_one_check,
    &[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    severty: high\n    timeout: soon\n    command:\n      run: 'true'\n      exit_cod: 1\n  - id: b\n    are: ops\n    search: { pattern: '[' }\n"
    )]
);
