//! Cross-site request forgery defence for the dashboard: a state-changing request must come
//! from a page of moddesk itself, as the browser's `Sec-Fetch-Site` or `Origin` header shows.
//! Session cookies are also `SameSite=Lax`; this check does not rely on that.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The origins (`scheme://host[:port]`) dashboard pages are served from.
#[derive(Clone)]
pub struct AllowedOrigins(pub Arc<Vec<String>>);

/// Refuses state-changing requests that a browser marks as cross-site, or that carry neither
/// header to tell.
pub async fn refuse_cross_site(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    match verdict(request.headers(), &allowed) {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::warn!(path = %request.uri().path(), reason, "cross-site request refused");
            (
                StatusCode::FORBIDDEN,
                format!("Cross-site request refused: {reason}."),
            )
                .into_response()
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn verdict(headers: &HeaderMap, allowed: &AllowedOrigins) -> Result<(), &'static str> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };

    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" => Ok(()),
            _ => Err("the browser reports it as coming from another site"),
        };
    }
    let Some(origin) = text(header::ORIGIN.as_str()) else {
        return Err("it has no Origin header");
    };
    let host_origin = text(header::HOST.as_str()).map(|host| {
        let scheme = origin.split("://").next().unwrap_or("http");
        format!("{scheme}://{host}")
    });
    if allowed.0.iter().any(|a| a == origin) || host_origin.as_deref() == Some(origin) {
        Ok(())
    } else {
        Err("its Origin is not moddesk")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_same_origin_requests_pass() {
        let allowed = AllowedOrigins(Arc::new(vec!["https://desk.example".into()]));
        let cases = [
            (vec![("sec-fetch-site", "same-origin")], true),
            (vec![("sec-fetch-site", "cross-site")], false),
            (vec![("sec-fetch-site", "same-site")], false),
            (vec![("origin", "https://desk.example")], true),
            (
                vec![
                    ("origin", "http://127.0.0.1:3000"),
                    ("host", "127.0.0.1:3000"),
                ],
                true,
            ),
            (
                vec![
                    ("origin", "https://evil.example"),
                    ("host", "127.0.0.1:3000"),
                ],
                false,
            ),
            (vec![("origin", "null")], false),
            (vec![], false),
        ];

        for (pairs, expected) in cases {
            assert_eq!(
                verdict(&headers(&pairs), &allowed).is_ok(),
                expected,
                "{pairs:?}"
            );
        }
    }
}
