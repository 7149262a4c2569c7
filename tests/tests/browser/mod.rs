//! Headless Chromium for end-to-end browser tests, driven over WebDriver with fantoccini.
//!
//! A test file uses it with `mod browser;`:
//!
//! ```ignore
//! let browser = browser::Browser::start("sign_in_page").await;
//! browser.goto(&format!("{}/sign-in", server.base)).await;
//! browser.fill("#login", "alice").await;
//! browser.click("button[type=submit]").await;
//! browser.wait_for("main h1").await;
//! browser.screenshot("signed-in").await;
//! browser.close().await;
//! ```
//!
//! Each [`Browser`] runs its own `chromedriver` on a free local port (its own process
//! group, so that the Chromium it starts goes with it) and its own Chromium profile in a
//! temporary directory, so tests run in parallel without sharing anything. It needs
//! `GOLDCARD_TEST_CHROMEDRIVER` and `GOLDCARD_TEST_CHROMIUM` (printed by
//! `scripts/test-services`, which installs Debian's `chromium` and `chromium-driver`); a
//! test panics when they are missing: it never skips itself.
//!
//! The helpers panic (naming the selector and the page's URL) instead of returning errors:
//! in a test, a failed browser step is a failed test.
#![allow(dead_code)]

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long [`Browser::wait_for`] waits for an element.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long `chromedriver` gets to answer on its port after it is started.
const DRIVER_START: Duration = Duration::from_secs(20);

/// Chromium's command line: headless, and able to run as root in a container.
const CHROMIUM_ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// One headless Chromium, with the `chromedriver` that drives it. Dropping it ends the
/// WebDriver session (which quits Chromium) and kills `chromedriver` and anything left in
/// its process group; [`close`](Browser::close) does the same, reporting errors.
pub struct Browser {
    /// `None` once closed.
    client: Option<Client>,
    /// `None` once the session is ended.
    session: Option<String>,
    driver: Child,
    port: u16,
    test_name: String,
    screenshots: PathBuf,
    shots: AtomicU32,
    /// chromedriver's log and Chromium's profile.
    tmp: tempfile::TempDir,
}

/// A path from an environment variable, which must be set and name an existing file.
fn required_path(var: &str) -> PathBuf {
    let value = std::env::var_os(var).unwrap_or_else(|| {
        panic!(
            "{var} is not set: the browser tests need Chromium and chromedriver. Run the tests \
             with `scripts/test`, or `eval \"$(scripts/test-services)\"` first (it installs \
             Debian's chromium and chromium-driver and prints GOLDCARD_TEST_CHROMEDRIVER and \
             GOLDCARD_TEST_CHROMIUM)"
        )
    });
    let path = PathBuf::from(value);
    assert!(
        path.is_file(),
        "{var}={} does not exist (run `scripts/test-services` to install it)",
        path.display()
    );
    path
}

/// A port nobody listens on right now (chromedriver may still lose a race for it: then
/// [`Browser::start`] tries another).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a local port")
        .port()
}

/// A file-name-safe version of `s`: letters, digits, `-` and `_` kept, the rest `_`.
fn file_safe(s: &str) -> String {
    let safe: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() { "_".to_string() } else { safe }
}

/// The cargo target directory (`CARGO_TARGET_DIR`, else `target/` in the repository).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let root = goldcard_tests::repo_root();
            std::fs::canonicalize(&root).unwrap_or(root).join("target")
        })
}

/// Ends a WebDriver session with a plain blocking HTTP request (usable in `Drop`, where
/// fantoccini's async client cannot be awaited). Best effort.
fn delete_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // chromedriver keeps the connection open despite `Connection: close`: read the head,
    // then Content-Length bytes of body, and stop
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            break;
        }
        response.extend_from_slice(&chunk[..n]);
        let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if response.len() >= end + 4 + length {
            break;
        }
    }
}

