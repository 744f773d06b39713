//! Adopting a database whose schema was applied without `wenming migrate` (by `sqlite3`, or by
//! `spin up --sqlite @file` on real Spin): it has the product's tables but no
//! `schema_migrations`, so a plain migrate would re-run `0001` and fail on its first `CREATE`.
//!
//! Adoption verifies before it records: the migrations are replayed on a scratch in-memory
//! database, and the schema (every table, index, view and trigger, as `sqlite_schema` holds its
//! SQL) after the first `k` of them is compared with the database's. The longest `k` that matches
//! exactly is recorded as applied, and the rest then run as usual. A schema that matches no
//! prefix is refused with the first difference named: recording guesses would hide a database
//! that is not what the files say.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};

use crate::migrate::Migration;
use crate::sqlite::local::LocalConnection;
use crate::sqlite::{Connection, Database};

/// Lists the schema objects: name → (type, SQL). SQLite's own objects and the edge's
/// bookkeeping (`schema_migrations`) are left out; so are servers' internal tables (`libsql_*`).
const SCHEMA: &str = "SELECT type, name, sql FROM sqlite_schema \
     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' \
     AND name NOT LIKE '\\_litestream%' ESCAPE '\\' AND name <> 'schema_migrations' ORDER BY name";

/// One schema: object name → (type, normalised SQL).
pub type Schema = BTreeMap<String, (String, String)>;

/// The SQL as stored, with runs of whitespace made one space, so indentation is not a change.
fn normalise(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn schema_from(rows: Vec<Vec<libsql::Value>>) -> Schema {
    let text = |v: &libsql::Value| match v {
        libsql::Value::Text(s) => s.clone(),
        _ => String::new(),
    };
    rows.iter().map(|r| (text(&r[1]), (text(&r[0]), normalise(&text(&r[2]))))).collect()
}

/// The schema of a database as the edge sees it.
pub async fn schema_of(db: &Database, conn: &Connection) -> anyhow::Result<Schema> {
    let out =
        db.run(conn, SCHEMA.into(), Vec::new()).await.map_err(anyhow::Error::msg).context("reading the schema")?;
    Ok(schema_from(out.rows))
}

/// The schema after each prefix of `migrations` (index `k` = after the first `k`), replayed on
/// a scratch in-memory database.
pub fn expected_schemas(migrations: &[Migration]) -> anyhow::Result<Vec<Schema>> {
    let scratch = LocalConnection::open(Path::new(":memory:")).context("opening a scratch database")?;
    let read = |conn: &LocalConnection| -> anyhow::Result<Schema> {
        let (_, rows) = conn.query(SCHEMA, &[], |_| Ok(())).map_err(anyhow::Error::msg)?;
        Ok(schema_from(rows))
    };
    let mut schemas = vec![read(&scratch)?];
    for m in migrations {
        scratch
            .execute_batch(&m.sql)
            .with_context(|| format!("replaying migration {} on a scratch database", m.name))?;
        schemas.push(read(&scratch)?);
    }
    Ok(schemas)
}

/// How many migrations the found schema already reflects, or why it matches none.
pub fn matching_prefix(found: &Schema, expected: &[Schema]) -> anyhow::Result<usize> {
    if let Some(k) = (0..expected.len()).rev().find(|&k| &expected[k] == found) {
        return Ok(k);
    }
    // Name the first difference against the closest prefix (the one sharing most objects).
    let closest = expected
        .iter()
        .max_by_key(|e| {
            // Objects it shares, less objects it lacks: ties go to the shorter prefix.
            let shared = e.iter().filter(|(name, def)| found.get(*name) == Some(def)).count() as i64;
            2 * shared - e.len() as i64
        })
        .expect("there is always the empty prefix");
    let difference = closest
        .iter()
        .find_map(|(name, (kind, sql))| match found.get(name) {
            None => Some(format!("{kind} {name} is missing")),
            Some((_, have)) if have != sql => Some(format!("{kind} {name} differs: has `{have}`, expected `{sql}`")),
            _ => None,
        })
        .or_else(|| {
            found
                .iter()
                .find(|(name, _)| !closest.contains_key(*name))
                .map(|(name, (kind, _))| format!("{kind} {name} is not created by any migration"))
        })
        .unwrap_or_default();
    bail!(
        "the database has tables but no schema_migrations, and its schema matches no prefix of the \
         migrations ({difference}); refusing to record migrations it may not have. Restore it, or \
         apply the missing changes by hand until it matches, then run `wenming migrate` again"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(version: i64, sql: &str) -> Migration {
        Migration {
            version,
            name: format!("{version:04}_m.sql"),
            path: format!("{version:04}_m.sql").into(),
            sql: sql.into(),
            checksum: String::new(),
        }
    }

    #[test]
    fn a_hand_applied_prefix_is_recognised_and_a_drifted_schema_is_named() {
        let ms = [
            migration(1, "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)"),
            migration(2, "CREATE INDEX a_name ON a(name); CREATE TABLE b (x)"),
        ];
        let expected = expected_schemas(&ms).unwrap();
        assert_eq!(expected.len(), 3);
        // The first migration, applied with other indentation.
        let mut found = Schema::new();
        found
            .insert("a".into(), ("table".into(), normalise("CREATE TABLE a (id INTEGER PRIMARY KEY,\n    name TEXT)")));
        assert_eq!(matching_prefix(&found, &expected).unwrap(), 1);
        assert_eq!(matching_prefix(&expected[2], &expected).unwrap(), 2);
        assert_eq!(matching_prefix(&Schema::new(), &expected).unwrap(), 0);

        found.insert("stray".into(), ("table".into(), "CREATE TABLE stray (y)".into()));
        let refused = matching_prefix(&found, &expected).unwrap_err().to_string();
        assert!(refused.contains("table stray is not created by any migration"), "{refused}");
        let mut drifted = expected[2].clone();
        drifted.insert("b".into(), ("table".into(), "CREATE TABLE b (x, extra)".into()));
        let refused = matching_prefix(&drifted, &expected).unwrap_err().to_string();
        assert!(refused.contains("table b differs"), "{refused}");
    }
}
