//! The built-in demo Crisp: a seeded inbox served on loopback, so everything works with no
//! Crisp account and nothing leaves the machine.

pub mod activity;
mod inbox;
pub mod seed;
pub mod server;

pub use seed::DEMO_WEBSITE_ID;
pub use server::{demo_token, DemoServer, Fault, FaultKind, RecordedRequest, DEMO_TOKENS};

use crate::accounts::{Account, DEFAULT_ACCOUNT};
use crate::crisp::client::Credentials;
use crate::crisp::error::Secret;
use crate::crisp::Tier;

/// The demo's accounts: `default` (user tier, so every function works), and `support` (plugin)
/// and `sales` (website) to try multi-account namespaces and tier rules.
pub fn accounts(base_url: &str) -> Vec<Account> {
    [
        (DEFAULT_ACCOUNT, Tier::User),
        ("sales", Tier::Website),
        ("support", Tier::Plugin),
    ]
    .into_iter()
    .map(|(name, tier)| {
        let token = demo_token(tier);
        Account {
            name: name.to_string(),
            website_id: Some(DEMO_WEBSITE_ID.to_string()),
            tier,
            origin: "demo",
            base_url: base_url.to_string(),
            fixed: Some(Credentials {
                identifier: token.identifier.to_string(),
                key: Secret::new(token.key),
            }),
        }
    })
    .collect()
}
