//! One load: the defaults, then the file, then the environment, then the checks that involve
//! more than one key. Every problem found on the way is kept, and all are reported together.

use std::collections::{HashMap, HashSet};

use super::draft::Draft;
use super::error::{ConfigError, Diagnostic, Location};
use super::keys::{Key, key};
use super::{Config, EsAuth};

// The keys that the checks across keys name.
const USERNAME: &str = "elasticsearch.username";
const PASSWORD: &str = "elasticsearch.passwordFile";
const API_KEY: &str = "elasticsearch.apiKeyFile";
const SEND_LEASE: &str = "telemetry.sendLeaseSeconds";
const TIMEOUT: &str = "http.timeoutSeconds";

pub(super) struct Loader<'e> {
    pub draft: Draft,
    pub env: &'e dyn Fn(&str) -> Option<String>,
    path: String,
    diagnostics: Vec<Diagnostic>,
    /// Where each key that was set got its value, so that a check across keys can point there.
    origins: HashMap<&'static str, Location>,
    /// Keys with a refused value: checks across keys leave them out rather than guess.
    refused: HashSet<&'static str>,
}

/// The configuration of the file `path` holding `text`, overridden by `env`.
pub(super) fn load(
    path: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut loader = Loader {
        draft: Draft::with_defaults(),
        env,
        path: path.to_owned(),
        diagnostics: Vec::new(),
        origins: HashMap::new(),
        refused: HashSet::new(),
    };
    let file_read = loader.read_file(path, text);
    loader.read_env();
    // With broken syntax no key of the file was read: checks across keys would be guesses.
    let auth = if file_read {
        loader.check_across()
    } else {
        None
    };
    let mut diagnostics = loader.diagnostics;
    if diagnostics.is_empty() {
        return Ok(loader.draft.into_config(auth));
    }
    diagnostics.sort_by_key(|d| d.at.order());
    Err(ConfigError::Invalid(diagnostics))
}

impl Loader<'_> {
    pub(super) fn report(&mut self, at: Location, message: String) {
        self.diagnostics.push(Diagnostic { at, message });
    }

    pub(super) fn accept(&mut self, key: &'static Key, at: Location) {
        self.origins.insert(key.name, at);
    }

    pub(super) fn refuse(&mut self, key: &'static Key, at: Location, message: String) {
        self.refused.insert(key.name);
        self.report(at, message);
    }

    /// Where the first of `names` that was set got its value.
    fn origin(&self, names: &[&str]) -> Location {
        names
            .iter()
            .find_map(|name| self.origins.get(name).cloned())
            // Only keys that were set can conflict, so this is not reached.
            .unwrap_or_else(|| Location::File {
                path: self.path.clone(),
                line: 1,
                col: 1,
            })
    }

    fn any_refused(&self, names: &[&str]) -> bool {
        names.iter().any(|name| self.refused.contains(name))
    }

    /// The rules that involve two keys; returns the Elasticsearch credentials.
    fn check_across(&mut self) -> Option<EsAuth> {
        let c = &self.draft.config;
        if !self.any_refused(&[SEND_LEASE, TIMEOUT]) && c.send_lease < c.http.timeout * 2 {
            let message = format!(
                "`{SEND_LEASE}` ({:?}) must be at least twice `{TIMEOUT}` ({:?}): a lease must outlast the send it protects",
                c.send_lease, c.http.timeout
            );
            self.report(self.origin(&[SEND_LEASE, TIMEOUT]), message);
        }
        if self.any_refused(&[USERNAME, PASSWORD, API_KEY]) {
            return None;
        }
        let es = std::mem::take(&mut self.draft.es);
        match (es.username, es.password, es.api_key) {
            (_, _, Some(key)) => Some(EsAuth::ApiKey(key)),
            (Some(username), Some(password), None) => Some(EsAuth::Basic { username, password }),
            (Some(_), None, None) => {
                let message = format!(
                    "`{USERNAME}` needs a password: set {}",
                    how_to_set(PASSWORD)
                );
                self.report(self.origin(&[USERNAME]), message);
                None
            }
            (None, Some(_), None) => {
                let message = format!("an Elasticsearch password is set but `{USERNAME}` is not");
                self.report(self.origin(&[PASSWORD]), message);
                None
            }
            (None, None, None) => None,
        }
    }
}

/// The key and, if it has one, its environment variable: "a.b or VAR".
fn how_to_set(name: &str) -> String {
    match key(name).and_then(|k| k.env) {
        Some(var) => format!("{name} or {var}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_named_by_checks_across_keys_exist() {
        for name in [USERNAME, PASSWORD, API_KEY, SEND_LEASE, TIMEOUT] {
            assert!(key(name).is_some(), "{name} is not in the key table");
        }
    }
}
