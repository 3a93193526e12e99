//! Maps JSON pointers to the source lines they were written on.
//!
//! The YAML parser keeps no positions for values, so the source text is
//! scanned a second time: [`yaml`] follows block-style indentation and keys,
//! [`json`] walks JSON (flow) text. Both are best effort: a pointer that the
//! scan did not see (for example inside a flow collection) resolves to the
//! line of its nearest recorded ancestor.

mod json;
mod yaml;

use std::collections::HashMap;

/// Line numbers of the nodes of one source text.
#[derive(Debug, Default, Clone)]
pub(crate) struct LineIndex {
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// Scans `text`, which has already been parsed successfully.
    pub(crate) fn new(text: &str) -> Self {
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
        Self { lines }
    }

    /// The 1-based line of `pointer`, or of its nearest recorded ancestor.
    pub(crate) fn line(&self, pointer: &str) -> Option<usize> {
        let mut current = pointer;
        loop {
            if let Some(&line) = self.lines.get(current) {
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
