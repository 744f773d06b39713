//! Versioned migrations: `NNNN_name.sql` files, applied in order, each once, each in its own
//! transaction together with its record in `schema_migrations` (so a failing migration leaves
//! neither its changes nor its record). An applied file whose text changed stops everything: the
//! database no longer matches the source, and guessing which one is right is not ours to do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::sqlite::Database;

/// One migration file.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The `NNNN` prefix.
    pub version: i64,
    /// The file name.
    pub name: String,
    /// The file's path.
    pub path: PathBuf,
    /// The SQL text.
    pub sql: String,
    /// SHA-256 of the text, hex.
    pub checksum: String,
}

/// Reads the migrations in `dir`, in version order. Files not ending in `.sql` are ignored; a
/// `.sql` file that does not follow `NNNN_name.sql`, or two files with one version, are errors.
pub fn discover(dir: &Path) -> anyhow::Result<Vec<Migration>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading migrations folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        if !name.ends_with(".sql") {
            continue;
        }
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() != 4 || name.as_bytes().get(4) != Some(&b'_') {
            bail!("migration file {name:?} must be named NNNN_name.sql");
        }
        let sql = std::fs::read_to_string(&path).with_context(|| format!("reading migration {}", path.display()))?;
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        found.push(Migration { version: digits.parse()?, name, path, sql, checksum });
    }
    found.sort_by_key(|m| m.version);
    for pair in found.windows(2) {
        if pair[0].version == pair[1].version {
            bail!("migrations {} and {} share version {:04}", pair[0].name, pair[1].name, pair[0].version);
        }
    }
    Ok(found)
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)";

/// Applies what is not yet applied; returns the names applied now.
pub async fn apply(db: &Arc<Database>, migrations: &[Migration]) -> anyhow::Result<Vec<String>> {
    let pooled = db.checkout().await?;
    let conn = pooled.conn();
    let run = |sql: &str| db.run(conn, sql.to_string(), Vec::new());
    run(CREATE_TABLE).await.map_err(anyhow::Error::msg).context("creating schema_migrations")?;
    let applied = run("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        .await
        .map_err(anyhow::Error::msg)
        .context("reading schema_migrations")?;
    // No record yet, but maybe tables: a schema applied by hand is verified, then recorded.
    let adopted = if applied.rows.is_empty() {
        let found = crate::adopt::schema_of(db, conn).await?;
        if found.is_empty() {
            0
        } else {
            let expected = crate::adopt::expected_schemas(migrations)?;
            crate::adopt::matching_prefix(&found, &expected).with_context(|| format!("database {}", db.label()))?
        }
    } else {
        0
    };
    for m in &migrations[..adopted] {
        run_params(
            db,
            conn,
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            record(m),
        )
        .await
        .with_context(|| format!("recording adopted migration {}", m.name))?;
        tracing::info!(migration = %m.name, database = %db.label(), "schema already present; recorded as applied");
    }
    let applied = if adopted > 0 {
        run("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .await
            .map_err(anyhow::Error::msg)
            .context("reading schema_migrations")?
    } else {
        applied
    };
    drop(pooled);

    let mut done = std::collections::HashMap::new();
    for row in applied.rows {
        let (libsql::Value::Integer(v), libsql::Value::Text(name), libsql::Value::Text(sum)) =
            (&row[0], &row[1], &row[2])
        else {
            bail!("schema_migrations holds a malformed row");
        };
        done.insert(*v, (name.clone(), sum.clone()));
    }
    for (version, (name, sum)) in &done {
        match migrations.iter().find(|m| m.version == *version) {
            None => bail!("migration {name} ({version:04}) was applied but its file is missing"),
            Some(m) if &m.checksum != sum => bail!(
                "migration {} was changed after it was applied (checksum {} in the database, {} on disk); \
                 add a new migration instead of editing an applied one",
                m.name,
                &sum[..12.min(sum.len())],
                &m.checksum[..12]
            ),
            Some(_) => {}
        }
    }

    let mut now_applied = Vec::new();
    for m in migrations.iter().filter(|m| !done.contains_key(&m.version)) {
        db.run_script_in_transaction(
            &m.sql,
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            record(m),
        )
        .await
        .with_context(|| format!("applying migration {}", m.name))?;
        tracing::info!(migration = %m.name, "applied");
        now_applied.push(m.name.clone());
    }
    Ok(now_applied)
}

/// The `schema_migrations` row of `m`, applied now.
fn record(m: &Migration) -> Vec<libsql::Value> {
    let applied_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    vec![
        libsql::Value::Integer(m.version),
        libsql::Value::Text(m.name.clone()),
        libsql::Value::Text(m.checksum.clone()),
        libsql::Value::Integer(applied_at),
    ]
}

async fn run_params(
    db: &Database,
    conn: &crate::sqlite::Connection,
    sql: &str,
    params: Vec<libsql::Value>,
) -> anyhow::Result<()> {
    db.run(conn, sql.to_string(), params).await.map_err(anyhow::Error::msg)?;
    Ok(())
}
