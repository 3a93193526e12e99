//! Path templates such as `/orders/{orderId}/lines/{lineId}`.

use std::fmt;

/// Why a path template is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemplateError {
    /// `{}` without a name.
    EmptyName,
    /// A `{` without `}`, a `}` without `{`, or nested braces.
    Unbalanced,
    /// The same name appears twice.
    Repeated(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyName => f.write_str("`{}` has no parameter name"),
            Self::Unbalanced => f.write_str("braces are not balanced"),
            Self::Repeated(name) => write!(f, "parameter `{name}` appears more than once"),
        }
    }
}

/// The names of the `{...}` variables of `template`, in order.
pub(crate) fn variables(template: &str) -> Result<Vec<&str>, TemplateError> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(TemplateError::Unbalanced);
        }
        let after = &rest[open + 1..];
        let close = after.find(['{', '}']).ok_or(TemplateError::Unbalanced)?;
        if after.as_bytes()[close] == b'{' {
            return Err(TemplateError::Unbalanced);
        }
        let name = &after[..close];
        if name.is_empty() {
            return Err(TemplateError::EmptyName);
        }
        if names.contains(&name) {
            return Err(TemplateError::Repeated(name.to_owned()));
        }
        names.push(name);
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// The template with every variable name erased: two templates with the same
/// shape match the same requests.
pub(crate) fn shape(template: &str) -> String {
    let mut shape = String::with_capacity(template.len());
    let mut in_variable = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_variable = true;
                shape.push_str("{}");
            }
            '}' => in_variable = false,
            _ if !in_variable => shape.push(c),
            _ => {}
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_variables() {
        assert_eq!(
            variables("/orders/{orderId}/lines/{lineId}"),
            Ok(vec!["orderId", "lineId"])
        );
        assert_eq!(variables("/files/{name}.{ext}"), Ok(vec!["name", "ext"]));
        assert_eq!(variables("/health"), Ok(vec![]));
    }

    #[test]
    fn rejects_malformed_templates() {
        assert_eq!(variables("/a/{}"), Err(TemplateError::EmptyName));
        assert_eq!(variables("/a/{id"), Err(TemplateError::Unbalanced));
        assert_eq!(variables("/a/id}"), Err(TemplateError::Unbalanced));
        assert_eq!(variables("/a/{{id}}"), Err(TemplateError::Unbalanced));
        assert_eq!(
            variables("/a/{id}/b/{id}"),
            Err(TemplateError::Repeated("id".into()))
        );
    }

    #[test]
    fn erases_names_in_the_shape() {
        assert_eq!(shape("/a/{x}/b"), shape("/a/{y}/b"));
        assert_ne!(shape("/a/{x}/b"), shape("/a/{x}/c"));
    }
}
