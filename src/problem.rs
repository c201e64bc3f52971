//! Problems: what went wrong with one corpus file (DESIGN principle 7).
//!
//! A bad file never stops the service; it becomes a `Problem` recorded against
//! its path, shown by `baton check`, and stored with the document in the index.

use serde::{Deserialize, Serialize};

/// How serious a problem is: errors fail `baton check`, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file breaks the schema or cannot be read fully.
    Error,
    /// Worth fixing, but the document is complete.
    Warning,
}

/// One problem found in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// Document id (corpus-relative path).
    pub path: String,
    /// 1-based line in the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Stable machine-readable code, e.g. `front-matter`.
    pub code: String,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

impl Problem {
    /// An error-level problem.
    pub fn error(path: &str, line: Option<usize>, code: &str, message: impl Into<String>) -> Self {
        Self::new(path, line, code, message.into(), Severity::Error)
    }

    /// A warning-level problem.
    pub fn warning(
        path: &str,
        line: Option<usize>,
        code: &str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(path, line, code, message.into(), Severity::Warning)
    }

    fn new(
        path: &str,
        line: Option<usize>,
        code: &str,
        message: String,
        severity: Severity,
    ) -> Self {
        Problem {
            path: path.to_string(),
            line,
            code: code.to_string(),
            message,
            severity,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: {level}[{}]: {}",
                self.path, self.code, self.message
            ),
            None => write!(f, "{}: {level}[{}]: {}", self.path, self.code, self.message),
        }
    }
}
