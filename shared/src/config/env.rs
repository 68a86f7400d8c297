//! The reader of the environment every function's settings go through.

use super::ConfigError;

/// Reads variables through a lookup function, so tests need not touch the process environment.
/// Blank values count as unset.
pub struct Env<L> {
    lookup: L,
}

impl Env<fn(&str) -> Option<String>> {
    pub fn process() -> Self {
        Self {
            lookup: |name| std::env::var(name).ok(),
        }
    }
}

impl<L: Fn(&str) -> Option<String>> Env<L> {
    pub fn new(lookup: L) -> Self {
        Self { lookup }
    }

    pub fn optional(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    pub fn number<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("{raw:?} is not a number"),
            }),
        }
    }

    /// One of `choices`, by how each is spelled in the environment; `default` when unset.
    pub fn choice<T: Copy>(
        &self,
        name: &'static str,
        default: T,
        choices: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let Some(raw) = self.optional(name) else {
            return Ok(default);
        };
        let spellings: Vec<&str> = choices.iter().map(|(spelling, _)| *spelling).collect();
        choices
            .iter()
            .find(|(spelling, _)| *spelling == raw.trim())
            .map(|(_, value)| *value)
            .ok_or_else(|| ConfigError::Invalid {
                name,
                reason: format!("{raw:?} is not one of {}", spellings.join(", ")),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_is_its_default_when_unset_and_refused_when_not_one_of_them() {
        let env = |value: &'static str| Env::new(move |_: &str| Some(value.to_owned()));
        let choices = [("on", true), ("off", false)];
        assert!(env("").choice("FLAG", true, &choices).unwrap());
        assert!(!env(" off ").choice("FLAG", true, &choices).unwrap());
        let refused = env("maybe").choice("FLAG", true, &choices).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "environment variable FLAG is invalid: \"maybe\" is not one of on, off"
        );
    }
}
