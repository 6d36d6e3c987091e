//! Database migrations: detect the framework and the migration set, check its integrity
//! without a database, lint the SQL for dangerous operations, and apply it to a scratch
//! database. `framework/` holds one module per framework (detection, loading, ledger, the
//! commands that apply it); the `migrations` probe (`src/probe/migrations.rs`) composes these.

pub mod apply;
pub mod code;
pub mod detect;
pub mod drift;
pub mod framework;
pub mod integrity;
pub mod lint;
pub mod tool;

/// A fresh directory `readyctl-<name>-<pid>` under the temp dir holding `files` (path, text),
/// for the unit tests of these modules; removed when the returned guard is dropped.
#[cfg(test)]
pub(crate) fn test_tree(name: &str, files: &[(&str, &str)]) -> TestTree {
    let d = std::env::temp_dir().join(format!("readyctl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    for (f, c) in files {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().expect("a file under the directory")).unwrap();
        std::fs::write(p, c).unwrap();
    }
    TestTree(d)
}

/// A directory made by [`test_tree`]: a path while the test holds it, removed at its end.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct TestTree(std::path::PathBuf);

#[cfg(test)]
impl std::ops::Deref for TestTree {
    type Target = std::path::PathBuf;
    fn deref(&self) -> &std::path::PathBuf {
        &self.0
    }
}

#[cfg(test)]
impl AsRef<std::path::Path> for TestTree {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

#[cfg(test)]
impl Drop for TestTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
