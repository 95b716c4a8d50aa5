//! `weihu admin`: users and tokens from the command line (for first set-up and automation).

use clap::Subcommand;
use weihu_domain::role::Role;
use weihu_store::users::{self, NewUser, UserFilter};
use weihu_store::{Actor, ListParams, Store, organizations, tokens};

use super::Failure;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user. The password comes from --password or WEIHU_NEW_PASSWORD.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// admin, dispatcher, engineer, service_level_manager, finance, client_admin, client_user
        #[arg(long)]
        role: String,
        /// Organisation code (default: the provider).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, env = "WEIHU_NEW_PASSWORD")]
        password: String,
    },
    /// List users.
    List,
    /// Set a user's password.
    Passwd {
        #[arg(long)]
        user: String,
        #[arg(long, env = "WEIHU_NEW_PASSWORD")]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token for a user and print it once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

async fn system(store: &Store) -> Result<Actor, Failure> {
    super::serve::bootstrap(store).await?;
    let (provider, _) = organizations::provider(store)
        .await?
        .ok_or_else(|| Failure::input("no provider organisation"))?;
    Ok(Actor::system(provider))
}

async fn user_id(store: &Store, username: &str) -> Result<i64, Failure> {
    users::find_by_username(store, username)
        .await?
        .map(|(u, _)| u.id)
        .ok_or_else(|| Failure::input(format!("no user named {username}")))
}

pub async fn run(store: &Store, cmd: AdminCommand) -> Result<(), Failure> {
    let actor = system(store).await?;
    let all = ListParams {
        limit: Some(500),
        ..Default::default()
    };
    match cmd {
        AdminCommand::User(UserCommand::Create {
            username,
            name,
            role,
            org,
            password,
        }) => {
            let role =
                Role::parse(&role).ok_or_else(|| Failure::input(format!("unknown role {role}")))?;
            let org_id = match org {
                None => actor.org_id,
                Some(code) => organizations::list(
                    store,
                    &actor,
                    &Default::default(),
                    &ListParams {
                        q: Some(code.clone()),
                        ..all.clone()
                    },
                )
                .await?
                .items
                .into_iter()
                .find(|o| o.code.eq_ignore_ascii_case(&code))
                .map(|o| o.id)
                .ok_or_else(|| Failure::input(format!("no organisation with code {code}")))?,
            };
            let u = users::create(
                store,
                &actor,
                &NewUser {
                    org_id,
                    username,
                    display_name: name,
                    email: String::new(),
                    phone: String::new(),
                    role,
                    team_id: None,
                    locale: None,
                    password,
                },
            )
            .await?;
            println!("created user {} (id {})", u.username, u.id);
        }
        AdminCommand::User(UserCommand::List) => {
            let page = users::list(store, &actor, &UserFilter::default(), &all).await?;
            for u in page.items {
                println!(
                    "{:>5}  {:<16} {:<22} {}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    u.display_name
                );
            }
            println!("{} users", page.total);
        }
        AdminCommand::User(UserCommand::Passwd { user, password }) => {
            let id = user_id(store, &user).await?;
            users::reset_password(store, &actor, id, &password).await?;
            println!("password of {user} set; they must change it at next sign-in");
        }
        AdminCommand::Token(TokenCommand::Create { user, name }) => {
            let id = user_id(store, &user).await?;
            let (t, secret) = tokens::create(store, &actor, id, &name, None).await?;
            eprintln!("token {} (id {}) for {user}; shown once:", t.name, t.id);
            println!("{secret}");
        }
        AdminCommand::Token(TokenCommand::List) => {
            let page = tokens::list(store, &actor, &all).await?;
            for t in page.items {
                println!(
                    "{:>5}  user {:<5} {:<20} {}…  {}",
                    t.id,
                    t.user_id,
                    t.name,
                    t.prefix,
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        AdminCommand::Token(TokenCommand::Revoke { id }) => {
            tokens::revoke(store, &actor, id).await?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}
