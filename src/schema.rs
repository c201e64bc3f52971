//! The index schema as data (DESIGN principle 4).
//!
//! `index-schema/schema.toml` declares document kinds, their front-matter
//! fields, folder-to-kind rules and staleness limits. [`Schema::load`] checks it
//! once at start; any mistake is a [`SchemaError`] naming the file and line.
//! The [`Schema::fingerprint`] changes whenever the schema or the analysis
//! pipeline changes, which makes the index rebuild itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::analysis::lexicon::Lexicon;
use crate::analysis::{Analyzer, DEFAULT_USER_DICT};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use toml::Spanned;

/// The schema shipped with baton, used when no `index-schema/` folder exists.
pub const DEFAULT_SCHEMA: &str = include_str!("../index-schema/schema.toml");

/// The shipped synonym groups, used when `index-schema/` has no `synonyms.txt`.
pub const DEFAULT_SYNONYMS: &str = include_str!("../index-schema/synonyms.txt");

/// The shipped query stop words, used when `index-schema/` has no `stopwords.txt`.
pub const DEFAULT_STOP_WORDS: &str = include_str!("../index-schema/stopwords.txt");

/// Optional files of `index-schema/` next to `schema.toml`.
const USER_DICT_FILE: &str = "userdict.txt";
/// Synonym groups, one per line (query time only).
const SYNONYMS_FILE: &str = "synonyms.txt";
/// Words that carry no topic in a query (query time only).
const STOP_WORDS_FILE: &str = "stopwords.txt";

/// Front-matter keys baton itself interprets; schema fields may not reuse them.
const RESERVED_FIELDS: &[&str] = &["id", "title", "kind", "body", "headings", "path"];

/// A schema file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct SchemaError {
    /// The schema file.
    pub file: String,
    /// 1-based line of the mistake (1 when the whole file is at fault).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The type of a front-matter field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Free text, analysed.
    Text,
    /// One exact value.
    Keyword,
    /// A list of exact values.
    Keywords,
    /// A date or date-time.
    Date,
    /// A whole number.
    Integer,
    /// A list of tables; their text values are searchable.
    Records,
}

/// One declared front-matter field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    /// Its type.
    pub ty: FieldType,
    /// Counted in facets and filterable.
    pub facet: bool,
    /// Weight of a match relative to the body.
    pub boost: f32,
}

/// One document kind.
#[derive(Clone, Debug, PartialEq)]
pub struct KindDef {
    /// Front-matter keys this kind uses.
    pub fields: Vec<String>,
    /// Keys it must have.
    pub required: Vec<String>,
    /// Date fields that give its "updated" date, first present wins.
    pub updated_from: Vec<String>,
    /// Days after which a document of this kind counts as stale.
    pub stale_after_days: u32,
    /// Multiplies the relevance of documents of this kind (1.0 = neutral).
    pub boost: f32,
}

/// Weights of the fields every document has.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boosts {
    /// Title weight.
    pub title: f32,
    /// Headings weight.
    pub headings: f32,
    /// File name and path weight.
    pub path: f32,
    /// Body weight.
    pub body: f32,
}

impl Default for Boosts {
    fn default() -> Self {
        Boosts {
            title: 4.0,
            headings: 2.0,
            path: 1.5,
            body: 1.0,
        }
    }
}

/// A folder rule: files matching `glob` are of `kind`.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The glob as written.
    pub glob: String,
    matcher: GlobMatcher,
    /// The kind it assigns.
    pub kind: String,
}

/// One kind every handed-over system must have documents of.
#[derive(Clone, Debug, PartialEq)]
pub struct RequiredKind {
    /// The kind.
    pub kind: String,
    /// Only documents that set this front-matter key count.
    pub with_field: Option<String>,
    /// What gap messages call it ("contact document").
    pub label: String,
}

/// Score lost per gap of each kind.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapWeights {
    /// A required kind with no document.
    pub missing_kind: u32,
    /// A recent incident that links to no runbook.
    pub incident_without_runbook: u32,
    /// A document older than its kind's staleness limit.
    pub stale_doc: u32,
    /// A document of an owner kind without an owner.
    pub no_owner: u32,
}

