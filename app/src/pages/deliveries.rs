//! The Deliveries page (admins): each relay destination with its pending, delivered and dead
//! jobs, the latest jobs with their last status and error, a retry button for dead jobs and a
//! test message per destination. Destination URLs are secrets and never reach this page.

use crate::api::deliveries::{RetryJob, SendTest, deliveries};
use crate::components::error_view::{ActionError, ErrorView};
use crate::model::{DeliveryJobRow, DestinationView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let retry = ServerAction::<RetryJob>::new();
    let test = ServerAction::<SendTest>::new();
    let view_data = Resource::new(
        move || (retry.version().get(), test.version().get()),
        |_| deliveries(),
    );

    view! {
        <Title text="Deliveries · moddesk" />
        <h1>"Deliveries"</h1>
        <p class="muted">
            "Where the relay sends events, and how each job went. Only 2xx answers count as delivered; failures are retried on a schedule until the job is dead."
        </p>
        <ActionError result=retry.value().into() />
        <ActionError result=test.value().into() />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(data) => view! {
                        <Destinations destinations=data.destinations test />
                        <Jobs jobs=data.jobs retry />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Destinations(destinations: Vec<DestinationView>, test: ServerAction<SendTest>) -> impl IntoView {
    if destinations.is_empty() {
        return view! {
            <p class="empty">"No destinations are configured. Add [[destination]] tables to the config file (see docs/relay.md)."</p>
        }
        .into_any();
    }
    view! {
        <table class="grid">
            <caption>"Destinations"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Sends"</th>
                    <th scope="col">"Pending"</th>
                    <th scope="col">"Delivered"</th>
                    <th scope="col">"Dead"</th>
                    <th scope="col"><span class="visually-hidden">"Test"</span></th>
                </tr>
            </thead>
            <tbody>
                {destinations
                    .into_iter()
                    .map(|d| {
                        let label = format!("Send a test message to {}", d.name);
                        let dead_class = if d.dead > 0 { "alert" } else { "" };
                        view! {
                            <tr>
                                <td>{d.name.clone()}</td>
                                <td>{d.kind}</td>
                                <td class="text">{d.routing}</td>
                                <td>{d.pending}</td>
                                <td>{d.delivered}</td>
                                <td class=dead_class>{d.dead}</td>
                                <td>
                                    <ActionForm action=test>
                                        <input type="hidden" name="destination" value=d.name />
                                        <button type="submit" aria-label=label>"Send test"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Jobs(jobs: Vec<DeliveryJobRow>, retry: ServerAction<RetryJob>) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="empty">"Nothing has been queued yet."</p> }.into_any();
    }
    view! {
        <table class="grid">
            <caption>"Latest jobs (dead first)"</caption>
            <thead>
                <tr>
                    <th scope="col">"Job"</th>
                    <th scope="col">"Destination"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"Reference"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Attempts"</th>
                    <th scope="col">"Last answer"</th>
                    <th scope="col">"Next attempt"</th>
                    <th scope="col"><span class="visually-hidden">"Retry"</span></th>
                </tr>
            </thead>
            <tbody>
                {jobs
                    .into_iter()
                    .map(|job| {
                        let dead = job.status == "dead";
                        let label = format!("Retry job {}", job.id);
                        let last = match (job.last_status, job.last_error) {
                            (_, Some(error)) => error,
                            (Some(status), None) => format!("HTTP {status}"),
                            (None, None) => String::new(),
                        };
                        view! {
                            <tr>
                                <td>{job.id}</td>
                                <td>{job.destination}</td>
                                <td>{job.topic}</td>
                                <td class="ref">{job.reference_id.unwrap_or_default()}</td>
                                <td class=format!("status {}", job.status)>{job.status.clone()}</td>
                                <td>{job.attempts}</td>
                                <td class="text">{last}</td>
                                <td>{job.next_attempt.unwrap_or_default()}</td>
                                <td>
                                    {dead.then(|| view! {
                                        <ActionForm action=retry>
                                            <input type="hidden" name="job_id" value=job.id.to_string() />
                                            <button type="submit" aria-label=label>"Retry"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
