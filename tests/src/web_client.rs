//! A browser-like HTTP client for the page tests: keeps cookies (checking that each is
//! HttpOnly and SameSite=Strict), follows no redirect, remembers every HTML page, signs in
//! through the pages with the code from a real SMTP server.
#![allow(clippy::unwrap_used)]

use crate::html_checks::select_attr;
use crate::smtp::{SmtpServer, code_mailed};
use std::collections::HashMap;

/// A browser-like client: keeps cookies, does not follow redirects, remembers every page.
pub struct Web {
    /// The server's address.
    pub base: String,
    http: reqwest::Client,
    /// The cookies it holds.
    pub cookies: HashMap<String, String>,
    /// Every HTML page it received: `(path, body)`.
    pub pages: Vec<(String, String)>,
}

/// A response.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// The `Location` header.
    pub location: Option<String>,
    /// The body.
    pub body: String,
}

impl Web {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Web {
        Web {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            pages: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, path: &str, res: reqwest::Response) -> Answer {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict"), "cookie {v}");
            if val.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        let html = res
            .headers()
            .get("content-type")
            .is_some_and(|c| c.to_str().unwrap().starts_with("text/html"));
        let body = res.text().await.unwrap();
        if html {
            self.pages.push((path.to_string(), body.clone()));
        }
        Answer { status, location, body }
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> Answer {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(path, res).await
    }

    /// POST a form to `path`.
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(pairs)
            .send()
            .await
            .unwrap();
        self.finish(path, res).await
    }

    /// The CSRF token of a page.
    pub fn csrf(page: &str) -> String {
        select_attr(page, "input[name=csrf]", "value")
            .into_iter()
            .next()
            .unwrap()
    }

    /// Signs in through the pages; returns the start page's path.
    pub async fn sign_in(&mut self, smtp: &SmtpServer, login: &str, password: &str, nth_code: usize) -> String {
        self.sign_in_as(smtp, "officer", login, password, nth_code).await
    }

    /// Signs in through the pages choosing `as_` (`self`, `employer`, `agency`, `officer`).
    pub async fn sign_in_as(
        &mut self,
        smtp: &SmtpServer,
        as_: &str,
        login: &str,
        password: &str,
        nth_code: usize,
    ) -> String {
        let page = self.get("/").await;
        assert_eq!(page.status, 200);
        let csrf = Web::csrf(&page.body);
        let step = self
            .post(
                "/sign-in",
                &[("csrf", &csrf), ("as", as_), ("login", login), ("password", password)],
            )
            .await;
        assert_eq!(step.status, 200, "{}", step.body);
        let challenge = select_attr(&step.body, "input[name=challenge_id]", "value").remove(0);
        let code = code_mailed(smtp, &format!("{login}@goldcard.example"), nth_code).await;
        let done = self
            .post(
                "/sign-in/code",
                &[
                    ("csrf", &csrf),
                    ("as", as_),
                    ("challenge_id", &challenge),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert!(self.cookies.contains_key("goldcard_session"));
        done.location.unwrap()
    }

    /// Fires an action of the case page (with its CSRF token and version).
    pub async fn act(&mut self, case: &str, event: &str, extra: &[(&str, &str)]) -> Answer {
        let page = self.get(&format!("/office/cases/{case}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = Web::csrf(&page.body);
        let version = select_attr(&page.body, "input[name=version]", "value")
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut pairs = vec![
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("confirm", "yes"),
        ];
        pairs.extend_from_slice(extra);
        self.post(&format!("/office/cases/{case}/events/{event}"), &pairs).await
    }

    /// POST a multipart form to `path`: text pairs and files `(field, file name, bytes)`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        pairs: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in pairs {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(path, res).await
    }
}
