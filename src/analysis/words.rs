//! Splitting non-Han text into words and identifiers.
//!
//! An identifier is a run of letters and digits joined by single connectors
//! (`-_./:@`), such as `ORA-01555`, `java.lang.OutOfMemoryError`,
//! `tikv_raftstore_region_count`, `10.0.0.12` or `/u01/app/oracle`. It is
//! indexed whole and by its parts; CamelCase parts (`OOMKilled` ->
//! `OOM`, `Killed`) are split too, so both `KubePodCrashLooping` and
//! `crash looping` find it.

/// Characters that join the parts of an identifier when between word characters.
const CONNECTORS: &[char] = &['-', '_', '.', '/', ':', '@'];

/// A piece of a word run: byte range in the folded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start byte.
    pub from: usize,
    /// End byte.
    pub to: usize,
}

/// Is `c` a connector?
pub fn is_connector(c: char) -> bool {
    CONNECTORS.contains(&c)
}

/// Connector-separated parts of the identifier at `run`.
pub fn connector_parts(text: &str, run: Span) -> Vec<Span> {
    let mut parts = Vec::new();
    let mut start = run.from;
    for (i, c) in text[run.from..run.to].char_indices() {
        if is_connector(c) {
            parts.push(Span {
                from: start,
                to: run.from + i,
            });
            start = run.from + i + c.len_utf8();
        }
    }
    parts.push(Span {
        from: start,
        to: run.to,
    });
    parts.retain(|p| p.to > p.from);
    parts
}

/// CamelCase pieces of `part`: `OOMKilled` -> `OOM` `Killed`,
/// `OutOfMemoryError` -> `Out` `Of` `Memory` `Error`. Digits stay attached.
pub fn camel_parts(text: &str, part: Span) -> Vec<Span> {
    let s = &text[part.from..part.to];
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        let next_lower = chars.get(k + 1).is_some_and(|&(_, n)| n.is_lowercase());
        let boundary =
            c.is_uppercase() && (prev.is_lowercase() || (prev.is_uppercase() && next_lower));
        if boundary {
            pieces.push(Span {
                from: part.from + start,
                to: part.from + i,
            });
            start = i;
        }
    }
    pieces.push(Span {
        from: part.from + start,
        to: part.to,
    });
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(text: &str, spans: &[Span]) -> Vec<String> {
        spans
            .iter()
            .map(|s| text[s.from..s.to].to_string())
            .collect()
    }

    #[test]
    fn camel_case_splits() {
        let t = "OOMKilled";
        assert_eq!(
            strs(
                t,
                &camel_parts(
                    t,
                    Span {
                        from: 0,
                        to: t.len()
                    }
                )
            ),
            ["OOM", "Killed"]
        );
        let t = "KubePodCrashLooping";
        assert_eq!(
            strs(
                t,
                &camel_parts(
                    t,
                    Span {
                        from: 0,
                        to: t.len()
                    }
                )
            ),
            ["Kube", "Pod", "Crash", "Looping"]
        );
        let t = "HTTP";
        assert_eq!(
            strs(
                t,
                &camel_parts(
                    t,
                    Span {
                        from: 0,
                        to: t.len()
                    }
                )
            ),
            ["HTTP"]
        );
    }

    #[test]
    fn connectors_split() {
        let t = "tikv_raftstore_region_count";
        assert_eq!(
            strs(
                t,
                &connector_parts(
                    t,
                    Span {
                        from: 0,
                        to: t.len()
                    }
                )
            ),
            ["tikv", "raftstore", "region", "count"]
        );
    }
}
