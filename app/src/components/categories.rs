//! Matched categories as small labelled chips.

use crate::model::CategoryScore;
use leptos::prelude::*;

/// The categories, highest score first.
#[component]
pub fn Categories(categories: Vec<CategoryScore>) -> impl IntoView {
    let mut categories = categories;
    categories.sort_by(|a, b| b.score.total_cmp(&a.score));
    view! {
        <ul class="chips">
            {categories
                .into_iter()
                .map(|c| view! { <li class="chip">{c.name} " " <b>{format!("{:.2}", c.score)}</b></li> })
                .collect_view()}
        </ul>
    }
}
