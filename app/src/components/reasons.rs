//! Reason codes in forms: numbered, so a reviewer can pick one with a digit key.

use leptos::prelude::*;

/// The options of a reason select: none, then each code with its number (`1 spam`).
#[component]
pub fn ReasonOptions(codes: Vec<String>) -> impl IntoView {
    view! {
        <option value="">"—"</option>
        {codes
            .into_iter()
            .enumerate()
            .map(|(i, code)| {
                let label = format!("{} {code}", i + 1);
                view! { <option value=code>{label}</option> }
            })
            .collect_view()}
    }
}

/// The reason code a digit key (`1` to `9`) picks, if there is one with that number.
pub fn reason_for_key(codes: &[String], key: &str) -> Option<String> {
    let digit = key.parse::<usize>().ok().filter(|_| key.len() == 1)?;
    codes.get(digit.checked_sub(1)?).cloned()
}
