//! Configuration: flags > `BATON_*` environment > `baton.toml` > defaults.
//!
//! clap already merges flags and environment variables into [`Overrides`];
//! [`Config::resolve`] fills what is still unset from the config file, then
//! from the defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::document::DEFAULT_MAX_FILE_BYTES;
use crate::watch::{DEFAULT_POLL_INTERVAL, DEFAULT_RECONCILE_INTERVAL};

/// Where `baton serve` listens by default: loopback only; exposing it is a
/// deliberate act (a reverse proxy, or `--addr`).
pub const DEFAULT_ADDR: &str = "127.0.0.1:7700";

/// Config file read from the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "baton.toml";

/// Search responses the server keeps for the current index generation.
pub const DEFAULT_SEARCH_CACHE_ENTRIES: usize = 1024;

/// Settings given on the command line or in the environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Corpus folder.
    pub corpus: Option<PathBuf>,
    /// Data folder (index, tokens).
    pub data: Option<PathBuf>,
    /// Schema folder.
    pub schema: Option<PathBuf>,
    /// Largest file read in full.
    pub max_file_bytes: Option<u64>,
    /// Config file.
    pub config: Option<PathBuf>,
    /// Poll the corpus instead of using inotify.
    pub poll: bool,
    /// API reads need a reader token.
    pub require_read_token: bool,
}

/// The resolved configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Corpus folder (default `./corpus`).
    pub corpus: PathBuf,
    /// Data folder (default `./.baton`).
    pub data: PathBuf,
    /// Schema folder; `None` means the built-in schema.
    pub schema: Option<PathBuf>,
    /// Largest file read in full.
    pub max_file_bytes: u64,
    /// Extra corpus-relative globs that are not documents.
    pub ignore: Vec<String>,
    /// Poll instead of inotify (network file systems).
    pub poll: bool,
    /// Poll period in poll mode.
    pub poll_interval: Duration,
    /// Safety-net full reconciliation period while watching.
    pub reconcile_interval: Duration,
    /// Address `baton serve` listens on.
    pub addr: String,
    /// API reads need a reader token.
    pub require_read_token: bool,
    /// Reverse proxies whose identity headers are believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Header naming the user behind a trusted proxy.
    pub proxy_user_header: String,
    /// Header listing that user's groups (comma-separated), taken as teams.
    pub proxy_groups_header: String,
    /// Search responses kept per index generation (0 turns the cache off).
    pub search_cache_entries: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    corpus: Option<PathBuf>,
    data: Option<PathBuf>,
    schema: Option<PathBuf>,
    max_file_bytes: Option<u64>,
    addr: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
    poll: Option<bool>,
    poll_interval_secs: Option<u64>,
    reconcile_interval_secs: Option<u64>,
    require_read_token: Option<bool>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    proxy_user_header: Option<String>,
    proxy_groups_header: Option<String>,
    search_cache_entries: Option<usize>,
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Config {
    /// Merges overrides, the config file and defaults.
    pub fn resolve(o: &Overrides) -> Result<Config, ConfigError> {
        let file = match &o.config {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileConfig::default(),
        };
        let default_schema = Path::new("index-schema");
        let schema = o.schema.clone().or(file.schema).or_else(|| {
            default_schema
                .join("schema.toml")
                .exists()
                .then(|| default_schema.to_path_buf())
        });
        let trusted_proxies = file
            .trusted_proxies
            .iter()
            .map(|p| {
                p.trim().parse().map_err(|_| ConfigError {
                    path: o
                        .config
                        .clone()
                        .unwrap_or_else(|| DEFAULT_CONFIG_FILE.into())
                        .display()
                        .to_string(),
                    message: format!("trusted_proxies: '{p}' is not an IP address"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let search_cache_entries = std::env::var("BATON_SEARCH_CACHE_ENTRIES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .or(file.search_cache_entries)
            .unwrap_or(DEFAULT_SEARCH_CACHE_ENTRIES);
        Ok(Config {
            search_cache_entries,
            trusted_proxies,
            proxy_user_header: file
                .proxy_user_header
                .unwrap_or_else(|| "X-Forwarded-User".into()),
            proxy_groups_header: file
                .proxy_groups_header
                .unwrap_or_else(|| "X-Forwarded-Groups".into()),
            corpus: o
                .corpus
                .clone()
                .or(file.corpus)
                .unwrap_or_else(|| PathBuf::from("corpus")),
            data: o
                .data
                .clone()
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from(".baton")),
            schema,
            max_file_bytes: o
                .max_file_bytes
                .or(file.max_file_bytes)
                .unwrap_or(DEFAULT_MAX_FILE_BYTES),
            addr: file.addr.unwrap_or_else(|| DEFAULT_ADDR.to_string()),
            ignore: file.ignore,
            poll: o.poll || file.poll.unwrap_or(false),
            require_read_token: o.require_read_token || file.require_read_token.unwrap_or(false),
            poll_interval: file
                .poll_interval_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_POLL_INTERVAL),
            reconcile_interval: file
                .reconcile_interval_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_RECONCILE_INTERVAL),
        })
    }
}

impl Config {
    /// Identity from trusted proxies, when any are configured.
    pub fn proxy_auth(&self) -> Option<crate::server::access::ProxyAuth> {
        (!self.trusted_proxies.is_empty()).then(|| crate::server::access::ProxyAuth {
            trusted: self.trusted_proxies.clone(),
            user_header: self.proxy_user_header.clone(),
            groups_header: self.proxy_groups_header.clone(),
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let err = |message: String| ConfigError {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let config: FileConfig = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| crate::schema::line_of(&text, s.start))
            .unwrap_or(1);
        err(format!("line {line}: {}", e.message().trim()))
    })?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baton.toml");
        std::fs::write(&file, "corpus = \"from-file\"\nmax_file_bytes = 5\n").unwrap();
        let o = Overrides {
            corpus: None,
            data: Some("from-flag".into()),
            config: Some(file.clone()),
            ..Default::default()
        };
        let c = Config::resolve(&o).unwrap();
        assert_eq!(c.corpus, PathBuf::from("from-file"));
        assert_eq!(c.data, PathBuf::from("from-flag"));
        assert_eq!(c.max_file_bytes, 5);
        let o = Overrides {
            corpus: Some("flag".into()),
            config: Some(file),
            ..Default::default()
        };
        assert_eq!(Config::resolve(&o).unwrap().corpus, PathBuf::from("flag"));
    }

    #[test]
    fn bad_file_names_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baton.toml");
        std::fs::write(&file, "corpus = \"x\"\ncorpse = 1\n").unwrap();
        let o = Overrides {
            config: Some(file),
            ..Default::default()
        };
        let e = Config::resolve(&o).unwrap_err();
        assert!(e.message.contains("line 2"), "{e}");
    }
}
