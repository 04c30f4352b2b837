//! Which mail class an IMb service type (STID) belongs to, from USPS's Service Type
//! Identifier table (effective January 21, 2024; postalpro.usps.com/mailing/service-type-identifiers).
//!
//! The STID tells the Postal Service the piece's class and which address-correction service
//! the mailer pays for; an IMb whose STID is of another class than the postage is wrong mail
//! the Postal Service may refuse at automation prices. dripmail cannot know which address
//! correction a mailer wants, only whether the STID fits the class.

/// A domestic USPS mail class, as far as the STID table tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UspsClass {
    /// First-Class Mail (with its Political and Ballot Mail STIDs).
    FirstClass,
    /// USPS Marketing Mail, formerly Standard Mail (with its Political and Ballot Mail STIDs).
    Marketing,
    /// Periodicals.
    Periodicals,
    /// Bound Printed Matter.
    BoundPrintedMatter,
}

impl UspsClass {
    /// The class's name as USPS writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            UspsClass::FirstClass => "First-Class Mail",
            UspsClass::Marketing => "USPS Marketing Mail",
            UspsClass::Periodicals => "Periodicals",
            UspsClass::BoundPrintedMatter => "Bound Printed Matter",
        }
    }

    /// The class a campaign's `[postage] class` names, when it is one of these (any case;
    /// "Standard Mail" and "Nonprofit" are Marketing Mail). International classes and names
    /// dripmail does not know give `None`.
    pub(crate) fn of_postage(class: &str) -> Option<UspsClass> {
        let c = class.to_ascii_lowercase();
        if c.contains("international") {
            None
        } else if c.contains("first-class") || c.contains("first class") {
            Some(UspsClass::FirstClass)
        } else if c.contains("marketing mail")
            || c.contains("standard mail")
            || c.contains("nonprofit")
            || c.contains("non-profit")
        {
            Some(UspsClass::Marketing)
        } else if c.contains("periodical") {
            Some(UspsClass::Periodicals)
        } else if c.contains("bound printed matter") {
            Some(UspsClass::BoundPrintedMatter)
        } else {
            None
        }
    }

    /// Service types for this class without address corrections, basic then Full-Service,
    /// to suggest when a campaign's does not fit.
    pub(crate) fn plain_stids(self) -> (&'static str, &'static str) {
        match self {
            UspsClass::FirstClass => ("300", "260"),
            UspsClass::Marketing => ("301", "261"),
            UspsClass::Periodicals => ("704", "038"),
            UspsClass::BoundPrintedMatter => ("401", "265"),
        }
    }
}

/// What the STID table says of a service type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stid {
    /// A service type for mail of this class.
    Class(UspsClass),
    /// Priority Mail, reply mail or Share Mail: not for an outgoing letter or card.
    NotOutbound,
    /// Not in the table dripmail knows (new, or a typing error).
    Unknown,
}

const FIRST_CLASS: &[&str] = &[
    "300", "310", "260", "270", "700", "040", "230", "220", "080", "140", "504", "502", "082",
    "240", "341", "340", "345", "344", "320", "314", "081", "141", "516", "514", "083", "241",
    "343", "342", "232", "222", "501", "500", "505", "503", "507", "506", "509", "508", "517",
    "515", "521", "519", "510", "530", "512", "511", "535", "534", "537", "536", "543", "538",
    "545", "544", // Political Mail
    "751", "727", "761", "747", "752", "756", "753", "757", "754", "758", "755", "759", "763",
    "767", "764", "768", "765", "769", "762", "766", // Ballot Mail, outbound
    "715", "720", "716", "717", "718", "713", "722", "723", "725",
];

