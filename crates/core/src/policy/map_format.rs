//! The built-in `format: map` check of MAP 2.0 `map-migrated` values
//! (see map-facts.md): a lowercase prefix followed by the MPE ID.

/// Prefixes, longest first so that `comm_ec2_…` is not read as `comm` + `_ec2_…`.
pub const PREFIXES: &[&str] = &["comm_ec2_", "mig_ec2_", "oracle", "comm", "sap", "mig"];

/// Keys that older MAP agreements and tools used instead of `map-migrated`.
pub const LEGACY_KEYS: &[&str] = &["map-dba", "aws-migration-project-id", "map-migrated-app"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapFormat {
    /// `^(mig|sap|oracle|comm|mig_ec2_|comm_ec2_)([0-9]{5}|[0-9A-Z]{10})$`
    Strict,
    /// As strict, but MPE IDs of more than 10 characters are accepted (some
    /// real engagements have them).
    Relaxed,
}

impl MapFormat {
    pub fn name(self) -> &'static str {
        match self {
            MapFormat::Strict => "map",
            MapFormat::Relaxed => "map-relaxed",
        }
    }

    pub fn parse(name: &str) -> Option<MapFormat> {
        match name {
            "map" => Some(MapFormat::Strict),
            "map-relaxed" => Some(MapFormat::Relaxed),
            _ => None,
        }
    }

    /// `Ok` when `value` is a valid MAP 2.0 value, else a hint for the user.
    pub fn check(self, value: &str) -> Result<(), String> {
        if PREFIXES
            .iter()
            .any(|p| value.strip_prefix(p).is_some_and(|id| self.valid_id(id)))
        {
            return Ok(());
        }
        Err(self.explain(value))
    }

    /// The MPE ID a valid value carries (`migABCDE12345` → `ABCDE12345`).
    pub fn mpe_id(self, value: &str) -> Option<&str> {
        PREFIXES
            .iter()
            .filter_map(|p| value.strip_prefix(p))
            .find(|id| self.valid_id(id))
    }

    fn valid_id(self, id: &str) -> bool {
        let digits = id.len() == 5 && id.bytes().all(|b| b.is_ascii_digit());
        let alnum = id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        let long_enough = match self {
            MapFormat::Strict => id.len() == 10,
            MapFormat::Relaxed => id.len() >= 10,
        };
        digits || (alnum && long_enough)
    }

    fn explain(self, value: &str) -> String {
        if value.starts_with("d-server-") {
            return "legacy Migration Hub server ID (pre-2022 MAP agreements); MAP 2.0 needs `mig<MPE ID>`, e.g. `migABCDE12345`".into();
        }
        if value.trim() != value {
            return "value has surrounding white space; AWS compares values exactly".into();
        }
        let lower = value.to_ascii_lowercase();
        if let Some(p) = PREFIXES.iter().find(|p| lower.starts_with(*p)) {
            let (prefix, id) = value.split_at(p.len());
            if prefix != *p {
                return format!("prefix `{prefix}` must be lowercase `{p}`");
            }
            if id.is_empty() {
                return format!("`{p}` must be followed by the MPE ID (5 digits or 10 uppercase letters and digits)");
            }
            if id.bytes().any(|b| b.is_ascii_lowercase()) {
                return format!("MPE ID `{id}` must be uppercase");
            }
            return match self {
                MapFormat::Strict if id.len() > 10 => format!(
                    "MPE ID `{id}` has {} characters; MAP 2.0 IDs have 5 digits or 10 letters and digits (use `format: map-relaxed` if your agreement's ID is longer)",
                    id.len()
                ),
                _ => format!("MPE ID `{id}` must be 5 digits or 10 uppercase letters and digits"),
            };
        }
        format!(
            "not a MAP 2.0 value: expected one of the prefixes {} followed by the MPE ID",
            PREFIXES.join(", ")
        )
    }
}

/// Which side of the MAP line a value puts its spend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagState {
    Tagged,
    Mistagged,
    Untagged,
}

/// Tagged: a valid MAP 2.0 value with this agreement's MPE ID (any valid
/// value when no `mpe_id` is configured); mis-tagged: malformed or another
/// agreement's; untagged: no value.
pub fn classify(value: Option<&str>, mpe_id: Option<&str>) -> TagState {
    match value.map(str::trim) {
        None | Some("") => TagState::Untagged,
        Some(v) => match (MapFormat::Relaxed.mpe_id(v), mpe_id) {
            (Some(found), Some(ours)) if found == ours => TagState::Tagged,
            (Some(_), None) => TagState::Tagged,
            _ => TagState::Mistagged,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MapFormat::*;

    #[test]
    fn accepts_every_prefix_and_both_id_forms() {
        for v in [
            "mig12345",
            "migABCDE12345",
            "sap12345",
            "oracleABCDE12345",
            "comm12345",
            "mig_ec2_12345",
            "comm_ec2_ABCDE12345",
            "mig0123456789",
        ] {
            assert_eq!(Strict.check(v), Ok(()), "{v}");
            assert_eq!(Relaxed.check(v), Ok(()), "{v}");
        }
    }

    #[test]
    fn rejects_with_a_hint() {
        let cases = [
            ("d-server-020zya2d8ytar8", "legacy Migration Hub server ID"),
            ("MIG12345", "prefix `MIG` must be lowercase `mig`"),
            ("Mig12345", "prefix `Mig` must be lowercase `mig`"),
            ("migabcde12345", "MPE ID `abcde12345` must be uppercase"),
            ("mig1234", "MPE ID `1234` must be 5 digits"),
            ("mig", "`mig` must be followed by the MPE ID"),
            ("mig12345 ", "surrounding white space"),
            ("xyz12345", "not a MAP 2.0 value"),
            ("", "not a MAP 2.0 value"),
            ("migABCDE123456", "has 11 characters"),
        ];
        for (v, hint) in cases {
            let err = Strict.check(v).unwrap_err();
            assert!(err.contains(hint), "{v}: {err}");
        }
    }

    #[test]
    fn relaxed_allows_longer_ids_only() {
        assert_eq!(Relaxed.check("migABCDE123456"), Ok(()));
        assert!(Relaxed.check("migABCDE1234").is_err());
        assert!(Relaxed.check("mig123456").is_err());
    }

    #[test]
    fn names_round_trip() {
        for f in [Strict, Relaxed] {
            assert_eq!(MapFormat::parse(f.name()), Some(f));
        }
        assert_eq!(MapFormat::parse("MAP"), None);
    }
}