/// Kills a process group we started (chromedriver's, which Chromium joins) and reaps its
/// leader.
fn kill_group(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts chromedriver on `port` in its own process group and waits until it reports
/// ready; `Err` with its log when it exits or does not answer in time.
async fn start_driver(bin: &Path, port: u16, log: &Path) -> Result<Child, String> {
    let mut child = Command::new(bin)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let status_url = format!("http://127.0.0.1:{port}/status");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("building an HTTP client");
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("chromedriver exited ({status}):\n{log}"));
        }
        if let Ok(resp) = http.get(&status_url).send().await
            && resp.status().is_success()
            && let Ok(body) = resp.json::<serde_json::Value>().await
            && body["value"]["ready"] == true
        {
            return Ok(child);
        }
        if started.elapsed() > DRIVER_START {
            kill_group(&mut child);
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!(
                "chromedriver did not answer on {status_url} within {DRIVER_START:?}:\n{log}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Browser {
    /// Starts chromedriver (`GOLDCARD_TEST_CHROMEDRIVER`) on a free local port, waits until
    /// it answers, and opens a headless Chromium (`GOLDCARD_TEST_CHROMIUM`) through it.
    /// `test_name` names the screenshot directory, `target/screenshots/<test_name>/`,
    /// which is emptied here so that it only holds this run's pictures.
    ///
    /// Panics, with a clear message, when either variable is unset or names a missing
    /// file, or when chromedriver or Chromium does not start.
    pub async fn start(test_name: &str) -> Browser {
        let driver_bin = required_path("GOLDCARD_TEST_CHROMEDRIVER");
        let chromium = required_path("GOLDCARD_TEST_CHROMIUM");
        let tmp = tempfile::Builder::new()
            .prefix("goldcard-browser-")
            .tempdir()
            .expect("creating a temporary directory");
        let log = tmp.path().join("chromedriver.log");

        let mut failures = Vec::new();
        let (driver, port) = loop {
            let port = free_port();
            match start_driver(&driver_bin, port, &log).await {
                Ok(child) => break (child, port),
                Err(e) => failures.push(e),
            }
            assert!(
                failures.len() < 3,
                "chromedriver ({}) did not start, three times:\n{}",
                driver_bin.display(),
                failures.join("\n---\n")
            );
        };

        let profile = tmp.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium.to_string_lossy(), "args": args }),
        );

        let screenshots = target_dir().join("screenshots").join(file_safe(test_name));
        let _ = std::fs::remove_dir_all(&screenshots);
        // from here on, Drop cleans up whatever fails
        let mut browser = Browser {
            client: None,
            session: None,
            driver,
            port,
            test_name: test_name.to_string(),
            screenshots,
            shots: AtomicU32::new(0),
            tmp,
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "Chromium ({}) did not start through chromedriver: {e}\nchromedriver log:\n{log}",
                    chromium.display()
                )
            });
        browser.session = client.session_id().await.ok().flatten();
        browser.client = Some(client);
        browser
            .client()
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await
            .expect("setting the WebDriver timeouts");
        browser
    }

    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the browser is closed")
    }

    /// The name the browser was started with.
    pub fn test_name(&self) -> &str {
        &self.test_name
    }

    /// Navigates to `url` (absolute, e.g. `format!("{}/", server.base)`) and waits for the
    /// page to load.
    pub async fn goto(&self, url: &str) {
        self.client()
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The first element matching `css` right now; panics naming the selector and the page.
    pub async fn find(&self, css: &str) -> Element {
        match self.client().find(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => panic!("no element matches {css:?} on {}: {e}", self.current_url().await),
        }
    }

    /// Clears the form field matching `css`, then types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.clear().await {
            panic!("cannot clear {css:?} on {}: {e}", self.current_url().await);
        }
        if let Err(e) = el.send_keys(text).await {
            panic!("cannot type into {css:?} on {}: {e}", self.current_url().await);
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.click().await {
            panic!("cannot click {css:?} on {}: {e}", self.current_url().await);
        }
    }

    /// The visible text of the element matching `css` (as rendered: hidden parts left out).
    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        match el.text().await {
            Ok(t) => t,
            Err(e) => panic!("cannot read the text of {css:?} on {}: {e}", self.current_url().await),
        }
    }

    /// Waits up to [`WAIT`] (10 s) for an element matching `css` and returns it. On
    /// timeout it saves a screenshot and panics naming the selector, the current URL and
    /// the screenshot.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self.client().wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => {
                let url = self.current_url().await;
                let shot = self.try_screenshot(&format!("wait-for-{css}")).await;
                panic!(
                    "no element matches {css:?} after {WAIT:?} on {url} ({e}); screenshot: {}",
                    shot.map(|p| p.display().to_string())
                        .unwrap_or_else(|e| format!("none ({e})"))
                )
            }
        }
    }

    /// The page's current URL (`"?"` when the browser cannot say: used in panic messages).
    pub async fn current_url(&self) -> String {
        match self.client().current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("? ({e})"),
        }
    }

    /// The document's title.
    pub async fn title(&self) -> String {
        self.client().title().await.expect("reading the page title")
    }

    /// The page's HTML as the browser has it now (after scripts ran), for
    /// `goldcard_tests::html_checks`.
    pub async fn source(&self) -> String {
        self.client().source().await.expect("reading the page source")
    }

    /// Saves a PNG of the viewport to `target/screenshots/<test_name>/<NN>-<step>.png`
    /// (`NN` counts 01, 02, … per browser; `step` made file-name safe) and returns its path.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        match self.try_screenshot(step).await {
            Ok(path) => path,
            Err(e) => panic!("screenshot {step:?}: {e}"),
        }
    }

    async fn try_screenshot(&self, step: &str) -> Result<PathBuf, String> {
        let n = self.shots.fetch_add(1, Ordering::SeqCst) + 1;
        let png = self.client().screenshot().await.map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&self.screenshots)
            .map_err(|e| format!("creating {}: {e}", self.screenshots.display()))?;
        let path = self.screenshots.join(format!("{n:02}-{}.png", file_safe(step)));
        std::fs::write(&path, png).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(path)
    }

    /// Ends the session (Chromium quits) and stops chromedriver; panics when the session
    /// cannot be ended cleanly. Dropping the browser does the same, silently.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let result = client.close().await;
            self.session = None;
            if let Err(e) = result {
                panic!("closing the WebDriver session: {e}");
            }
        }
        // Drop stops chromedriver
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            delete_session(self.port, &session);
        }
        kill_group(&mut self.driver);
        // then `tmp` (profile and log) is removed with the other fields
    }
}