impl Default for GapWeights {
    fn default() -> Self {
        GapWeights {
            missing_kind: 25,
            incident_without_runbook: 10,
            stale_doc: 5,
            no_owner: 3,
        }
    }
}

/// Rules of handover readiness (`[handover]` in schema.toml).
#[derive(Clone, Debug, PartialEq)]
pub struct HandoverRules {
    /// Kinds each system must have.
    pub required: Vec<RequiredKind>,
    /// Incidents within this many months are part of a handover.
    pub incident_window_months: u32,
    /// Kinds whose documents must name an owner.
    pub owner_kinds: Vec<String>,
    /// Score lost per gap.
    pub weights: GapWeights,
}

impl Default for HandoverRules {
    fn default() -> Self {
        HandoverRules {
            required: Vec::new(),
            incident_window_months: DEFAULT_INCIDENT_WINDOW_MONTHS,
            owner_kinds: Vec::new(),
            weights: GapWeights::default(),
        }
    }
}

/// The validated schema.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Declared fields by name.
    pub fields: BTreeMap<String, FieldDef>,
    /// Kinds by name.
    pub kinds: BTreeMap<String, KindDef>,
    /// Folder rules in order.
    pub rules: Vec<Rule>,
    /// Kind of files no rule matches.
    pub default_kind: String,
    /// Weights of the fixed fields.
    pub boosts: Boosts,
    /// Handover readiness rules (not part of the fingerprint: they do not
    /// shape the index).
    pub handover: HandoverRules,
    /// jieba user dictionary text (`word [freq]` per line); shapes the index.
    pub user_dict: String,
    /// Synonym groups text (comma-separated per line); query time only.
    pub synonyms: String,
    /// Stop words text (one per line); query time only.
    pub stop_words: String,
    /// Who may read what by default (folder rules).
    pub visibility: crate::visibility::Policy,
    /// Synonyms and stop words analysed, built on first use.
    lexicon: Arc<OnceLock<Lexicon>>,
    fingerprint: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    default_kind: Option<Spanned<String>>,
    #[serde(default)]
    boosts: Option<Boosts>,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<RawField>>,
    #[serde(default)]
    kinds: BTreeMap<String, Spanned<RawKind>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    default_visibility: Option<Spanned<String>>,
    #[serde(default)]
    visibility: Vec<Spanned<RawVisibilityRule>>,
    handover: Option<Spanned<RawHandover>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVisibilityRule {
    glob: Spanned<String>,
    visibility: Spanned<String>,
    #[serde(default)]
    teams: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHandover {
    #[serde(default)]
    required: Vec<Spanned<RawRequired>>,
    incident_window_months: Option<Spanned<u32>>,
    #[serde(default)]
    owner_kinds: Vec<Spanned<String>>,
    weights: Option<GapWeights>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequired {
    kind: Spanned<String>,
    with_field: Option<Spanned<String>>,
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    #[serde(rename = "type")]
    ty: FieldType,
    #[serde(default)]
    facet: bool,
    boost: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    #[serde(default)]
    fields: Vec<Spanned<String>>,
    #[serde(default)]
    required: Vec<Spanned<String>>,
    updated_from: Option<Vec<Spanned<String>>>,
    stale_after_days: Option<u32>,
    boost: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    glob: Spanned<String>,
    kind: Spanned<String>,
}

/// Kind boosts outside this range would let the kind, not the text, decide
/// the ranking; they nudge, they do not sort.
const MIN_KIND_BOOST: f32 = 0.5;
/// See [`MIN_KIND_BOOST`].
const MAX_KIND_BOOST: f32 = 2.0;

/// Staleness limit of a kind that does not set one.
const DEFAULT_STALE_AFTER_DAYS: u32 = 365;

/// Incident window of a schema whose `[handover]` does not set one: two
/// years covers two of every yearly event (year-end, audits, DR drills).
const DEFAULT_INCIDENT_WINDOW_MONTHS: u32 = 24;

/// Longest incident window: beyond ten years incidents describe other systems.
const MAX_INCIDENT_WINDOW_MONTHS: u32 = 120;

impl Schema {
    /// Loads `dir/schema.toml`, or the built-in schema when `dir` is `None`.
    pub fn load(dir: Option<&Path>) -> Result<Schema, SchemaError> {
        match dir {
            None => Schema::parse(DEFAULT_SCHEMA, "<built-in index-schema/schema.toml>"),
            Some(dir) => {
                let file: PathBuf = dir.join("schema.toml");
                let text = std::fs::read_to_string(&file).map_err(|e| SchemaError {
                    file: file.display().to_string(),
                    line: 1,
                    message: format!("cannot read schema: {e}"),
                })?;
                let mut schema = Schema::parse(&text, &file.display().to_string())?;
                let read = |name: &str, default: &str| -> Result<String, SchemaError> {
                    let path = dir.join(name);
                    match std::fs::read_to_string(&path) {
                        Ok(text) => Ok(text),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(default.into()),
                        Err(e) => Err(SchemaError {
                            file: path.display().to_string(),
                            line: 1,
                            message: format!("cannot read: {e}"),
                        }),
                    }
                };
                schema.user_dict = read(USER_DICT_FILE, DEFAULT_USER_DICT)?;
                schema.synonyms = read(SYNONYMS_FILE, DEFAULT_SYNONYMS)?;
                schema.stop_words = read(STOP_WORDS_FILE, DEFAULT_STOP_WORDS)?;
                schema.fingerprint = schema.compute_fingerprint();
                Ok(schema)
            }
        }
    }

    /// Synonyms and stop words analysed with `analyzer` (built once).
    pub fn lexicon(&self, analyzer: &Analyzer) -> &Lexicon {
        self.lexicon
            .get_or_init(|| Lexicon::new(analyzer, &self.synonyms, &self.stop_words))
    }

    /// Parses and validates schema text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Schema, SchemaError> {
        let at = |span: std::ops::Range<usize>, message: String| SchemaError {
            file: file.to_string(),
            line: line_of(text, span.start),
            message,
        };
        let raw: RawSchema = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            SchemaError {
                file: file.to_string(),
                line,
                message: e.message().trim().to_string(),
            }
        })?;

        let fields = validate_fields(&raw, &at)?;
        let kinds = validate_kinds(&raw, &fields, &at)?;
        let rules = validate_rules(&raw, &kinds, &at)?;
        let visibility = validate_visibility(&raw, &at)?;
        let default_kind = match &raw.default_kind {
            Some(k) if !kinds.contains_key(k.get_ref()) => {
                return Err(at(
                    k.span(),
                    format!("default_kind '{}' is not a declared kind", k.get_ref()),
                ))
            }
            Some(k) => k.get_ref().clone(),
            None if kinds.contains_key("article") => "article".to_string(),
            None => {
                return Err(at(
                    0..0,
                    "default_kind is missing and there is no 'article' kind".into(),
                ))
            }
        };
        let boosts = raw.boosts.clone().unwrap_or_default();
        let handover = validate_handover(&raw, &fields, &kinds, &at)?;
        let mut schema = Schema {
            fields,
            kinds,
            rules,
            default_kind,
            boosts,
            handover,
            user_dict: DEFAULT_USER_DICT.to_string(),
            synonyms: DEFAULT_SYNONYMS.to_string(),
            stop_words: DEFAULT_STOP_WORDS.to_string(),
            visibility,
            lexicon: Arc::default(),
            fingerprint: String::new(),
        };
        schema.fingerprint = schema.compute_fingerprint();
        Ok(schema)
    }

    /// Hash of everything that shapes the index: the validated schema, the
    /// analysis pipeline version and the user dictionary. Comments in
    /// `schema.toml` do not count; synonyms and stop words (query time only)
    /// do not either.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn compute_fingerprint(&self) -> String {
        let rules: Vec<(&str, &str)> = self
            .rules
            .iter()
            .map(|r| (r.glob.as_str(), r.kind.as_str()))
            .collect();
        let canonical = format!(
            "{:?}|{:?}|{:?}|{}|{:?}|{}|{}|{}",
            self.fields,
            self.kinds,
            rules,
            self.default_kind,
            self.boosts,
            self.visibility.describe(),
            crate::analysis::PIPELINE_VERSION,
            blake3::hash(self.user_dict.as_bytes()).to_hex()
        );
        blake3::hash(canonical.as_bytes()).to_hex()[..32].to_string()
    }

    /// The kind a file gets from the folder rules.
    pub fn kind_for_path(&self, id: &str) -> &str {
        self.rules
            .iter()
            .find(|r| r.matcher.is_match(id))
            .map(|r| r.kind.as_str())
            .unwrap_or(&self.default_kind)
    }

    /// Fields marked `facet = true`, in name order.
    pub fn facet_fields(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(|(_, f)| f.facet)
            .map(|(n, _)| n.as_str())
    }
}

