//! Configuration: environment variables over `goldcard.toml` in the working directory over
//! the defaults of interfaces.md.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use goldcard_domain::{Clock, FixedClock, SystemClock};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `development` or `production`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Demo data and a frozen clock allowed.
    Development,
    /// Secure cookies; no demo data, no frozen clock.
    Production,
}

/// The settings goldcard runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `GOLDCARD_DATABASE_URL`.
    pub database_url: String,
    /// `GOLDCARD_BIND`.
    pub bind: String,
    /// `GOLDCARD_SMTP_URL`; unset → `.eml` files under `data/outbox/`.
    pub smtp_url: Option<String>,
    /// `GOLDCARD_MAIL_FROM`.
    pub mail_from: String,
    /// `GOLDCARD_DOCUMENTS_DIR`.
    pub documents_dir: PathBuf,
    /// `GOLDCARD_PAYMENT_SECRET`.
    pub payment_secret: Option<String>,
    /// `GOLDCARD_NOW`: a frozen clock.
    pub now: Option<DateTime<Utc>>,
    /// `GOLDCARD_ENV`.
    pub env: Environment,
    /// Job schedules overriding the defaults: `[jobs]` in goldcard.toml, then
    /// `GOLDCARD_JOBS` (`name=cron;name=cron`, `off` turns a job off). Checked at start-up.
    pub jobs: BTreeMap<String, String>,
    /// `GOLDCARD_REQUEST_TIMEOUT_MS`: a request still running after this is answered 503
    /// `timeout` (default 30 s).
    pub request_timeout: Duration,
    /// `GOLDCARD_LOG_FORMAT`: `text` (default) or `json` (one object per line).
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The default request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    documents_dir: Option<String>,
    payment_secret: Option<String>,
    now: Option<String>,
    env: Option<String>,
    jobs: Option<BTreeMap<String, String>>,
    request_timeout_ms: Option<u64>,
    log_format: Option<String>,
}

/// The default database: SQLite in `data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/goldcard.db?mode=rwc";

impl Config {
    /// Reads `goldcard.toml` (if present) and the environment.
    pub fn load() -> anyhow::Result<Config> {
        let file = Path::new("goldcard.toml");
        let from_file = if file.exists() {
            let text = std::fs::read_to_string(file).context("reading goldcard.toml")?;
            toml::from_str::<FileConfig>(&text).context("goldcard.toml")?
        } else {
            FileConfig::default()
        };
        Config::resolve(from_file, |k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    fn resolve(file: FileConfig, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let pick = |var: &str, from_file: Option<String>| env(var).or(from_file);
        let environment = match pick("GOLDCARD_ENV", file.env).as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!("GOLDCARD_ENV must be `development` or `production`, not `{other}`"),
        };
        let now = match pick("GOLDCARD_NOW", file.now) {
            None => None,
            Some(_) if environment == Environment::Production => {
                bail!("GOLDCARD_NOW freezes the clock and is refused when GOLDCARD_ENV=production")
            }
            Some(s) => Some(
                FixedClock::parse(&s)
                    .map_err(|e| anyhow::anyhow!("GOLDCARD_NOW: {e}"))?
                    .0,
            ),
        };
        let mut jobs = file.jobs.unwrap_or_default();
        if let Some(text) = env("GOLDCARD_JOBS") {
            jobs.extend(goldcard_jobs::Schedule::parse_overrides(&text).context("GOLDCARD_JOBS")?);
        }
        let request_timeout = match env("GOLDCARD_REQUEST_TIMEOUT_MS") {
            Some(v) => Duration::from_millis(
                v.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms > 0)
                    .context("GOLDCARD_REQUEST_TIMEOUT_MS must be a positive number of milliseconds")?,
            ),
            None => file
                .request_timeout_ms
                .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_millis),
        };
        let log_format = match pick("GOLDCARD_LOG_FORMAT", file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("GOLDCARD_LOG_FORMAT must be `text` or `json`, not `{other}`"),
        };
        Ok(Config {
            jobs,
            request_timeout,
            log_format,
            database_url: pick("GOLDCARD_DATABASE_URL", file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            bind: pick("GOLDCARD_BIND", file.bind).unwrap_or_else(|| "127.0.0.1:8080".to_string()),
            smtp_url: pick("GOLDCARD_SMTP_URL", file.smtp_url),
            mail_from: pick("GOLDCARD_MAIL_FROM", file.mail_from)
                .unwrap_or_else(|| "Taiwan Gold Card Office <no-reply@goldcard.example>".to_string()),
            documents_dir: PathBuf::from(
                pick("GOLDCARD_DOCUMENTS_DIR", file.documents_dir).unwrap_or_else(|| "data/documents".into()),
            ),
            payment_secret: pick("GOLDCARD_PAYMENT_SECRET", file.payment_secret),
            now,
            env: environment,
        })
    }

    /// The clock: frozen at `GOLDCARD_NOW`, or the system's.
    pub fn clock(&self) -> Arc<dyn Clock> {
        match self.now {
            Some(t) => Arc::new(FixedClock(t)),
            None => Arc::new(SystemClock),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)], file: FileConfig) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::resolve(file, |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_those_of_interfaces_md() -> anyhow::Result<()> {
        let c = with(&[], FileConfig::default())?;
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.smtp_url, None);
        assert_eq!(c.mail_from, "Taiwan Gold Card Office <no-reply@goldcard.example>");
        assert_eq!(c.documents_dir, PathBuf::from("data/documents"));
        assert_eq!(c.env, Environment::Development);
        assert_eq!(c.now, None);
        assert_eq!(c.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(c.log_format, LogFormat::Text);
        Ok(())
    }

    #[test]
    fn environment_beats_the_file() -> anyhow::Result<()> {
        let file = FileConfig {
            bind: Some("0.0.0.0:1".into()),
            database_url: Some("sqlite://file.db".into()),
            ..FileConfig::default()
        };
        let c = with(&[("GOLDCARD_BIND", "127.0.0.1:9")], file)?;
        assert_eq!(
            (c.bind.as_str(), c.database_url.as_str()),
            ("127.0.0.1:9", "sqlite://file.db")
        );
        Ok(())
    }

    #[test]
    fn production_refuses_a_frozen_clock_and_bad_values_are_named() {
        let err = with(
            &[("GOLDCARD_ENV", "production"), ("GOLDCARD_NOW", "2026-01-01T00:00:00Z")],
            FileConfig::default(),
        );
        assert!(err.expect_err("refused").to_string().contains("GOLDCARD_NOW"));
        let err = with(&[("GOLDCARD_NOW", "yesterday")], FileConfig::default());
        assert!(err.expect_err("refused").to_string().contains("GOLDCARD_NOW"));
        let err = with(&[("GOLDCARD_ENV", "staging")], FileConfig::default());
        assert!(err.expect_err("refused").to_string().contains("GOLDCARD_ENV"));
        let err = with(&[("GOLDCARD_LOG_FORMAT", "xml")], FileConfig::default());
        assert!(err.expect_err("refused").to_string().contains("GOLDCARD_LOG_FORMAT"));
        let err = with(&[("GOLDCARD_REQUEST_TIMEOUT_MS", "0")], FileConfig::default());
        assert!(format!("{:#}", err.expect_err("refused")).contains("GOLDCARD_REQUEST_TIMEOUT_MS"));
    }
}
