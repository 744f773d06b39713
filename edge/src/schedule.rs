//! The schedule of periodic jobs, declared in the manifest under `[application.tool.wenming]`
//! (Spin ignores tool tables, so the same `spin.toml` stays valid for `spin up` and SpinKube,
//! where a CronJob or crontab calls the same routes):
//!
//! ```toml
//! [application.tool.wenming.scheduler]
//! token = "{{ scheduler_token }}"          # a template over [variables], resolved like any
//!
//! [application.tool.wenming.schedule]
//! escalate-orders = { route = "/api/v1/jobs/escalate-orders", every = "1m" }
//! ```
//!
//! A job is nothing but a route the app already serves: the edge calls it with `POST` and
//! `Authorization: Bearer <token>` (see `server::jobs` for how). This module only reads and
//! checks the declaration, so a typo stops start-up with a message naming the job.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::variables::AppVariables;

/// The tool table the edge owns.
pub const TOOL: &str = "wenming";

/// The shortest interval a job may declare: below it a run would rarely finish before the
/// next tick and the job would run back to back.
pub const MIN_EVERY: Duration = Duration::from_secs(1);

/// One job: its name (for logs and metrics), the route it calls and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The key in `[application.tool.wenming.schedule]`.
    pub name: String,
    /// The path to `POST` to, e.g. `/api/v1/jobs/escalate-orders`.
    pub route: String,
    /// Time between the starts of two runs.
    pub every: Duration,
}

/// The jobs and the token they are called with.
#[derive(Clone)]
pub struct Schedule {
    /// Sorted by name.
    pub jobs: Vec<Job>,
    /// The scheduler's Bearer token (a secret: never logged, not in `Debug`).
    pub token: String,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule").field("jobs", &self.jobs).field("token", &"<redacted>").finish()
    }
}