type At<'a> = dyn Fn(std::ops::Range<usize>, String) -> SchemaError + 'a;

fn validate_fields(raw: &RawSchema, at: &At) -> Result<BTreeMap<String, FieldDef>, SchemaError> {
    let mut fields = BTreeMap::new();
    for (name, def) in &raw.fields {
        if !is_field_name(name) || RESERVED_FIELDS.contains(&name.as_str()) {
            return Err(at(
                def.span(),
                format!("field name '{name}' must be lowercase letters, digits and '_', and not one of {RESERVED_FIELDS:?}"),
            ));
        }
        let d = def.get_ref();
        if d.facet && !matches!(d.ty, FieldType::Keyword | FieldType::Keywords) {
            return Err(at(
                def.span(),
                format!("field '{name}': only keyword fields can be facets"),
            ));
        }
        let boost = d.boost.unwrap_or(1.0);
        if !(0.0..=100.0).contains(&boost) {
            return Err(at(
                def.span(),
                format!("field '{name}': boost must be between 0 and 100"),
            ));
        }
        fields.insert(
            name.clone(),
            FieldDef {
                ty: d.ty,
                facet: d.facet,
                boost,
            },
        );
    }
    for required in ["systems", "tags"] {
        match fields.get(required) {
            Some(f) if f.ty == FieldType::Keywords => {}
            _ => {
                return Err(at(
                    0..0,
                    format!("the schema must declare '{required}' as a keywords field"),
                ))
            }
        }
    }
    Ok(fields)
}

