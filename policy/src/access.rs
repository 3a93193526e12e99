//! Who may call an operation, decided from its contract's `security` requirements.
//!
//! `security: []` (or an empty `{}` alternative) makes an operation public. Otherwise a caller
//! needs a credential of a registered consumer, and its scopes (the token's `scope`/`scp`, or
//! the consumer's `scopes` for an API key) must cover the scopes of at least one requirement.
//! An operation whose contract declares no security at all still needs a consumer credential.

use canongate_contracts::SecurityRequirement;

/// The access rule of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a credential.
    Public,
    /// A consumer whose scopes cover one of `requirements` (each a sorted scope list); an empty
    /// list means any consumer.
    Consumers {
        /// Alternatives, each the union of its schemes' scopes.
        requirements: Vec<Vec<String>>,
    },
}

impl Access {
    /// The rule for an operation's effective `security` (`None`: nothing declared).
    pub fn from_contract(security: Option<&[SecurityRequirement]>) -> Self {
        let Some(requirements) = security else {
            return Self::Consumers {
                requirements: Vec::new(),
            };
        };
        if requirements.is_empty() || requirements.iter().any(|r| r.schemes.is_empty()) {
            return Self::Public;
        }
        let requirements = requirements
            .iter()
            .map(|requirement| {
                let mut scopes: Vec<String> =
                    requirement.schemes.values().flatten().cloned().collect();
                scopes.sort_unstable();
                scopes.dedup();
                scopes
            })
            .collect();
        Self::Consumers { requirements }
    }

    /// `Ok` when `granted` (sorted) satisfies a requirement; otherwise the scopes of the first
    /// requirement, for the `insufficient_scope` challenge.
    pub fn check_scopes(&self, granted: &[String]) -> Result<(), &[String]> {
        match self {
            Self::Public => Ok(()),
            Self::Consumers { requirements } if requirements.is_empty() => Ok(()),
            Self::Consumers { requirements } => {
                if requirements
                    .iter()
                    .any(|required| crate::auth::has_scopes(granted, required))
                {
                    Ok(())
                } else {
                    Err(&requirements[0])
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    fn requirement(pairs: &[(&str, &[&str])]) -> SecurityRequirement {
        let schemes: IndexMap<String, Vec<String>> = pairs
            .iter()
            .map(|(name, scopes)| {
                (
                    (*name).to_owned(),
                    scopes.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect();
        SecurityRequirement { schemes }
    }

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn explicit_empty_security_is_public_and_missing_security_needs_a_consumer() {
        assert_eq!(Access::from_contract(Some(&[])), Access::Public);
        let optional = [requirement(&[]), requirement(&[("oauth2", &["a:read"])])];
        assert_eq!(Access::from_contract(Some(&optional)), Access::Public);
        let undeclared = Access::from_contract(None);
        assert_eq!(
            undeclared,
            Access::Consumers {
                requirements: vec![]
            }
        );
        assert_eq!(undeclared.check_scopes(&[]), Ok(()));
    }

    #[test]
    fn any_requirement_whose_scopes_are_granted_suffices() {
        let access = Access::from_contract(Some(&[
            requirement(&[("oauth2", &["inventory:write", "inventory:read"])]),
            requirement(&[("apiKey", &[]), ("oauth2", &["inventory:admin"])]),
        ]));
        assert_eq!(
            access.check_scopes(&scopes(&["inventory:read", "inventory:write"])),
            Ok(())
        );
        assert_eq!(access.check_scopes(&scopes(&["inventory:admin"])), Ok(()));
        let missing = access
            .check_scopes(&scopes(&["inventory:read"]))
            .unwrap_err();
        assert_eq!(
            missing,
            scopes(&["inventory:read", "inventory:write"]).as_slice()
        );
    }
}
