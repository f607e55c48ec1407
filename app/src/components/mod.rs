//! Pieces shared by several pages.

pub mod categories;
pub mod error_view;
pub mod guard;
pub mod layout;
