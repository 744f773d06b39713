//! `wenming migrate` and the migrate-before-serve step of `wenming up`: `NNNN_name.sql` files
//! applied once each, in order, each in its own transaction, recorded in `schema_migrations`,
//! and refused when an applied file's content changed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use tempfile::TempDir;
use wenming_tests::{
    app_manifest, copy_dir, fresh_state_dir, row_count, schema_migrations, table_exists, wenming_migrate,
    workspace_root, CommandOutput, Echo, Edge, MigrationRow,
};

fn manifest() -> PathBuf {
    app_manifest("migrations")
}

fn fixture_migrations() -> PathBuf {
    workspace_root().join("tests/apps/migrations/migrations")
}

/// A private, editable copy of the fixture migrations folder.
fn copied_migrations() -> TempDir {
    let dir = tempfile::Builder::new().prefix("wenming-migrations-").tempdir().unwrap();
    copy_dir(&fixture_migrations(), dir.path());
    dir
}

fn migrate(state_dir: &Path, migrations: Option<&Path>) -> CommandOutput {
    let mut args: Vec<OsString> =
        vec!["-f".into(), manifest().into_os_string(), "--state-dir".into(), state_dir.as_os_str().to_owned()];
    if let Some(dir) = migrations {
        args.push("--migrations".into());
        args.push(dir.as_os_str().to_owned());
    }
    wenming_migrate(&args)
}

fn db(state_dir: &Path) -> PathBuf {
    wenming_tests::default_db_file(state_dir)
}

fn versions(rows: &[MigrationRow]) -> Vec<i64> {
    rows.iter().map(|r| r.version).collect()
}

#[test]
fn migrate_applies_each_file_once_in_order_and_records_it() {
    // Arrange
    let state = fresh_state_dir();

    // Act
    let first = migrate(state.path(), None);
    let after_first = schema_migrations(&db(state.path()));
    let notes_after_first = row_count(&db(state.path()), "notes");
    let second = migrate(state.path(), None);
    let after_second = schema_migrations(&db(state.path()));

    // Assert
    assert!(first.success(), "first migrate failed:\n{}", first.output());
    assert_eq!(versions(&after_first), vec![1, 2]);
    assert!(after_first[0].name.contains("create_notes"), "{after_first:?}");
    assert!(after_first[1].name.contains("seed_notes"), "{after_first:?}");
    assert!(after_first.iter().all(|r| !r.checksum.is_empty() && !r.applied_at.is_empty()));
    assert_ne!(after_first[0].checksum, after_first[1].checksum, "different files, different checksums");
    assert_eq!(notes_after_first, 2, "0002 seeds two rows");

    assert!(second.success(), "second migrate failed:\n{}", second.output());
    assert_eq!(after_second, after_first, "the second run must apply and record nothing");
    assert_eq!(row_count(&db(state.path()), "notes"), 2, "0002 must not run twice");
}

#[tokio::test]
async fn up_applies_the_migrations_folder_beside_the_manifest_before_serving() {
    // Arrange / Act
    let edge = Edge::start(&manifest(), &[]);

    // Assert: by the time it serves, the schema is in place.
    assert_eq!(versions(&schema_migrations(&edge.db_path())), vec![1, 2]);
    assert_eq!(row_count(&edge.db_path(), "notes"), 2);
    assert_eq!(Echo::from_reply(&edge.get("/hello").await).who(), "hello");
}

#[tokio::test]
async fn up_after_migrate_applies_nothing_new() {
    // Arrange
    let state = fresh_state_dir();
    let migrated = migrate(state.path(), None);
    assert!(migrated.success(), "migrate failed:\n{}", migrated.output());
    let before = schema_migrations(&db(state.path()));

    // Act
    let edge = Edge::try_start_in(&manifest(), state, &[])
        .unwrap_or_else(|e| panic!("up failed after migrate:\n{}", e.output()));

    // Assert
    assert_eq!(schema_migrations(&edge.db_path()), before);
    assert_eq!(row_count(&edge.db_path(), "notes"), 2);
}

