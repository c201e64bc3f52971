//! Who may read what. A document is `public` (anyone, even without a
//! token), `internal` (any identified reader) or `restricted` (readers of
//! its `teams`; admins see everything). The level comes from the front
//! matter (`visibility:`, `teams:`) or, failing that, from the first
//! matching `[[visibility]]` folder rule of the schema.
//!
//! Each document is indexed with the *access terms* that grant it
//! (`public`, `internal`, `team:dba`), and every query carries the terms of
//! its viewer as a mandatory filter, so hidden documents never reach
//! counts, facets, snippets, suggestions or related lists: nothing is
//! filtered after the fact.

use std::collections::BTreeSet;

use globset::GlobMatcher;
use serde::Serialize;

/// How widely a document may be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone, including anonymous readers.
    Public,
    /// Any identified reader.
    Internal,
    /// Only the listed teams (and admins).
    Restricted,
}

impl std::str::FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Visibility, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" => Ok(Visibility::Public),
            "internal" => Ok(Visibility::Internal),
            "restricted" => Ok(Visibility::Restricted),
            other => Err(format!(
                "visibility '{other}' is not one of: public, internal, restricted"
            )),
        }
    }
}

/// Term of public documents.
pub const PUBLIC: &str = "public";
/// Term of internal documents.
pub const INTERNAL: &str = "internal";
/// Term of restricted documents without teams: admins only.
pub const NOBODY: &str = "restricted";

/// A document's access: its level and, when restricted, its teams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocAccess {
    /// The level.
    pub visibility: Visibility,
    /// Teams that may read it (restricted documents).
    pub teams: Vec<String>,
}

impl Default for DocAccess {
    fn default() -> Self {
        DocAccess {
            visibility: Visibility::Public,
            teams: Vec::new(),
        }
    }
}

impl DocAccess {
    /// The index terms granting this document.
    pub fn terms(&self) -> Vec<String> {
        match self.visibility {
            Visibility::Public => vec![PUBLIC.to_string()],
            Visibility::Internal => vec![INTERNAL.to_string()],
            Visibility::Restricted if self.teams.is_empty() => vec![NOBODY.to_string()],
            Visibility::Restricted => self.teams.iter().map(|t| team_term(t)).collect(),
        }
    }
}

/// The access term of a team.
pub fn team_term(team: &str) -> String {
    format!("team:{}", normalize_team(team))
}

/// Team names compare trimmed and case-folded (`DBA` = `dba`).
pub fn normalize_team(team: &str) -> String {
    team.trim().to_lowercase()
}

/// A `[[visibility]]` folder rule of the schema.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The glob as written.
    pub glob: String,
    /// Compiled glob.
    pub matcher: GlobMatcher,
    /// The access it gives.
    pub access: DocAccess,
}

/// The schema's visibility defaults.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Level of files no rule matches.
    pub default: Option<Visibility>,
    /// Folder rules; the first match wins.
    pub rules: Vec<Rule>,
}

impl Policy {
    /// The default access of a corpus path.
    pub fn for_path(&self, id: &str) -> DocAccess {
        self.rules
            .iter()
            .find(|r| r.matcher.is_match(id))
            .map(|r| r.access.clone())
            .unwrap_or(DocAccess {
                visibility: self.default.unwrap_or(Visibility::Public),
                teams: Vec::new(),
            })
    }

    /// A stable description, for the schema fingerprint.
    pub fn describe(&self) -> String {
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|r| format!("{}={:?}{:?}", r.glob, r.access.visibility, r.access.teams))
            .collect();
        format!("{:?}|{}", self.default, rules.join(","))
    }
}

/// Whose eyes a request has: what it may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// No identity: public documents only.
    Anonymous,
    /// An identified reader and their teams.
    Member {
        /// Token or proxy user name, for the audit log.
        name: String,
        /// Normalised team names.
        teams: BTreeSet<String>,
    },
    /// Admins and local tools (the CLI): everything.
    All,
}

/// Everything: the viewer of local tools (CLI, benchmarks, tests of the
/// library). The HTTP layer never uses the default; it names the caller.
impl Default for Viewer {
    fn default() -> Self {
        Viewer::All
    }
}

impl Viewer {
    /// A member with `teams`.
    pub fn member(name: &str, teams: &[String]) -> Viewer {
        Viewer::Member {
            name: name.to_string(),
            teams: teams.iter().map(|t| normalize_team(t)).collect(),
        }
    }

    /// The access terms this viewer may see; `None` when unrestricted.
    pub fn terms(&self) -> Option<Vec<String>> {
        match self {
            Viewer::All => None,
            Viewer::Anonymous => Some(vec![PUBLIC.to_string()]),
            Viewer::Member { teams, .. } => {
                let mut terms = vec![PUBLIC.to_string(), INTERNAL.to_string()];
                terms.extend(teams.iter().map(|t| format!("team:{t}")));
                Some(terms)
            }
        }
    }

    /// Whether a document with access `terms` is visible.
    pub fn can_see(&self, terms: &[String]) -> bool {
        match self.terms() {
            None => true,
            Some(mine) => terms.iter().any(|t| mine.contains(t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(v: Visibility, teams: &[&str]) -> DocAccess {
        DocAccess {
            visibility: v,
            teams: teams.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn each_viewer_sees_exactly_its_levels() {
        let public = access(Visibility::Public, &[]).terms();
        let internal = access(Visibility::Internal, &[]).terms();
        let network = access(Visibility::Restricted, &["Network"]).terms();
        let nobody = access(Visibility::Restricted, &[]).terms();
        let anon = Viewer::Anonymous;
        let dba = Viewer::member("lin", &["dba".into()]);
        let net = Viewer::member("wu", &[" NETWORK ".into()]);
        let see = |v: &Viewer| {
            [&public, &internal, &network, &nobody]
                .iter()
                .map(|t| v.can_see(t))
                .collect::<Vec<_>>()
        };
        assert_eq!(see(&anon), [true, false, false, false]);
        assert_eq!(see(&dba), [true, true, false, false]);
        assert_eq!(see(&net), [true, true, true, false]);
        assert_eq!(see(&Viewer::All), [true, true, true, true]);
    }

    #[test]
    fn levels_parse_strictly() {
        assert_eq!(" Internal ".parse::<Visibility>(), Ok(Visibility::Internal));
        assert!("restircted".parse::<Visibility>().is_err());
    }
}
