//! baton: a handover knowledge base for IT operations.
//!
//! Data flows one way: the corpus folder of Markdown files ([`corpus`]) is
//! parsed into [`document::Document`]s, their text goes through one
//! [`analysis`] pipeline into a tantivy [`index`], and [`search`] answers
//! queries over it. The index is only a cache of the corpus: deleting it loses
//! nothing, the next run rebuilds it.

pub mod analysis;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod check;
pub mod config;
pub mod corpus;
pub mod doc_id;
pub mod document;
pub mod eval;
pub mod handover;
pub mod index;
pub mod problem;
pub mod schema;
pub mod search;
pub mod server;
#[doc(hidden)]
pub mod test_support;
pub mod verify;
pub mod visibility;
pub mod watch;
pub mod write_back;

pub use doc_id::DocId;