fn validate_kinds(
    raw: &RawSchema,
    fields: &BTreeMap<String, FieldDef>,
    at: &At,
) -> Result<BTreeMap<String, KindDef>, SchemaError> {
    let mut kinds = BTreeMap::new();
    for (name, kind) in &raw.kinds {
        if !is_field_name(name) {
            return Err(at(
                kind.span(),
                format!("kind name '{name}' must be lowercase letters, digits and '_'"),
            ));
        }
        let k = kind.get_ref();
        let mut listed: Vec<String> = Vec::new();
        for f in &k.fields {
            if !fields.contains_key(f.get_ref()) {
                return Err(at(
                    f.span(),
                    format!("kind '{name}' lists unknown field '{}'", f.get_ref()),
                ));
            }
            if listed.contains(f.get_ref()) {
                return Err(at(
                    f.span(),
                    format!("kind '{name}' lists field '{}' twice", f.get_ref()),
                ));
            }
            listed.push(f.get_ref().clone());
        }
        let mut required = Vec::new();
        for r in &k.required {
            if !listed.contains(r.get_ref()) {
                return Err(at(
                    r.span(),
                    format!(
                        "kind '{name}' requires '{}', which it does not list in fields",
                        r.get_ref()
                    ),
                ));
            }
            required.push(r.get_ref().clone());
        }
        let updated_from = match &k.updated_from {
            None => vec!["updated".to_string()],
            Some(list) => {
                let mut out = Vec::new();
                for u in list {
                    let is_date = fields
                        .get(u.get_ref())
                        .is_some_and(|f| f.ty == FieldType::Date);
                    if !is_date || !listed.contains(u.get_ref()) {
                        return Err(at(
                            u.span(),
                            format!(
                                "kind '{name}': updated_from '{}' must be a date field of the kind",
                                u.get_ref()
                            ),
                        ));
                    }
                    out.push(u.get_ref().clone());
                }
                out
            }
        };
        let stale_after_days = k.stale_after_days.unwrap_or(DEFAULT_STALE_AFTER_DAYS);
        let boost = k.boost.unwrap_or(1.0);
        if !(MIN_KIND_BOOST..=MAX_KIND_BOOST).contains(&boost) {
            return Err(at(
                kind.span(),
                format!(
                    "kind '{name}': boost must be between {MIN_KIND_BOOST} and {MAX_KIND_BOOST}"
                ),
            ));
        }
        kinds.insert(
            name.clone(),
            KindDef {
                fields: listed,
                required,
                updated_from,
                stale_after_days,
                boost,
            },
        );
    }
    if kinds.is_empty() {
        return Err(at(0..0, "the schema declares no kinds".into()));
    }
    Ok(kinds)
}

