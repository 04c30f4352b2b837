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

/// Contacts for proofs of a campaign that has no data yet: varied names and addresses,
/// long and accented ones included.
pub const SAMPLE_CONTACTS: &str = "id,first_name,last_name,company,address1,address2,city,state,postal_code,country,enrolled_on,segment
1,Ann,Lee,,12 Main St,Apt 4,Springfield,IL,62701,US,2026-01-05,retail
2,Maria Guadalupe,Bartholomew-Castellanos,Northwind Traders International,4000 Washington Blvd,Suite 1200,Santa Fe,NM,87501-1234,US,2026-01-05,wholesale
3,Nicolò,Zanè,Trattoria da Mario,Corso Vittorio Emanuele II 116,Scala B,Verona,VR,37121,IT,2026-01-06,vip
";

/// The starter `campaign.toml`, pointing at the layouts written beside it.
#[must_use]
pub fn campaign_toml() -> String {
    include_str!("../samples/starter/campaign.toml")
        .replace("layouts = \"../../layouts\"", "layouts = \"layouts\"")
}
