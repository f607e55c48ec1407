//! The moddesk dashboard: pages, components and the server functions behind them.
//!
//! Compiled twice: with `ssr` into the server binary (which also gets the server-only modules
//! `auth`, `server`, `store` and the chart drawing), and with `hydrate` into the wasm bundle that
//! runs in the browser.

#![recursion_limit = "256"]

pub mod api;
mod components;
pub mod duration;
pub mod error;
pub mod model;
mod pages;
mod root;
pub mod text;
pub mod url;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod insights;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod relay;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod workflow;

pub use root::{App, shell};

/// Entry point of the wasm bundle: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // A mark for browser tests and scripts: the page now reacts to input.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
