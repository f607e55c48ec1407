//! The day range of a filter form: two date inputs named `from` and `to`, read as UTC days
//! (see `store::day_range` for how the server checks them).

use leptos::prelude::*;

#[component]
pub fn DateRange(from: String, to: String) -> impl IntoView {
    view! {
        <label>"From (UTC)" <input type="date" name="from" value=from /></label>
        <label>"To (UTC)" <input type="date" name="to" value=to /></label>
    }
}