fn validate_rules(
    raw: &RawSchema,
    kinds: &BTreeMap<String, KindDef>,
    at: &At,
) -> Result<Vec<Rule>, SchemaError> {
    let mut rules = Vec::new();
    for rule in &raw.rules {
        let r = rule.get_ref();
        if !kinds.contains_key(r.kind.get_ref()) {
            return Err(at(
                r.kind.span(),
                format!("rule assigns unknown kind '{}'", r.kind.get_ref()),
            ));
        }
        let glob = Glob::new(r.glob.get_ref()).map_err(|e| {
            at(
                r.glob.span(),
                format!("invalid glob '{}': {e}", r.glob.get_ref()),
            )
        })?;
        rules.push(Rule {
            glob: r.glob.get_ref().clone(),
            matcher: glob.compile_matcher(),
            kind: r.kind.get_ref().clone(),
        });
    }
    Ok(rules)
}

fn validate_visibility(raw: &RawSchema, at: &At) -> Result<crate::visibility::Policy, SchemaError> {
    use crate::visibility::{DocAccess, Policy, Rule as VisRule, Visibility};
    let level = |s: &Spanned<String>| -> Result<Visibility, SchemaError> {
        s.get_ref().parse().map_err(|e: String| at(s.span(), e))
    };
    let default = raw.default_visibility.as_ref().map(level).transpose()?;
    let mut rules = Vec::new();
    for rule in &raw.visibility {
        let r = rule.get_ref();
        let glob = Glob::new(r.glob.get_ref()).map_err(|e| {
            at(
                r.glob.span(),
                format!("invalid glob '{}': {e}", r.glob.get_ref()),
            )
        })?;
        let visibility = level(&r.visibility)?;
        if visibility != Visibility::Restricted && !r.teams.is_empty() {
            return Err(at(
                r.visibility.span(),
                "teams apply only to restricted documents".into(),
            ));
        }
        rules.push(VisRule {
            glob: r.glob.get_ref().clone(),
            matcher: glob.compile_matcher(),
            access: DocAccess {
                visibility,
                teams: r
                    .teams
                    .iter()
                    .map(|t| crate::visibility::normalize_team(t))
                    .collect(),
            },
        });
    }
    Ok(Policy { default, rules })
}