const MARKETING: &[&str] = &[
    "301", "311", "261", "271", "702", "042", "090", "142", "334", "585", "092", "242", "513",
    "586", "272", "262", "091", "143", "550", "548", "093", "243", "567", "231", "529", "587",
    "540", "539", "542", "541", "547", "546", "551", "549", "560", "559", "562", "561", "565",
    "564", "568", "566", "570", "569", "572", "571", // Political Mail
    "771", "728", "773", "748", "772", "776", "775", "770", "774", "781", "785", "786",
    // Ballot Mail, outbound
    "735", "741", "736", "737", "738", "714", "743", "744", "746", "726",
];

const PERIODICALS: &[&str] = &[
    "704", "044", "149", "148", "147", "146", "784", "244", "038", "045", "600", "599", "602",
    "601",
];

const BOUND_PRINTED_MATTER: &[&str] = &[
    "401", "451", "265", "351", "706", "452", "424", "453", "605", "454", "431", "455", "615",
    "456", "619", "457", "423", "353", "607", "354", "430", "355", "617", "356", "621", "357",
    "603", "458", "604", "358", "606", "459", "608", "359", "613", "460", "614", "360", "616",
    "461", "618", "361", "620", "462", "622", "362",
];

/// Priority Mail, reply mail (courtesy, business, permit), inbound ballots and Share Mail.
const NOT_OUTBOUND: &[&str] = &[
    "710", "712", "703", "050", "708", "052", "701", "051", "070", "030", "072", "032", "071",
    "031", "733", "734", "777", "778", "779", "780",
];

/// What the STID table says of `stid` (three digits).
pub(crate) fn stid(stid: &str) -> Stid {
    let classes = [
        (FIRST_CLASS, UspsClass::FirstClass),
        (MARKETING, UspsClass::Marketing),
        (PERIODICALS, UspsClass::Periodicals),
        (BOUND_PRINTED_MATTER, UspsClass::BoundPrintedMatter),
    ];
    if let Some((_, class)) = classes.iter().find(|(list, _)| list.contains(&stid)) {
        Stid::Class(*class)
    } else if NOT_OUTBOUND.contains(&stid) {
        Stid::NotOutbound
    } else {
        Stid::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_type_has_one_class() {
        let lists = [
            FIRST_CLASS,
            MARKETING,
            PERIODICALS,
            BOUND_PRINTED_MATTER,
            NOT_OUTBOUND,
        ];
        let mut all: Vec<&str> = lists.concat();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a service type is listed twice");
        assert!(
            all.iter()
                .all(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        );
    }

    #[test]
    fn service_types_are_told_apart_by_class() {
        assert_eq!(stid("300"), Stid::Class(UspsClass::FirstClass));
        assert_eq!(stid("301"), Stid::Class(UspsClass::Marketing));
        assert_eq!(stid("270"), Stid::Class(UspsClass::FirstClass));
        assert_eq!(stid("271"), Stid::Class(UspsClass::Marketing));
        assert_eq!(stid("038"), Stid::Class(UspsClass::Periodicals));
        assert_eq!(stid("710"), Stid::NotOutbound);
        assert_eq!(stid("999"), Stid::Unknown);
        for class in [
            UspsClass::FirstClass,
            UspsClass::Marketing,
            UspsClass::Periodicals,
            UspsClass::BoundPrintedMatter,
        ] {
            let (basic, full) = class.plain_stids();
            assert_eq!(stid(basic), Stid::Class(class));
            assert_eq!(stid(full), Stid::Class(class));
        }
    }

    #[test]
    fn postage_classes_are_read_by_name() {
        let of = UspsClass::of_postage;
        assert_eq!(of("USPS Marketing Mail"), Some(UspsClass::Marketing));
        assert_eq!(of("Standard Mail"), Some(UspsClass::Marketing));
        assert_eq!(
            of("Nonprofit USPS Marketing Mail"),
            Some(UspsClass::Marketing)
        );
        assert_eq!(of("First-Class Mail"), Some(UspsClass::FirstClass));
        assert_eq!(of("first class presort"), Some(UspsClass::FirstClass));
        assert_eq!(of("First-Class Mail International"), None);
        assert_eq!(of("Posta4"), None);
    }
}
