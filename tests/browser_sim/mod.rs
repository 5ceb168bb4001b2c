//! A browser, as far as the sign-in flow is concerned, over plain HTTP:
//! a cookie jar (name → value, honouring `Max-Age=0`), redirects followed
//! by hand so each hop can be looked at, and the managed login's form
//! filled in. Not every test binary uses every piece.
#![allow(dead_code)]

use std::collections::BTreeMap;

use reqwest::header::{self, HeaderMap};

/// One answer, with what the test looks at.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

/// A browser: cookies per host, kept across requests.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: BTreeMap<(String, String), String>,
    pub accept: &'static str,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            accept: "text/html,application/xhtml+xml",
        }
    }
}

fn host_of(url: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    )
}

impl Browser {
    /// The cookie header this browser sends to `url`.
    pub fn cookie_header(&self, url: &str) -> String {
        let host = host_of(url);
        self.cookies
            .iter()
            .filter(|((cookie_host, _), _)| *cookie_host == host)
            .map(|((_, name), value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of a cookie this browser holds for `url`'s host.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookies.get(&(host_of(url), name.to_owned())).cloned()
    }

    fn remember(&mut self, url: &str, headers: &HeaderMap) -> Vec<String> {
        let host = host_of(url);
        let mut seen = Vec::new();
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap().to_owned();
            let (pair, attributes) = text.split_once(';').unwrap_or((&text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let key = (host.clone(), name.trim().to_owned());
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(&key);
            } else {
                self.cookies.insert(key, value.trim().to_owned());
            }
            seen.push(text);
        }
        seen
    }

    async fn send(&mut self, request: reqwest::RequestBuilder, url: &str) -> Page {
        let cookie = self.cookie_header(url);
        let mut request = request.header(header::ACCEPT, self.accept);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let set_cookies = self.remember(url, &headers);
        let location = headers
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        Page {
            status,
            location,
            set_cookies,
            body: response.text().await.unwrap(),
        }
    }

    /// `GET url`, without following a redirect.
    pub async fn get(&mut self, url: &str) -> Page {
        let request = self.http.get(url);
        self.send(request, url).await
    }

    /// `POST url` with a form body and extra headers.
    pub async fn post(
        &mut self,
        url: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().copied())
            .finish();
        let mut request = self
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request, url).await
    }

    /// `GET url`, following redirects (relative ones against the URL they
    /// came from); every page on the way.
    pub async fn follow(&mut self, url: &str) -> Vec<(String, Page)> {
        let mut pages = Vec::new();
        let mut url = url.to_owned();
        for _ in 0..10 {
            let page = self.get(&url).await;
            let next = page.location.clone();
            pages.push((url.clone(), page));
            match next {
                Some(location) => url = absolute(&url, &location),
                None => return pages,
            }
        }
        panic!("too many redirects from {url}");
    }

    /// Signs in from `start` (a page of the app that sends the browser to
    /// sign in): follows to the managed login's form, submits it, follows
    /// back; every page after the form.
    pub async fn sign_in(
        &mut self,
        start: &str,
        username: &str,
        password: &str,
    ) -> Vec<(String, Page)> {
        let pages = self.follow(start).await;
        let (form_url, form) = pages.last().unwrap().clone();
        assert!(
            form.body.contains("name=\"username\"") && form.body.contains("name=\"password\""),
            "expected the sign-in form at {form_url}: {}",
            form.body
        );
        let action = form_action(&form.body);
        let submit = absolute(&form_url, &action);
        let answer = self
            .post(
                &submit,
                &[("username", username), ("password", password)],
                &[],
            )
            .await;
        let mut after = vec![(submit.clone(), answer.clone())];
        if let Some(location) = answer.location {
            after.extend(self.follow(&absolute(&submit, &location)).await);
        }
        after
    }
}

/// `location` resolved against `base`.
pub fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The form's `action`, with `&amp;` decoded.
pub fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form action") + "action=\"".len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}
