//! Database migrations: detect the framework and the migration set, check its integrity
//! without a database, lint the SQL for dangerous operations, and apply it to a scratch
//! database. The `migrations` probe (`src/probe/migrations.rs`) composes these.

pub mod apply;
pub mod code;
pub mod detect;
pub mod drift;
pub mod frameworks;
pub mod integrity;
pub mod lint;
pub mod tool;
