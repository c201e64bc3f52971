//! Document identity: the path of a file relative to the corpus root.
//!
//! A [`DocId`] is built only by [`DocId::parse`] or [`DocId::from_path`], which
//! normalise separators and refuse anything that could name a file outside the
//! corpus (absolute paths, `..`, drive prefixes, NUL). Code holding a `DocId`
//! can join it to the corpus root without further checks.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Longest id accepted; well above real paths, low enough to keep keys small.
pub const MAX_DOC_ID_BYTES: usize = 1024;

/// A normalised, corpus-relative path with forward slashes (`runbooks/a.md`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct DocId(String);

/// Why a string or path is not a valid document id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocIdError {
    /// Empty after normalisation.
    #[error("document id is empty")]
    Empty,
    /// Absolute paths would escape the corpus root.
    #[error("document id must be relative to the corpus root: {0}")]
    Absolute(String),
    /// `..` components could escape the corpus root.
    #[error("document id must not contain '..': {0}")]
    ParentDir(String),
    /// Control characters have no place in file names we serve.
    #[error("document id contains a control character")]
    ControlChar,
    /// Over [`MAX_DOC_ID_BYTES`].
    #[error("document id is longer than {MAX_DOC_ID_BYTES} bytes")]
    TooLong,
    /// The path is not under the corpus root.
    #[error("path is outside the corpus: {0}")]
    OutsideCorpus(String),
    /// Not valid UTF-8, so it cannot be an id in URLs and JSON.
    #[error("path is not valid UTF-8: {0}")]
    NotUtf8(String),
}

impl DocId {
    /// Parses a user- or URL-supplied id, normalising `\` and `./`.
    pub fn parse(raw: &str) -> Result<DocId, DocIdError> {
        if raw.len() > MAX_DOC_ID_BYTES {
            return Err(DocIdError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(DocIdError::ControlChar);
        }
        let unified = raw.replace('\\', "/");
        if unified.starts_with('/') || looks_like_drive(&unified) {
            return Err(DocIdError::Absolute(raw.to_string()));
        }
        let mut parts = Vec::new();
        for part in unified.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(DocIdError::ParentDir(raw.to_string())),
                other => parts.push(other),
            }
        }
        if parts.is_empty() {
            return Err(DocIdError::Empty);
        }
        Ok(DocId(parts.join("/")))
    }

    /// The id of `path`, which must lie under `root`.
    pub fn from_path(root: &Path, path: &Path) -> Result<DocId, DocIdError> {
        let rel = path
            .strip_prefix(root)
            .map_err(|_| DocIdError::OutsideCorpus(path.display().to_string()))?;
        let mut parts = Vec::new();
        for component in rel.components() {
            match component {
                Component::Normal(name) => parts.push(
                    name.to_str()
                        .ok_or_else(|| DocIdError::NotUtf8(path.display().to_string()))?,
                ),
                Component::CurDir => {}
                _ => return Err(DocIdError::OutsideCorpus(path.display().to_string())),
            }
        }
        DocId::parse(&parts.join("/"))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file this id names under `root`.
    pub fn to_path(&self, root: &Path) -> PathBuf {
        self.0
            .split('/')
            .fold(root.to_path_buf(), |p, part| p.join(part))
    }

    /// The file name without its extension, the title of last resort.
    pub fn stem(&self) -> &str {
        let name = self.0.rsplit('/').next().unwrap_or(&self.0);
        match name.rfind('.') {
            Some(dot) if dot > 0 => &name[..dot],
            _ => name,
        }
    }

    /// The folder part of the id ("" at the root).
    pub fn folder(&self) -> &str {
        match self.0.rfind('/') {
            Some(slash) => &self.0[..slash],
            None => "",
        }
    }

    /// The corpus path that `target` (a path relative to this document, or
    /// corpus-absolute with a leading `/`) names; `None` when it climbs out
    /// of the corpus.
    pub fn join(&self, target: &str) -> Option<DocId> {
        let joined = match (target.strip_prefix('/'), self.folder()) {
            (Some(abs), _) => abs.to_string(),
            (None, "") => target.to_string(),
            (None, folder) => format!("{folder}/{target}"),
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                p => parts.push(p),
            }
        }
        DocId::parse(&parts.join("/")).ok()
    }

    /// The web page URL of this document, percent-encoded.
    pub fn url(&self) -> String {
        format!("/doc/{}", percent_encode_path(&self.0))
    }
}

fn looks_like_drive(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_separators_and_dots() {
        let id = DocId::parse(r".\runbooks\core-banking\日終批次.md").unwrap();
        assert_eq!(id.as_str(), "runbooks/core-banking/日終批次.md");
        assert_eq!(id.stem(), "日終批次");
        assert_eq!(id.folder(), "runbooks/core-banking");
    }

    #[test]
    fn refuses_escapes() {
        assert!(matches!(
            DocId::parse("../etc/passwd"),
            Err(DocIdError::ParentDir(_))
        ));
        assert!(matches!(
            DocId::parse("a/../../b.md"),
            Err(DocIdError::ParentDir(_))
        ));
        assert!(matches!(
            DocId::parse("/etc/passwd"),
            Err(DocIdError::Absolute(_))
        ));
        assert!(matches!(
            DocId::parse("C:/x.md"),
            Err(DocIdError::Absolute(_))
        ));
        assert_eq!(DocId::parse("a\0b"), Err(DocIdError::ControlChar));
        assert_eq!(DocId::parse("./"), Err(DocIdError::Empty));
    }

    #[test]
    fn from_path_requires_root() {
        let root = Path::new("/corpus");
        let id = DocId::from_path(root, Path::new("/corpus/faq/x.md")).unwrap();
        assert_eq!(id.as_str(), "faq/x.md");
        assert!(DocId::from_path(root, Path::new("/other/x.md")).is_err());
    }

    #[test]
    fn url_is_percent_encoded() {
        let id = DocId::parse("runbooks/日終 批次.md").unwrap();
        assert_eq!(
            id.url(),
            "/doc/runbooks/%E6%97%A5%E7%B5%82%20%E6%89%B9%E6%AC%A1.md"
        );
    }
}
