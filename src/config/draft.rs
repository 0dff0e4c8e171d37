//! The configuration while it is read: a [`Config`] the key rules write into, plus what only
//! makes sense once every key is read (credentials, the items of arrays of tables).

use std::path::PathBuf;
use std::time::Duration;

use super::keys::{KEYS, Preset};
use super::{
    Config, ControlConfig, ElasticsearchConfig, EngineConfig, EsAuth, HttpConfig, OptimizeConfig,
    RetryPolicy, StateConfig, StoreKind, TokenConfig,
};

pub(super) struct Draft {
    pub config: Config,
    pub es: EsDraft,
    pub engines: Vec<EngineDraft>,
    pub tokens: Vec<TokenDraft>,
}

/// Elasticsearch credentials, combined into an [`EsAuth`] at the end.
#[derive(Default)]
pub(super) struct EsDraft {
    pub username: Option<String>,
    pub password: Option<String>,
    pub api_key: Option<String>,
}

#[derive(Default)]
pub(super) struct EngineDraft {
    pub name: Option<String>,
    pub rest: Option<reqwest::Url>,
}

#[derive(Default)]
pub(super) struct TokenDraft {
    pub user_id: Option<String>,
    pub sha256: Option<[u8; 32]>,
    pub expires: Option<crate::clock::Timestamp>,
}

impl Draft {
    /// Every key at its [`Preset`]. The defaults go through the keys' rules like file values; a
    /// unit test proves each passes, so nothing is reported here.
    pub fn with_defaults() -> Self {
        let mut draft = Self::blank();
        for key in KEYS {
            if let Preset::Value(literal) = key.default {
                let applied = super::file::apply_literal(&mut draft, key, literal);
                debug_assert!(applied.is_ok(), "{}: {applied:?}", key.name);
            }
        }
        draft
    }

    /// The shape before any key is applied. Every value here is a placeholder that a key's
    /// default replaces, or the "unset" of an optional one; none of them is a default.
    fn blank() -> Self {
        let config = Config {
            initialize_telemetry: false,
            interval: Duration::ZERO,
            endpoint: None,
            initial_delay: Duration::ZERO,
            send_lease: Duration::ZERO,
            state_poll: Duration::ZERO,
            retry: RetryPolicy {
                max_attempts: 0,
                base: Duration::ZERO,
                cap: Duration::ZERO,
            },
            http: HttpConfig {
                ca_file: None,
                proxy: None,
                timeout: Duration::ZERO,
                source_timeout: Duration::ZERO,
            },
            optimize: OptimizeConfig::default(),
            elasticsearch: ElasticsearchConfig {
                url: reqwest::Url::parse("unset:")
                    .unwrap_or_else(|_| unreachable!("a constant, valid URL")),
                index_prefix: String::new(),
                auth: None,
            },
            license_file: None,
            engines: Vec::new(),
            state: StateConfig {
                kind: StoreKind::Embedded,
                dir: PathBuf::new(),
            },
            control: ControlConfig {
                enabled: false,
                address: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
                super_user_ids: Vec::new(),
                tokens: Vec::new(),
                metrics_public: false,
            },
            kill_switch: None,
        };
        Self {
            config,
            es: EsDraft::default(),
            engines: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// The engine whose fields are being read: the last one started.
    pub fn engine(&mut self) -> &mut EngineDraft {
        last(&mut self.engines)
    }

    /// The token whose fields are being read.
    pub fn token(&mut self) -> &mut TokenDraft {
        last(&mut self.tokens)
    }

    /// The configuration, once every problem has been reported: items missing a field were
    /// reported, so they are dropped here.
    pub fn into_config(mut self, auth: Option<EsAuth>) -> Config {
        self.config.elasticsearch.auth = auth;
        self.config.engines = self
            .engines
            .into_iter()
            .filter_map(|e| {
                Some(EngineConfig {
                    name: e.name?,
                    rest: e.rest?,
                })
            })
            .collect();
        self.config.control.tokens = self
            .tokens
            .into_iter()
            .filter_map(|t| {
                Some(TokenConfig {
                    user_id: t.user_id?,
                    sha256: t.sha256?,
                    expires: t.expires,
                })
            })
            .collect();
        let retry = &mut self.config.retry;
        retry.cap = retry.cap.max(retry.base);
        self.config
    }
}

fn last<T: Default>(items: &mut Vec<T>) -> &mut T {
    if items.is_empty() {
        items.push(T::default());
    }
    let n = items.len() - 1;
    &mut items[n]
}
