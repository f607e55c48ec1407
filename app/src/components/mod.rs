//! Pieces shared by several pages.

pub mod categories;
pub mod clock;
pub mod date_range;
pub mod error_view;
pub mod guard;
pub mod keys;
pub mod layout;
pub mod live;
pub mod reasons;
pub mod sensitive;
pub mod undo;
