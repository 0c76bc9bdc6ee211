//! The IAM principals tagwarden acts as, by ARN: the member role it
//! assumes in an account, and what `iam:SimulatePrincipalPolicy` takes for
//! the credentials' own identity.

/// The member role's ARN in `account` (`accounts.role`, which may carry a
/// path: `path/name`).
pub fn role_arn(partition: &str, account: &str, role: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role}")
}

/// The ARN `iam:SimulatePrincipalPolicy` takes for a caller: a user's or a
/// role's as it is, an assumed role's session as its role
/// (`arn:P:sts::A:assumed-role/NAME/SESSION` → `arn:P:iam::A:role/NAME`; a
/// path the role may have is not in the session's ARN). None for the root
/// user and federated users, which have no policies to simulate.
pub fn simulation_principal(caller_arn: &str) -> Option<String> {
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    let [_, partition, service, _, account, resource] = parts[..] else {
        return None;
    };
    match (service, resource.split_once('/')) {
        ("iam", Some(("user" | "role", _))) => Some(caller_arn.to_string()),
        // An emulator's form of a user (moto): the same user in IAM.
        ("sts", Some(("user", name))) => {
            Some(format!("arn:{partition}:iam::{account}:user/{name}"))
        }
        ("sts", Some(("assumed-role", rest))) => {
            let name = rest.split('/').next().filter(|n| !n.is_empty())?;
            Some(role_arn(partition, account, name))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_principal_simulated_for_each_kind_of_caller() {
        assert_eq!(
            role_arn("aws-cn", "111111111111", "ops/tagwarden"),
            "arn:aws-cn:iam::111111111111:role/ops/tagwarden"
        );
        let cases = [
            ("arn:aws:iam::111111111111:user/ops/alice", Some("arn:aws:iam::111111111111:user/ops/alice")),
            ("arn:aws:iam::111111111111:role/tagwarden", Some("arn:aws:iam::111111111111:role/tagwarden")),
            (
                "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com",
                Some("arn:aws:iam::111111111111:role/AWSReservedSSO_Admin_0123"),
            ),
            ("arn:aws-us-gov:sts::111111111111:assumed-role/tw/s", Some("arn:aws-us-gov:iam::111111111111:role/tw")),
            ("arn:aws:sts::111111111111:user/moto", Some("arn:aws:iam::111111111111:user/moto")),
            ("arn:aws:iam::111111111111:root", None),
            ("arn:aws:sts::111111111111:federated-user/bob", None),
            ("arn:aws:sts::111111111111:assumed-role/", None),
            ("not an arn", None),
        ];
        for (caller, expected) in cases {
            assert_eq!(
                simulation_principal(caller).as_deref(),
                expected,
                "{caller}"
            );
        }
    }
}
