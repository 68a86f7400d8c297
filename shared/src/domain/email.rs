//! Email addresses as the contract defines them: trimmed, lower-cased, header-safe.

use std::fmt;

use serde::Serialize;

/// Longest address the contract accepts (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
const MAX_LOCAL_PART_LEN: usize = 64;
const MAX_DOMAIN_LABEL_LEN: usize = 63;

/// A syntactically valid email address: trimmed, ASCII letters lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

/// Why a string is not an acceptable email address; the text is shown to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEmail(&'static str);

impl EmailAddress {
    /// Trims, lower-cases ASCII letters (other characters stay as they are) and validates. Rejects anything that could break an email header
    /// (control characters, CR/LF, commas, angle brackets, quotes, spaces).
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        // ASCII case folding only: full Unicode lower-casing maps look-alikes such as U+212A
        // KELVIN SIGN onto ASCII letters, which identity providers treat as other accounts.
        let email = raw.trim().to_ascii_lowercase();
        if email.is_empty() {
            return Err(InvalidEmail("An email address cannot be empty."));
        }
        if email.chars().count() > MAX_EMAIL_LEN {
            return Err(InvalidEmail(
                "The email address is too long (at most 254 characters).",
            ));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(InvalidEmail("An email address must have an @-sign."));
        };
        if local.is_empty() {
            return Err(InvalidEmail("There must be something before the @-sign."));
        }
        if domain.is_empty() {
            return Err(InvalidEmail("There must be something after the @-sign."));
        }
        if local.len() > MAX_LOCAL_PART_LEN {
            return Err(InvalidEmail(
                "The email address is too long before the @-sign (at most 64 characters).",
            ));
        }
        if !local.chars().all(is_local_part_char) {
            return Err(InvalidEmail(
                "The email address contains invalid characters before the @-sign.",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(InvalidEmail(
                "The email address has a misplaced period before the @-sign.",
            ));
        }
        validate_domain(domain)?;
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 5322 `atext` plus `.`; non-ASCII letters are allowed (SMTPUTF8), controls never.
fn is_local_part_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~.".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn validate_domain(domain: &str) -> Result<(), InvalidEmail> {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(InvalidEmail(
            "The part after the @-sign is not valid. It should have a period.",
        ));
    }
    for label in &labels {
        let valid_chars = label.chars().all(|c| {
            c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
        });
        if label.is_empty()
            || label.len() > MAX_DOMAIN_LABEL_LEN
            || !valid_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(InvalidEmail("The part after the @-sign is not valid."));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(InvalidEmail(
            "The part after the @-sign is not valid. It is not within a valid top-level domain.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = EmailAddress::parse("  Alice.Smith+x@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice.smith+x@example.com");
    }

    #[test]
    fn email_rejects_header_breaking_and_malformed_input() {
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "@example.com",
            "alice@",
            "alice@localhost",
            "alice@example..com",
            "alice@-example.com",
            "alice@example.123",
            "a b@example.com",
            "alice@example.com\r\nBcc: evil@example.com",
            "alice\n@example.com",
            "<alice@example.com>",
            "alice,bob@example.com",
            "\"alice\"@example.com",
            ".alice@example.com",
            "al..ice@example.com",
            "alice@exa_mple.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn only_ascii_letters_are_folded() {
        let kate = EmailAddress::parse("Kate@Corp.com").unwrap();
        assert_eq!(kate.as_str(), "kate@corp.com");
        for look_alike in [
            "\u{212A}ate@corp.com", // KELVIN SIGN, lower-cases to an ASCII k
            "\u{212B}nn@corp.com",  // ANGSTROM SIGN, lower-cases to å
            "\u{0130}van@corp.com", // LATIN CAPITAL I WITH DOT, lower-cases to i + dot
            "\u{017F}am@corp.com",  // LATIN SMALL LONG S, upper-cases to S
        ] {
            let parsed = EmailAddress::parse(look_alike).unwrap();
            assert_eq!(parsed.as_str(), look_alike, "non-ASCII is kept as it is");
            assert_ne!(parsed, kate);
        }
        assert_ne!(
            EmailAddress::parse("\u{212A}ate@corp.com").unwrap(),
            EmailAddress::parse("kate@corp.com").unwrap()
        );
    }

    #[test]
    fn email_length_limits_hold() {
        let local = "a".repeat(64);
        let domain = format!("{}.com", "b".repeat(60));
        assert!(EmailAddress::parse(&format!("{local}@{domain}")).is_ok());
        assert!(EmailAddress::parse(&format!("{}a@{domain}", local)).is_err());
        let long = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        assert!(long.len() > MAX_EMAIL_LEN);
        assert!(EmailAddress::parse(&long).is_err());
    }
}
