//! Maps JSON pointers to the source lines they were written on.
//!
//! The YAML parser keeps no positions for values, so the source text is
//! scanned a second time: [`yaml`] follows block-style indentation and keys,
//! [`json`] walks JSON (flow) text. Both are best effort: a pointer that the
//! scan did not see (for example inside a flow collection) resolves to the
//! line of its nearest recorded ancestor. The scan happens on the first
//! question, so a document without problems is never scanned.

mod json;
mod yaml;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Line numbers of the nodes of one source text.
#[derive(Debug, Default, Clone)]
pub(crate) struct LineIndex {
    text: Arc<str>,
    lines: OnceLock<HashMap<String, usize>>,
}

impl LineIndex {
    /// An index of `text`, which has already been parsed successfully.
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: Arc::from(text),
            lines: OnceLock::new(),
        }
    }

    fn scan(text: &str) -> HashMap<String, usize> {
        let mut lines = HashMap::new();
        let flow = text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with(['{', '[']);
        if flow {
            json::scan(text, &mut lines);
        } else {
            yaml::scan(text, &mut lines);
        }
        lines
    }

    /// The 1-based line of `pointer`, or of its nearest recorded ancestor.
    pub(crate) fn line(&self, pointer: &str) -> Option<usize> {
        let lines = self.lines.get_or_init(|| Self::scan(&self.text));
        let mut current = pointer;
        loop {
            if let Some(&line) = lines.get(current) {
                return Some(line);
            }
            current = crate::pointer::parent(current)?;
        }
    }
}

/// Records the first line seen for `pointer`.
fn record(lines: &mut HashMap<String, usize>, pointer: &str, line: usize) {
    lines.entry(pointer.to_owned()).or_insert(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_pointers_fall_back_to_the_nearest_ancestor() {
        let index = LineIndex::new("a:\n  b: [1, 2]\n");
        assert_eq!(index.line("/a/b/1"), Some(2));
        assert_eq!(index.line("/a"), Some(1));
        assert_eq!(index.line("/zzz"), None);
        assert_eq!(index.line(""), None);
    }

    #[test]
    fn json_text_is_scanned_as_json() {
        let index = LineIndex::new("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
        assert_eq!(index.line("/a/b"), Some(3));
    }
}
