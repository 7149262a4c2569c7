//! `goldcard`: the one binary. See shared/spec/interfaces.md for the commands.

mod config;
mod seeding;

/// mimalloc rather than glibc's malloc, for Rust and (the `override` feature) for the
/// bundled SQLite too: measured in BENCHMARKS.md (bulk load, pages).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use config::{Config, Environment, LogFormat};
use goldcard_domain::{Clock, Email};
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::catalogs::{self, CatalogTexts, Catalogs};
use goldcard_store::entity::accounts as account;
use goldcard_store::events::Rules;
use goldcard_store::{Store, audit, cards};
use goldcard_workflow::{Registry, Role, Workflow};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "goldcard",
    version,
    about = "Taiwan Employment Gold Card extensions (就業金卡延期申請)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, load catalogs (and demo data on a new database), and serve.
    Serve {
        /// Do not load demo data on a new database.
        #[arg(long)]
        no_demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Load catalogs; optionally demo data and synthetic records.
    Seed {
        /// Demo officers, cards and cases.
        #[arg(long)]
        demo: bool,
        /// Generate this many synthetic cards.
        #[arg(long, default_value_t = 0)]
        cards: u64,
        /// Generate this many synthetic cases.
        #[arg(long, default_value_t = 0)]
        cases: u64,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Issued cards.
    Cards {
        #[command(subcommand)]
        command: CardsCommand,
    },
    /// Workflow definitions.
    Workflow {
        #[command(subcommand)]
        command: WorkflowCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an officer, service or applicant account.
    Add {
        /// Login name.
        #[arg(long)]
        login: String,
        /// Email address (codes and notifications go there).
        #[arg(long)]
        email: String,
        /// Role (roles.md).
        #[arg(long)]
        role: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Display name (defaults to the login).
        #[arg(long)]
        name: Option<String>,
        /// zh-TW or en.
        #[arg(long, default_value = "zh-TW")]
        locale: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new bearer token for an account.
    Create {
        /// The account's login.
        #[arg(long)]
        login: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Subcommand)]
enum CardsCommand {
    /// Import issued cards from CSV: all rows, or none if any row is bad.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Svg,
}

#[derive(Subcommand)]
enum WorkflowCommand {
    /// Validate a definition file (all files in workflows/ when none is given).
    Check {
        /// The definition file.
        file: Option<PathBuf>,
    },
    /// Draw a definition.
    Graph {
        /// The definition's name (or file stem) in workflows/.
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List the jobs, their schedules (Asia/Taipei) and their last runs.
    List,
    /// Run a job now, under its lease, as of an instant (default: now).
    Run {
        /// The job's name (see `goldcard jobs list`).
        name: String,
        /// The instant the job runs as of (RFC 3339).
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first broken link.
    Verify,
}

/// The seed catalogs compiled into the binary (a `seeds/` folder in the working directory
/// takes precedence, so a deployment can ship corrected catalogs without a rebuild).
const EMBEDDED_SEEDS: [(&str, &str); 4] = [
    ("fields", include_str!("../../../seeds/fields.toml")),
    ("document_types", include_str!("../../../seeds/document_types.toml")),
    ("fees", include_str!("../../../seeds/fees.toml")),
    ("holidays", include_str!("../../../seeds/holidays.toml")),
];

fn seed_texts() -> anyhow::Result<CatalogTexts> {
    let dir = Path::new("seeds");
    if dir.join("fields.toml").exists() {
        Ok(CatalogTexts::from_dir(dir)?)
    } else {
        Ok(CatalogTexts(
            EMBEDDED_SEEDS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        ))
    }
}

const WORKFLOWS_DIR: &str = "workflows";

/// Every definition: the files in workflows/ when present, else the compiled-in extension.
fn definitions() -> anyhow::Result<Vec<(PathBuf, Workflow)>> {
    let registry = Registry::standard();
    let dir = Path::new(WORKFLOWS_DIR);
    if !dir.is_dir() {
        let w = Workflow::parse(
            "gold-card-extension.toml",
            goldcard_workflow::EXTENSION_DEFINITION,
            &registry,
        )?;
        return Ok(vec![(PathBuf::from("(built in) gold-card-extension.toml"), w)]);
    }
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for f in files {
        let w = goldcard_workflow::load_file(&f, &registry)?;
        out.push((f, w));
    }
    Ok(out)
}

fn extension_workflow() -> anyhow::Result<Workflow> {
    definitions()?
        .into_iter()
        .map(|(_, w)| w)
        .find(|w| w.name == "gold-card-extension")
        .ok_or_else(|| anyhow!("no gold-card-extension definition in {WORKFLOWS_DIR}/"))
}

async fn open(config: &Config, bulk: bool) -> anyhow::Result<Store> {
    let store = if bulk {
        Store::connect_bulk(&config.database_url).await
    } else {
        Store::connect(&config.database_url).await
    };
    let store = store.with_context(|| format!("connecting to {}", redact(&config.database_url)))?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn load_catalogs(store: &Store, clock: &dyn Clock) -> anyhow::Result<Catalogs> {
    catalogs::load_if_empty(store.db(), &seed_texts()?, clock.now()).await?;
    Ok(catalogs::read(store.db()).await?.parse()?)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("goldcard: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Workflow { command } => return workflow_command(command),
        Command::Serve { no_demo } => return serve(no_demo).await,
        _ => {}
    }
    let config = Config::load()?;
    let clock = config.clock();
    let store = open(&config, matches!(cli.command, Command::Seed { .. })).await?;
    match cli.command {
        Command::Migrate => println!("migrations applied"),
        Command::Seed { demo, cards, cases } => {
            let catalogs = load_catalogs(&store, clock.as_ref()).await?;
            println!("catalogs loaded");
            let workflow = extension_workflow()?;
            let rules = Rules {
                workflow: &workflow,
                catalogs: &catalogs,
            };
            if demo {
                if config.env == Environment::Production {
                    bail!("demo data is refused when GOLDCARD_ENV=production");
                }
                let summary = seeding::demo(&store, rules, clock.now()).await?;
                print_demo(&summary);
            }
            if cards > 0 || cases > 0 {
                if config.env == Environment::Production {
                    // the load holds its tables' locks until it commits (BulkLoad)
                    bail!("synthetic data is refused when GOLDCARD_ENV=production");
                }
                // one transaction for all the synthetic rows: a load that fails leaves none
                let mut load = goldcard_store::bulk::BulkLoad::begin(store.db()).await?;
                if cards > 0 {
                    seeding::synthetic_cards(&load, &catalogs.catalog, cards, clock.now(), 2026).await?;
                }
                if cases > 0 {
                    let blobs = goldcard_store::blobs::BlobStore::new(&config.documents_dir);
                    seeding::synthetic_cases(&mut load, &blobs, rules, cases, clock.now()).await?;
                }
                seeding::finish(load).await?;
            }
        }
        Command::User {
            command:
                UserCommand::Add {
                    login,
                    email,
                    role,
                    password_stdin,
                    name,
                    locale,
                },
        } => {
            let role: Role = role.parse()?;
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the password from standard input")?;
                Some(s.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let login = Login::parse(&login)?;
            let a = accounts::create(
                store.db(),
                NewAccount {
                    display_name: name.unwrap_or_else(|| login.as_str().to_string()),
                    login,
                    email: Email::parse(&email).map_err(|e| anyhow!("--email: {e}"))?,
                    role,
                    password,
                    locale,
                },
                clock.now(),
            )
            .await?;
            println!("created account {} ({})", a.login, a.role);
        }
        Command::Token {
            command: TokenCommand::Create { login, label },
        } => {
            let a = accounts::find_by_login(store.db(), &login)
                .await?
                .filter(|a| a.active)
                .ok_or_else(|| anyhow!("no active account `{login}`"))?;
            println!(
                "{}",
                accounts::create_token(store.db(), a.id, &label, None, clock.now()).await?
            );
        }
        Command::Cards {
            command: CardsCommand::Import { file },
        } => {
            let catalogs = load_catalogs(&store, clock.as_ref()).await?;
            let f = std::fs::File::open(&file).with_context(|| format!("opening {}", file.display()))?;
            match cards::parse_csv(f, &catalogs.catalog) {
                Ok(rows) => {
                    let n = cards::import(store.db(), &rows, clock.now()).await?;
                    println!("imported {n} cards from {}", file.display());
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{}: {e}", file.display());
                    }
                    eprintln!("{}: {} problem(s); nothing was imported", file.display(), errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Jobs { command } => return jobs_command(command, &config, &store, clock.as_ref()).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let report = audit::verify(store.db()).await?;
            match report.first_break {
                None => println!("audit chain intact: {} cases, {} rows", report.cases, report.rows),
                Some(b) => {
                    eprintln!(
                        "audit chain broken at case {} row {}: {}",
                        b.case_number, b.seq, b.problem
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Serve { .. } | Command::Workflow { .. } => unreachable_command()?,
    }
    Ok(ExitCode::SUCCESS)
}

fn unreachable_command() -> anyhow::Result<()> {
    Err(anyhow!("internal: command dispatched twice"))
}

fn print_demo(summary: &seeding::DemoSummary) {
    println!("demo data: {} cards, {} cases", summary.cards, summary.cases);
    println!(
        "demo accounts (password `{}`; the payment gateway signs in with a token):",
        summary.password
    );
    for (login, role) in &summary.accounts {
        println!("  {login:<18} {role}");
    }
}

fn workflow_command(command: WorkflowCommand) -> anyhow::Result<ExitCode> {
    let registry = Registry::standard();
    match command {
        WorkflowCommand::Check { file: Some(file) } => match goldcard_workflow::load_file(&file, &registry) {
            Ok(w) => println!(
                "{}: ok ({} states, {} edges)",
                file.display(),
                w.states.len(),
                w.edges.len()
            ),
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::FAILURE);
            }
        },
        WorkflowCommand::Check { file: None } => {
            let mut failed = false;
            let dir = Path::new(WORKFLOWS_DIR);
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("reading {WORKFLOWS_DIR}/"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for f in files {
                match goldcard_workflow::load_file(&f, &registry) {
                    Ok(w) => println!(
                        "{}: ok ({} states, {} edges)",
                        f.display(),
                        w.states.len(),
                        w.edges.len()
                    ),
                    Err(e) => {
                        eprintln!("{e}");
                        failed = true;
                    }
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        WorkflowCommand::Graph { name, format } => {
            let (_, w) = definitions()?
                .into_iter()
                .find(|(path, w)| w.name == name || path.file_stem().is_some_and(|s| s == name.as_str()))
                .ok_or_else(|| anyhow!("no workflow definition named `{name}` in {WORKFLOWS_DIR}/"))?;
            let dot = w.to_dot();
            match format {
                GraphFormat::Dot => print!("{dot}"),
                GraphFormat::Svg => print!("{}", dot_to_svg(&dot)?),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn dot_to_svg(dot: &str) -> anyhow::Result<String> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let graph = DotParser::new(dot)
        .process()
        .map_err(|e| anyhow!("cannot lay out the graph: {e}"))?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut svg = SVGWriter::new();
    visual.do_it(false, false, false, &mut svg);
    Ok(svg.finalize())
}

async fn serve(no_demo: bool) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let config = Config::load()?;
    init_logging(config.log_format);
    goldcard_web::telemetry::install_metrics();
    // a bad schedule stops start-up before anything is written
    let schedule = goldcard_jobs::Schedule::new(&config.jobs).context("the job schedule")?;
    let clock = config.clock();
    let store = open(&config, false).await?;
    let catalogs = load_catalogs(&store, clock.as_ref()).await?;
    let workflow = extension_workflow()?;
    let first_run = account::Entity::find().count(store.db()).await? == 0;
    if first_run && !no_demo {
        if config.env == Environment::Production {
            println!("production: no demo data is loaded");
        } else {
            let rules = Rules {
                workflow: &workflow,
                catalogs: &catalogs,
            };
            let summary = seeding::demo(&store, rules, clock.now()).await?;
            print_demo(&summary);
        }
    }
    let payment_secret = match &config.payment_secret {
        Some(s) => s.clone(),
        None if config.env == Environment::Production => {
            bail!("GOLDCARD_PAYMENT_SECRET is required when GOLDCARD_ENV=production")
        }
        None => {
            let s: String = (0..32).map(|_| format!("{:02x}", rand_byte())).collect();
            println!("payment notifications are signed with GOLDCARD_PAYMENT_SECRET={s} (random for this run)");
            s
        }
    };
    if config.env == Environment::Production && config.smtp_url.is_none() {
        bail!("GOLDCARD_SMTP_URL is required when GOLDCARD_ENV=production");
    }
    let (mailer, letterhead) = mail_setup(&config, &catalogs)?;
    match &config.smtp_url {
        Some(url) => println!("mail: SMTP {} as {}", redact(url), config.mail_from),
        None => println!(
            "mail: .eml files under {}/ (GOLDCARD_SMTP_URL unset), as {}",
            goldcard_mail::DEFAULT_OUTBOX_DIR,
            config.mail_from
        ),
    }

    if let Some(now) = config.now {
        println!("the clock is frozen at {now} (GOLDCARD_NOW)");
    }
    let catalogs = Arc::new(catalogs);
    let workflow = Arc::new(workflow);
    let jobs = goldcard_jobs::Jobs {
        db: store.db().clone(),
        workflow: workflow.clone(),
        catalogs: catalogs.clone(),
        mailer,
        letterhead,
        holder: goldcard_jobs::Jobs::instance_name(),
    };
    let access = goldcard_access::Access::load_default(store.db())
        .await
        .context("loading the access policy")?;
    let state = goldcard_web::AppState {
        store: store.clone(),
        access,
        workflow,
        catalogs,
        clock: clock.clone(),
        payment_secret: Arc::new(payment_secret),
        blobs: goldcard_store::blobs::BlobStore::new(&config.documents_dir),
        production: config.env == Environment::Production,
        counts: Default::default(),
        credentials: Default::default(),
        staff: Default::default(),
        consents: Default::default(),
        request_timeout: config.request_timeout,
    };
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    println!(
        "goldcard listening on http://{addr} (ready in {} ms)",
        started.elapsed().as_millis()
    );
    // the page benchmark's baseline, beside the service (scripts/bench-pages)
    if let Ok(bind) = std::env::var("GOLDCARD_BENCH_BASELINE_BIND") {
        let baseline = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("binding {bind} (GOLDCARD_BENCH_BASELINE_BIND)"))?;
        tokio::spawn(async move {
            if let Err(e) = goldcard_web::serve_baseline(baseline).await {
                tracing::warn!(error = %e, "the benchmark baseline stopped");
            }
        });
    }
    // started once start-up's own writes (migrations, seeds, policy) are done
    let mut scheduler = goldcard_jobs::start_scheduler(Arc::new(jobs), &schedule, clock.clone())
        .await
        .context("starting the job scheduler")?;
    goldcard_web::serve(listener, state, shutdown_signal()).await?;
    // requests in flight have finished (graceful shutdown); now no new job run starts and
    // the runs in progress finish. One still running after the patience is cut off: it
    // leaves its lease to expire, and a row the dispatcher had claimed is taken up again
    // when its claim expires.
    let left = goldcard_jobs::drain(JOB_PATIENCE).await;
    if left > 0 {
        tracing::warn!(runs = left, "job runs still in progress at shutdown are cut off");
    }
    if let Err(e) = scheduler.shutdown().await {
        tracing::warn!(error = ?e, "stopping the job scheduler");
    }
    store.close().await?;
    println!("goldcard stopped");
    Ok(ExitCode::SUCCESS)
}

/// The mail transport and letterhead the configuration names.
fn mail_setup(
    config: &Config,
    catalogs: &Catalogs,
) -> anyhow::Result<(goldcard_mail::Transport, goldcard_mail::Letterhead)> {
    let mailer = goldcard_mail::Transport::from_config(config.smtp_url.as_deref(), goldcard_mail::DEFAULT_OUTBOX_DIR)
        .context("GOLDCARD_SMTP_URL")?;
    let letterhead = goldcard_mail::Letterhead::parse(&config.mail_from)
        .context("GOLDCARD_MAIL_FROM")?
        .with_documents(goldcard_mail::DocumentNames::from_catalog(
            &catalogs.catalog.document_types,
        ));
    Ok((mailer, letterhead))
}

async fn jobs_command(
    command: JobsCommand,
    config: &Config,
    store: &Store,
    clock: &dyn Clock,
) -> anyhow::Result<ExitCode> {
    let schedule = goldcard_jobs::Schedule::new(&config.jobs).context("the job schedule")?;
    match command {
        JobsCommand::List => {
            use goldcard_store::entity::job_runs;
            use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
            println!("{:<26} {:<16} {:<40} about", "job", "cron (Taipei)", "last run");
            for ((name, cron), spec) in schedule.entries().zip(goldcard_jobs::JOBS) {
                let last = job_runs::Entity::find()
                    .filter(job_runs::Column::Name.eq(name))
                    .order_by_desc(job_runs::Column::Id)
                    .one(store.db())
                    .await?
                    .map_or_else(
                        || "never".to_string(),
                        |r| {
                            format!(
                                "{} {}",
                                r.started_at.format("%Y-%m-%d %H:%M:%SZ"),
                                r.outcome.unwrap_or_else(|| "running".into())
                            )
                        },
                    );
                println!("{name:<26} {:<16} {last:<40} {}", cron.unwrap_or("off"), spec.about);
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsCommand::Run { name, now } => {
            let spec = goldcard_jobs::job(&name).ok_or_else(|| {
                anyhow!(
                    "no job is named `{name}`; the jobs are: {}",
                    goldcard_jobs::JOBS.map(|j| j.name).join(", ")
                )
            })?;
            let as_of = match now {
                Some(s) => {
                    goldcard_domain::FixedClock::parse(&s)
                        .map_err(|e| anyhow!("--now: {e}"))?
                        .0
                }
                None => clock.now(),
            };
            let catalogs = load_catalogs(store, clock).await?;
            let (mailer, letterhead) = mail_setup(config, &catalogs)?;
            let jobs = goldcard_jobs::Jobs {
                db: store.db().clone(),
                workflow: Arc::new(extension_workflow()?),
                catalogs: Arc::new(catalogs),
                mailer,
                letterhead,
                holder: goldcard_jobs::Jobs::instance_name(),
            };
            match goldcard_jobs::run(&jobs, spec.name, as_of).await? {
                goldcard_jobs::Outcome::Ran(ran) => {
                    println!("{} as of {}: {ran}", spec.name, as_of.to_rfc3339());
                    Ok(if ran.problems.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    })
                }
                goldcard_jobs::Outcome::LeaseHeld { holder } => {
                    eprintln!(
                        "{} is running elsewhere (lease held by {}); not run",
                        spec.name,
                        holder.as_deref().unwrap_or("another instance")
                    );
                    Ok(ExitCode::from(3))
                }
            }
        }
    }
}

/// How long shutdown waits for job runs in progress.
const JOB_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// The log filter when `RUST_LOG` is unset: goldcard's own lines from `info`, the database
/// drivers' (a line per statement) only from `warn`.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// The server logs to standard error, filtered by `RUST_LOG` (default
/// [`DEFAULT_LOG_FILTER`]), as text or JSON lines (`GOLDCARD_LOG_FORMAT`). Each request's
/// lines carry its span with the request id.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // a second call (never in practice) keeps the first subscriber
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
}

fn rand_byte() -> u8 {
    rand::random()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://gc:secret@db:5432/gc"),
            "postgres://gc:***@db:5432/gc"
        );
        assert_eq!(
            redact("sqlite://data/goldcard.db?mode=rwc"),
            "sqlite://data/goldcard.db?mode=rwc"
        );
    }

    #[test]
    fn the_embedded_seeds_are_valid() -> anyhow::Result<()> {
        let texts = CatalogTexts(
            EMBEDDED_SEEDS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        texts.parse()?;
        Ok(())
    }
}
