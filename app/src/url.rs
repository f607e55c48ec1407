//! Building addresses: one percent-encoder for the server (upstream links) and the browser
//! (queue page links).

/// Percent-encodes everything but unreserved characters, so the text stays one path segment or
/// query value.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `?key=value&…` of the pairs whose value is not empty; empty when none is.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode_component(value)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_encoded_and_empty_values_dropped() {
        assert_eq!(encode_component("post 1/é"), "post%201%2F%C3%A9");
        assert_eq!(
            query_string(&[("band", "high"), ("after", ""), ("reference", "a&b")]),
            "?band=high&reference=a%26b"
        );
        assert_eq!(query_string(&[("band", "")]), "");
    }
}
