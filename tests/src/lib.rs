//! End-to-end test support: builds and runs the real `goldcard` binary in a throwaway
//! working directory, against SQLite or a fresh database on the test PostgreSQL server.
#![allow(clippy::unwrap_used)]

pub mod api_app;
pub mod html_checks;
pub mod portal_fixture;
pub mod smtp;
pub mod web_client;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary under test: `GOLDCARD_TEST_BIN` when the test command built it already
/// (scripts/test does), else built once per test process (a no-op when up to date).
pub fn goldcard_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("GOLDCARD_TEST_BIN").map(PathBuf::from) {
            assert!(bin.exists(), "GOLDCARD_TEST_BIN={} does not exist", bin.display());
            return bin;
        }
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "goldcard", "--bin", "goldcard"])
            .current_dir(repo_root())
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build -p goldcard failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        let bin = target.join("debug").join("goldcard");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// SQLite file in the work directory.
    Sqlite,
    /// A new database on the test PostgreSQL server.
    Postgres,
}

/// An empty database for one test: a SQLite file in a temporary directory, or a new
/// database on the test PostgreSQL server. The crates' storage tests connect to [`url`]
/// and migrate it themselves.
///
/// [`url`]: FreshDb::url
pub struct FreshDb {
    /// Where to connect.
    pub url: String,
    /// `sqlite`, or the PostgreSQL database's name.
    pub name: String,
    /// Which backend.
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
}

/// A new empty database on `db`; fails loudly when PostgreSQL is wanted and not there.
pub async fn fresh_database(db: Db) -> FreshDb {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            FreshDb {
                url,
                name: "sqlite".into(),
                db,
                _dir: Some(dir),
            }
        }
        Db::Postgres => {
            let (url, name) = create_pg_database("gc_test").await;
            FreshDb {
                url,
                name,
                db,
                _dir: None,
            }
        }
    }
}

/// Creates a database named `PREFIX_<random>` on the test PostgreSQL server.
async fn create_pg_database(prefix: &str) -> (String, String) {
    let admin = pg_admin_url();
    let name = format!("{prefix}_{}", hex_name());
    let conn = Database::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
    conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    conn.close().await.unwrap();
    (format!("{}/{name}", admin.rsplit_once('/').unwrap().0), name)
}

/// A throwaway working directory with its own database.
pub struct Env {
    /// The working directory (has `seeds/` and `workflows/` copies).
    pub dir: tempfile::TempDir,
    /// `GOLDCARD_DATABASE_URL`.
    pub database_url: String,
    /// Extra environment.
    pub vars: Vec<(String, String)>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            // seeds/casbin/
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The PostgreSQL server's admin URL; the test suite fails loudly without it.
pub fn pg_admin_url() -> String {
    std::env::var("GOLDCARD_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("GOLDCARD_TEST_PG_URL is not set: run the tests with `scripts/test`, which starts PostgreSQL")
    })
}

impl Env {
    /// A new environment on `db`.
    pub async fn new(db: Db) -> Env {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_root().join("seeds"), &dir.path().join("seeds"));
        copy_dir(&repo_root().join("workflows"), &dir.path().join("workflows"));
        let database_url = match db {
            Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("data/goldcard.db").display()),
            Db::Postgres => create_pg_database("gc_e2e").await.0,
        };
        Env {
            dir,
            database_url,
            vars: Vec::new(),
        }
    }

    /// Adds an environment variable for every command.
    pub fn set(&mut self, k: &str, v: &str) {
        self.vars.push((k.to_string(), v.to_string()));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(goldcard_bin());
        c.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GOLDCARD_DATABASE_URL", &self.database_url);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// Runs a command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command with standard input.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// A connection to the environment's database.
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.database_url).await.unwrap()
    }

    /// Starts `goldcard serve` on a free port and waits until it is ready.
    pub async fn serve(&self, extra: &[&str]) -> Server {
        let mut args = vec!["serve"];
        args.extend_from_slice(extra);
        let log = self.dir.path().join(format!("serve-{}.log", hex_name()));
        let mut cmd = self.command(&args);
        cmd.env("GOLDCARD_BIND", "127.0.0.1:0")
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(log.with_extension("err")).unwrap()));
        // owned by a Server from the start, so that it is killed and reaped on every path
        let mut server = Server {
            child: cmd.spawn().unwrap(),
            base: String::new(),
            log,
        };
        let start = Instant::now();
        loop {
            let out = std::fs::read_to_string(&server.log).unwrap_or_default();
            if let Some(addr) = out.lines().find_map(|l| l.split("listening on http://").nth(1)) {
                let addr = addr.split_whitespace().next().unwrap().to_string();
                server.base = format!("http://{addr}");
                return server;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let err = std::fs::read_to_string(server.log.with_extension("err")).unwrap_or_default();
                panic!("goldcard serve did not start:\n{out}\n{err}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A running server, killed when dropped.
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its standard output.
    pub log: PathBuf,
}

impl Server {
    /// What it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills it the hard way (SIGKILL), as a crash would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.stop()
    }

    /// Sends SIGTERM and waits for a graceful exit, keeping the value (for its log).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "goldcard did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hex_name() -> String {
    let bytes: [u8; 6] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Text of a command's output.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs an async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident => $body:ident;)*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$body($crate::Db::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$body($crate::Db::Postgres).await
                }
            }
        )*
    };
}