fn validate_handover(
    raw: &RawSchema,
    fields: &BTreeMap<String, FieldDef>,
    kinds: &BTreeMap<String, KindDef>,
    at: &At,
) -> Result<HandoverRules, SchemaError> {
    let Some(h) = &raw.handover else {
        return Ok(HandoverRules::default());
    };
    let known_kind = |k: &Spanned<String>| {
        if kinds.contains_key(k.get_ref()) {
            Ok(k.get_ref().clone())
        } else {
            Err(at(
                k.span(),
                format!("handover: '{}' is not a declared kind", k.get_ref()),
            ))
        }
    };
    let mut required = Vec::new();
    for r in &h.get_ref().required {
        let r = r.get_ref();
        let kind = known_kind(&r.kind)?;
        let with_field = match &r.with_field {
            Some(f) if !fields.contains_key(f.get_ref()) => {
                return Err(at(
                    f.span(),
                    format!(
                        "handover: with_field '{}' is not a declared field",
                        f.get_ref()
                    ),
                ))
            }
            other => other.as_ref().map(|f| f.get_ref().clone()),
        };
        let label = r
            .label
            .clone()
            .unwrap_or_else(|| format!("{kind} document"));
        required.push(RequiredKind {
            kind,
            with_field,
            label,
        });
    }
    let owner_kinds = h
        .get_ref()
        .owner_kinds
        .iter()
        .map(known_kind)
        .collect::<Result<Vec<_>, _>>()?;
    let incident_window_months = match &h.get_ref().incident_window_months {
        Some(m) if *m.get_ref() == 0 || *m.get_ref() > MAX_INCIDENT_WINDOW_MONTHS => {
            return Err(at(
                m.span(),
                format!(
                    "handover: incident_window_months must be 1 to {MAX_INCIDENT_WINDOW_MONTHS}"
                ),
            ))
        }
        Some(m) => *m.get_ref(),
        None => DEFAULT_INCIDENT_WINDOW_MONTHS,
    };
    Ok(HandoverRules {
        required,
        incident_window_months,
        owner_kinds,
        weights: h.get_ref().weights.clone().unwrap_or_default(),
    })
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// 1-based line number of byte offset `pos` in `text`.
pub fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schema_is_valid() {
        let schema = Schema::load(None).unwrap();
        assert_eq!(
            schema.kind_for_path("runbooks/core-banking/x.md"),
            "runbook"
        );
        assert_eq!(schema.kind_for_path("notes/x.md"), "article");
        assert_eq!(schema.kinds["incident"].updated_from[0], "updated");
        assert!(schema.facet_fields().any(|f| f == "systems"));
    }

    fn err(text: &str) -> SchemaError {
        Schema::parse(text, "schema.toml").unwrap_err()
    }

    const BASE: &str =
        "[fields.systems]\ntype = \"keywords\"\n[fields.tags]\ntype = \"keywords\"\n";

    #[test]
    fn unknown_type_names_line() {
        let e = err(&format!(
            "{BASE}[fields.owner]\ntype = \"person\"\n[kinds.article]\n"
        ));
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("person"), "{e}");
        assert!(e.to_string().starts_with("schema.toml:6:"), "{e}");
    }

    #[test]
    fn duplicate_field_names_line() {
        let e = err(&format!(
            "{BASE}[fields.systems]\ntype = \"keywords\"\n[kinds.article]\n"
        ));
        assert_eq!(e.line, 5, "{e}");
        let e = err(&format!(
            "{BASE}[kinds.article]\nfields = [\"tags\",\n \"tags\"]\n"
        ));
        assert_eq!(e.line, 7, "{e}");
        assert!(e.message.contains("twice"), "{e}");
    }

    #[test]
    fn unknown_kind_in_rule() {
        let e = err(&format!(
            "{BASE}[kinds.article]\n[[rules]]\nglob = \"a/**\"\nkind = \"nope\"\n"
        ));
        assert_eq!(e.line, 8, "{e}");
    }

    #[test]
    fn handover_rules_are_checked() {
        let schema = Schema::load(None).unwrap();
        let labels: Vec<&str> = schema
            .handover
            .required
            .iter()
            .map(|r| r.label.as_str())
            .collect();
        assert!(labels.contains(&"contact document"), "{labels:?}");
        assert_eq!(schema.handover.weights.missing_kind, 25);
        let e = err(&format!(
            "{BASE}[kinds.article]\n[handover]\n[[handover.required]]\nkind = \"contact\"\n"
        ));
        assert_eq!(e.line, 8, "{e}");
        assert!(e.message.contains("contact"), "{e}");
        let e = err(&format!(
            "{BASE}[kinds.article]\n[handover]\nincident_window_months = 0\n"
        ));
        assert_eq!(e.line, 7, "{e}");
    }

    #[test]
    fn fingerprint_ignores_comments_but_not_content() {
        let a = Schema::parse(&format!("{BASE}[kinds.article]\n"), "s").unwrap();
        let b = Schema::parse(&format!("# note\n{BASE}[kinds.article]\n"), "s").unwrap();
        let c = Schema::parse(
            &format!("{BASE}[kinds.article]\nstale_after_days = 3\n"),
            "s",
        )
        .unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
