//! The starter campaign `dripmail init` writes (the built-in layouts and fonts come beside it).

/// Files of the starter campaign, by path relative to the new folder.
pub static FILES: &[(&str, &[u8])] = &[
    (
        "contacts.csv",
        include_bytes!("../samples/starter/contacts.csv"),
    ),
    (
        "events.csv",
        include_bytes!("../samples/starter/events.csv"),
    ),
    (
        "do-not-mail.csv",
        include_bytes!("../samples/starter/do-not-mail.csv"),
    ),
];

/// The starter `campaign.toml`, pointing at the layouts written beside it.
#[must_use]
pub fn campaign_toml() -> String {
    include_str!("../samples/starter/campaign.toml")
        .replace("layouts = \"../../layouts\"", "layouts = \"layouts\"")
}