#[test]
fn changed_migration_is_refused_by_migrate_and_by_up() {
    // Arrange: apply the copy, then edit an applied file.
    let migrations = copied_migrations();
    let state = fresh_state_dir();
    let applied = migrate(state.path(), Some(migrations.path()));
    assert!(applied.success(), "initial migrate failed:\n{}", applied.output());
    let before = schema_migrations(&db(state.path()));
    std::fs::write(
        migrations.path().join("0001_create_notes.sql"),
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, extra TEXT);\n",
    )
    .unwrap();

    // Act
    let refused = migrate(state.path(), Some(migrations.path()));
    let after_refusal = schema_migrations(&db(state.path()));
    let up = Edge::try_start_in(&manifest(), state, &["--migrations", migrations.path().to_str().unwrap()]);

    // Assert
    assert!(!refused.success(), "migrate accepted a changed migration:\n{}", refused.output());
    let message = refused.output();
    assert!(message.contains("0001_create_notes.sql"), "message must name the file:\n{message}");
    assert!(message.to_lowercase().contains("checksum"), "message must say checksum:\n{message}");
    assert_eq!(after_refusal, before, "nothing may be recorded or re-applied");

    let exited = match up {
        Ok(_) => panic!("wenming up served despite a changed migration"),
        Err(exited) => exited,
    };
    assert!(
        matches!(exited.status, Some(status) if !status.success()),
        "up must exit non-zero, got {:?}",
        exited.status
    );
    let message = exited.output();
    assert!(message.contains("0001_create_notes.sql"), "up's message must name the file:\n{message}");
    assert!(message.to_lowercase().contains("checksum"), "up's message must say checksum:\n{message}");
}

#[test]
fn failing_migration_leaves_no_partial_table_and_no_record() {
    // Arrange: a third migration that creates a table and then fails.
    let migrations = copied_migrations();
    let broken = migrations.path().join("0003_broken.sql");
    std::fs::write(
        &broken,
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n\
         INSERT INTO half_done (id) VALUES (1);\n\
         INSERT INTO no_such_table (x) VALUES (1);\n",
    )
    .unwrap();
    let state = fresh_state_dir();

    // Act
    let failed = migrate(state.path(), Some(migrations.path()));
    let half_done_exists = table_exists(&db(state.path()), "half_done");
    let recorded = schema_migrations(&db(state.path()));

    // Assert
    assert!(!failed.success(), "migrate ignored a failing migration:\n{}", failed.output());
    assert!(!half_done_exists, "the failed migration's CREATE TABLE must be rolled back");
    assert_eq!(versions(&recorded), vec![1, 2], "earlier files stay applied; the failed one is not recorded");
    assert_eq!(row_count(&db(state.path()), "notes"), 2);

    // Once fixed, the same file applies on the next run (it was never recorded).
    std::fs::write(
        &broken,
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO half_done (id) VALUES (1);\n",
    )
    .unwrap();
    let fixed = migrate(state.path(), Some(migrations.path()));
    assert!(fixed.success(), "fixed migration failed:\n{}", fixed.output());
    assert_eq!(versions(&schema_migrations(&db(state.path()))), vec![1, 2, 3]);
    assert_eq!(row_count(&db(state.path()), "half_done"), 1);
}

#[test]
fn up_refuses_to_serve_when_a_migration_fails() {
    // Arrange
    let migrations = copied_migrations();
    std::fs::write(migrations.path().join("0003_broken.sql"), "INSERT INTO no_such_table (x) VALUES (1);\n").unwrap();

    // Act
    let up = Edge::try_start(&manifest(), &["--migrations", migrations.path().to_str().unwrap()]);

    // Assert
    let exited = match up {
        Ok(_) => panic!("wenming up served despite a failing migration"),
        Err(exited) => exited,
    };
    assert!(
        matches!(exited.status, Some(status) if !status.success()),
        "up must exit non-zero, got {:?}\n{}",
        exited.status,
        exited.output()
    );
    assert!(!exited.stdout.contains("Serving http://"));
}

#[test]
fn migrations_run_in_numeric_order_whatever_the_directory_order() {
    // Arrange: each step appends to a log; 0001 creates it, so any other order fails.
    let migrations = tempfile::Builder::new().prefix("wenming-order-").tempdir().unwrap();
    let files = [
        ("0010_third.sql", "INSERT INTO steps (name) VALUES ('third');\n"),
        ("0002_second.sql", "INSERT INTO steps (name) VALUES ('second');\n"),
        (
            "0001_first.sql",
            "CREATE TABLE steps (seq INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
             INSERT INTO steps (name) VALUES ('first');\n",
        ),
    ];
    for (name, sql) in files {
        std::fs::write(migrations.path().join(name), sql).unwrap();
    }
    let state = fresh_state_dir();

    // Act
    let out = migrate(state.path(), Some(migrations.path()));

    // Assert
    assert!(out.success(), "migrate failed:\n{}", out.output());
    assert_eq!(versions(&schema_migrations(&db(state.path()))), vec![1, 2, 10]);
    let conn = wenming_tests::open_db(&db(state.path()));
    let order: Vec<String> = conn
        .prepare("SELECT name FROM steps ORDER BY seq")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(order, ["first", "second", "third"]);
}
