//! The rule for user names: what a new account may be called, shared by the Users page, the
//! setup link and `moddesk user add`.

use crate::store::history::actor;

/// Longest user name, in characters. Login refuses longer names before looking them up, which
/// also bounds the name a failed login writes into the history.
pub const MAX_LENGTH: usize = 64;

/// Punctuation allowed in a name besides ASCII letters and digits.
const PUNCTUATION: [char; 4] = ['.', '_', '-', '@'];

/// The trimmed `name` if a new user may be called that, or why not.
///
/// Only ASCII letters, digits and `. _ - @` are allowed, starting with a letter or digit: a name
/// is shown as the actor of history entries, so it must not hide invisible or direction-changing
/// characters, look-alike letters from other scripts, or start like a command-line option. Names
/// moddesk writes as actors itself are refused without regard to case, so no user can pass for
/// them.
pub fn check_new(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_LENGTH {
        return Err(format!("A user name needs 1 to {MAX_LENGTH} characters."));
    }
    if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "A user name may contain only letters A to Z, digits and . _ - @ ({bad:?} is not \
             allowed)."
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("A user name must start with a letter or a digit.".into());
    }
    if actor::ALL.iter().any(|a| a.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "The user name {name:?} is reserved: moddesk records its own actions under it in \
             the history."
        ));
    }
    Ok(name)
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || PUNCTUATION.contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass_trimmed() {
        assert_eq!(check_new(" alice "), Ok("alice"));
        assert_eq!(check_new("j.doe-2@team_a"), Ok("j.doe-2@team_a"));
        assert!(check_new(&"a".repeat(MAX_LENGTH)).is_ok());
    }

    #[test]
    fn hidden_reserved_and_odd_names_are_refused() {
        for name in [
            "",
            "admin\u{200b}",
            "ad\u{202e}nimda",
            "\u{0441}li",
            "two words",
            "-rf",
            "Relay",
            "setup link",
            &"a".repeat(MAX_LENGTH + 1),
        ] {
            assert!(check_new(name).is_err(), "{name:?}");
        }
    }
}
