//! The Users page (admins): every dashboard user with role, state and creation time, and forms
//! to add a user, change a role, disable or enable, and set a new password.

use crate::api::users::{AddUser, SetDisabled, SetPassword, SetRole, list_users};
use crate::components::error_view::{ActionError, ErrorView};
use crate::model::{Role, UserRow};
use leptos::prelude::*;
use leptos_meta::Title;

/// The forms of the page, shared by every row.
#[derive(Clone, Copy)]
struct UserActions {
    role: ServerAction<SetRole>,
    disabled: ServerAction<SetDisabled>,
    password: ServerAction<SetPassword>,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let actions = UserActions {
        role: ServerAction::new(),
        disabled: ServerAction::new(),
        password: ServerAction::new(),
    };
    let users = Resource::new(
        move || {
            (
                add.version().get(),
                actions.role.version().get(),
                actions.disabled.version().get(),
                actions.password.version().get(),
            )
        },
        |_| list_users(),
    );

    view! {
        <Title text="Users · moddesk" />
        <h1>"Users"</h1>
        <p class="muted">
            "Who can use moddesk. A new password or disabling ends the user's sessions at once. Every change is recorded in the history."
        </p>
        <ActionError result=actions.role.value().into() />
        <ActionError result=actions.disabled.value().into() />
        <ActionError result=actions.password.value().into() />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(users) => view! {
                        <UserTable users actions />
                        <AddUserForm add />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(users: Vec<UserRow>, actions: UserActions) -> impl IntoView {
    view! {
        <table class="grid">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"New password"</th>
                </tr>
            </thead>
            <tbody>
                {users.into_iter().map(|user| view! { <UserLine user actions /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn UserLine(user: UserRow, actions: UserActions) -> impl IntoView {
    let name = user.name;
    let (for_role, for_state, for_password) = (name.clone(), name.clone(), name.clone());
    let state = if user.disabled { "disabled" } else { "active" };
    let toggle = if user.disabled { "Enable" } else { "Disable" };
    let toggle_label = format!("{toggle} {name}");
    let role_label = format!("Role of {name}");
    let password_label = format!("New password for {name}");

    view! {
        <tr>
            <td>{name}</td>
            <td>
                <ActionForm action=actions.role>
                    <input type="hidden" name="name" value=for_role />
                    <RoleSelect selected=user.role label=role_label />
                    " "
                    <button type="submit">"Change role"</button>
                </ActionForm>
            </td>
            <td>
                {state} " "
                <ActionForm action=actions.disabled>
                    <input type="hidden" name="name" value=for_state />
                    <input type="hidden" name="disabled" value=(!user.disabled).to_string() />
                    <button type="submit" aria-label=toggle_label>{toggle}</button>
                </ActionForm>
            </td>
            <td class="when">{user.created_at}</td>
            <td>
                <ActionForm action=actions.password>
                    <input type="hidden" name="name" value=for_password />
                    <input type="password" name="password" autocomplete="new-password" aria-label=password_label required=true />
                    " "
                    <button type="submit">"Set password"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// A role picker named `role`.
#[component]
fn RoleSelect(selected: Role, label: String) -> impl IntoView {
    view! {
        <select name="role" aria-label=label>
            {[Role::Reviewer, Role::Manager, Role::Admin]
                .into_iter()
                .map(|role| view! {
                    <option value=role.as_str() selected=role == selected>{role.as_str()}</option>
                })
                .collect_view()}
        </select>
    }
}

#[component]
fn AddUserForm(add: ServerAction<AddUser>) -> impl IntoView {
    view! {
        <section class="card narrow">
            <h2>"Add a user"</h2>
            <ActionForm action=add>
                <label>"User name" <input type="text" name="name" autocomplete="off" required=true /></label>
                <label>"Role " <RoleSelect selected=Role::Reviewer label="Role".into() /></label>
                <label>"Initial password" <input type="password" name="password" autocomplete="new-password" required=true /></label>
                <button type="submit" disabled=move || add.pending().get()>"Add user"</button>
            </ActionForm>
            <ActionError result=add.value().into() />
        </section>
    }
}