/// Strict, as the rest of the manifest is: a misspelt `schedules` would otherwise turn every job
/// off without a word.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    #[serde(default)]
    scheduler: Option<SchedulerTable>,
    #[serde(default)]
    schedule: BTreeMap<String, JobTable>,
    /// The first-run setup code's table: read and checked by `crate::setup`, named here so the
    /// strict parse accepts it.
    #[serde(default, rename = "setup")]
    _setup: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchedulerTable {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobTable {
    route: String,
    every: String,
}

/// Why there is no schedule to run (logged once at start-up).
#[derive(Debug, PartialEq, Eq)]
pub enum Off {
    /// The manifest declares no jobs.
    NoJobs,
    /// Jobs are declared but the token renders empty: the routes would refuse every call.
    NoToken,
}

impl Schedule {
    /// Reads `[application.tool.wenming]` from `tool` (the manifest's tool tables), rendering
    /// the token with `variables`. `every` overrides every job's interval (`--job-every`).
    /// A malformed declaration is an error; a missing one, or an empty token, is [`Off`].
    pub fn from_manifest(
        tool: &BTreeMap<String, toml::Table>,
        variables: &AppVariables,
        every: Option<Duration>,
    ) -> anyhow::Result<Result<Schedule, Off>> {
        let Some(table) = tool.get(TOOL) else { return Ok(Err(Off::NoJobs)) };
        let tool: Tool = toml::Value::Table(table.clone())
            .try_into()
            .with_context(|| format!("[application.tool.{TOOL}] in the manifest"))?;
        let mut jobs = Vec::with_capacity(tool.schedule.len());
        for (name, declared) in tool.schedule {
            jobs.push(parse_job(&name, declared, every).with_context(|| format!("scheduled job {name:?}"))?);
        }
        if jobs.is_empty() {
            return Ok(Err(Off::NoJobs));
        }
        let Some(scheduler) = tool.scheduler else {
            bail!("[application.tool.{TOOL}.schedule] needs [application.tool.{TOOL}.scheduler] token = \"...\"");
        };
        let token = variables.render(&scheduler.token).context("the scheduler's token")?;
        let token = token.trim().to_string();
        if token.is_empty() {
            return Ok(Err(Off::NoToken));
        }
        Ok(Ok(Schedule { jobs, token }))
    }
}

fn parse_job(name: &str, declared: JobTable, every: Option<Duration>) -> anyhow::Result<Job> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        bail!("a job name is lower-case letters, digits and `-`");
    }
    if !declared.route.starts_with('/') || declared.route.contains(['?', '#', ' ']) {
        bail!("route {:?} must be a path starting with `/` (no query)", declared.route);
    }
    let every = match every {
        Some(every) => every,
        None => humantime::parse_duration(&declared.every)
            .with_context(|| format!("every = {:?} (write e.g. \"30s\", \"5m\", \"1h\")", declared.every))?,
    };
    if every < MIN_EVERY {
        bail!("every must be at least {}", humantime::format_duration(MIN_EVERY));
    }
    Ok(Job { name: name.to_string(), route: declared.route, every })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Variable;

    fn variables(token: &str) -> AppVariables {
        let declared = BTreeMap::from([(
            "scheduler_token".to_string(),
            Variable { description: None, default: Some(token.to_string()), required: false, secret: true },
        )]);
        AppVariables::resolve(&declared, |_| None).unwrap()
    }

    fn tool(text: &str) -> BTreeMap<String, toml::Table> {
        let manifest: toml::Table = toml::from_str(text).unwrap();
        manifest.into_iter().map(|(k, v)| (k, v.as_table().unwrap().clone())).collect()
    }

    const DECLARED: &str = r#"
        [wenming.scheduler]
        token = "{{ scheduler_token }}"
        [wenming.schedule]
        escalate-orders = { route = "/api/v1/jobs/escalate-orders", every = "1m" }
        survey-windows = { route = "/api/v1/jobs/survey-windows", every = "30s" }
    "#;

    #[test]
    fn jobs_are_read_with_their_intervals_and_the_rendered_token() {
        let s = Schedule::from_manifest(&tool(DECLARED), &variables("s3cret"), None).unwrap().unwrap();
        assert_eq!(s.token, "s3cret");
        assert_eq!(
            s.jobs,
            vec![
                Job {
                    name: "escalate-orders".into(),
                    route: "/api/v1/jobs/escalate-orders".into(),
                    every: Duration::from_secs(60)
                },
                Job {
                    name: "survey-windows".into(),
                    route: "/api/v1/jobs/survey-windows".into(),
                    every: Duration::from_secs(30)
                },
            ]
        );
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn the_override_replaces_every_interval() {
        let s =
            Schedule::from_manifest(&tool(DECLARED), &variables("t"), Some(Duration::from_secs(2))).unwrap().unwrap();
        assert!(s.jobs.iter().all(|j| j.every == Duration::from_secs(2)));
    }

    #[test]
    fn no_table_or_an_empty_token_turns_the_schedule_off() {
        assert_eq!(Schedule::from_manifest(&BTreeMap::new(), &variables("t"), None).unwrap().unwrap_err(), Off::NoJobs);
        assert_eq!(Schedule::from_manifest(&tool(DECLARED), &variables(" "), None).unwrap().unwrap_err(), Off::NoToken);
    }

    #[test]
    fn mistakes_stop_start_up_naming_the_job() {
        for (text, needle) in [
            ("[wenming.scheduler]\ntoken='t'\n[wenming.schedule]\nx = { route = '/a', every = 'soon' }", "every"),
            ("[wenming.scheduler]\ntoken='t'\n[wenming.schedule]\nx = { route = 'a', every = '1m' }", "route"),
            ("[wenming.scheduler]\ntoken='t'\n[wenming.schedule]\nx = { route = '/a', every = '10ms' }", "at least"),
            ("[wenming.scheduler]\ntoken='t'\n[wenming.schedule]\nX = { route = '/a', every = '1m' }", "name"),
            ("[wenming.schedule]\nx = { route = '/a', every = '1m' }", "token"),
            ("[wenming.schedules]\nx = { route = '/a', every = '1m' }", "schedules"),
            ("[wenming.scheduler]\ntoken='{{ nope }}'\n[wenming.schedule]\nx = { route = '/a', every = '1m' }", "nope"),
        ] {
            let err = Schedule::from_manifest(&tool(text), &variables("t"), None).unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{text}: {err:#}");
        }
    }
}
