//! CloudFormation's exports across the stacks of one account and region
//! (CloudFormation User Guide, "Get exported outputs from a deployed
//! CloudFormation stack"): an output's `Export` name is unique in the
//! region, `Fn::ImportValue` reads it, and while another stack imports it
//! the export can be neither removed nor changed, nor its stack deleted.
//! Players that share one `Exports` (a rig's) see each other's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::eval::Scope;

#[derive(Debug, Clone, Default)]
pub struct Exports(Arc<Mutex<BTreeMap<String, Export>>>);

#[derive(Debug, Clone)]
struct Export {
    stack: String,
    value: String,
    /// The stacks that import it.
    importers: BTreeSet<String>,
}

impl Exports {
    /// Every export's value, by name, for `Fn::ImportValue`.
    pub fn values(&self) -> BTreeMap<String, String> {
        self.0
            .lock()
            .expect("exports")
            .iter()
            .map(|(name, export)| (name.clone(), export.value.clone()))
            .collect()
    }

    /// Records what `stack` now exports and imports, unless CloudFormation
    /// would refuse it: a name another stack exports, or one of the
    /// stack's exports that another stack imports removed or changed.
    /// Nothing is recorded when it refuses.
    pub(super) fn commit(
        &self,
        stack: &str,
        exports: &BTreeMap<String, String>,
        imports: &BTreeSet<String>,
    ) -> Result<(), String> {
        let mut all = self.0.lock().expect("exports");
        for name in exports.keys() {
            if let Some(other) = all.get(name).filter(|e| e.stack != stack) {
                return Err(format!(
                    "Export with name {name} is already exported by stack {}",
                    other.stack
                ));
            }
        }
        for (name, export) in all.iter().filter(|(_, e)| e.stack == stack) {
            let users: Vec<&str> = export
                .importers
                .iter()
                .filter(|s| *s != stack)
                .map(String::as_str)
                .collect();
            if users.is_empty() {
                continue;
            }
            match exports.get(name) {
                None => {
                    return Err(format!(
                        "Export {name} cannot be deleted as it is in use by {}",
                        users.join(", ")
                    ));
                }
                Some(value) if *value != export.value => {
                    return Err(format!(
                        "Cannot update export {name} as it is in use by {}",
                        users.join(", ")
                    ));
                }
                Some(_) => {}
            }
        }
        let kept: BTreeMap<String, BTreeSet<String>> = all
            .iter()
            .filter(|(_, e)| e.stack == stack)
            .map(|(name, e)| (name.clone(), e.importers.clone()))
            .collect();
        all.retain(|_, e| e.stack != stack);
        for (name, value) in exports {
            all.insert(
                name.clone(),
                Export {
                    stack: stack.to_owned(),
                    value: value.clone(),
                    importers: kept.get(name).cloned().unwrap_or_default(),
                },
            );
        }
        for (name, export) in all.iter_mut() {
            if imports.contains(name) {
                export.importers.insert(stack.to_owned());
            } else {
                export.importers.remove(stack);
            }
        }
        Ok(())
    }

    /// Why `stack` cannot be deleted (another stack imports one of its
    /// exports), if it cannot.
    pub(super) fn in_use(&self, stack: &str) -> Option<String> {
        let all = self.0.lock().expect("exports");
        all.iter().filter(|(_, e)| e.stack == stack).find_map(|(name, e)| {
            let users: Vec<&str> = e.importers.iter().filter(|s| *s != stack).map(String::as_str).collect();
            (!users.is_empty()).then(|| {
                format!(
                    "Export {name} cannot be deleted as it is in use by {}",
                    users.join(", ")
                )
            })
        })
    }

    /// Forgets a deleted stack: its exports, and it as an importer.
    pub(super) fn forget(&self, stack: &str) {
        let mut all = self.0.lock().expect("exports");
        all.retain(|_, e| e.stack != stack);
        for export in all.values_mut() {
            export.importers.remove(stack);
        }
    }
}

/// The export names `value` imports, each `Fn::ImportValue`'s argument
/// evaluated in `scope`.
pub(super) fn imports_in(value: &Value, scope: &Scope<'_>, found: &mut BTreeSet<String>) -> Result<(), String> {
    match value {
        Value::Object(entries) => {
            if let Some(argument) = entries.get("Fn::ImportValue").filter(|_| entries.len() == 1) {
                found.insert(scope.string(argument).map_err(|err| err.to_string())?);
                return Ok(());
            }
            entries.values().try_for_each(|v| imports_in(v, scope, found))
        }
        Value::Array(items) => items.iter().try_for_each(|v| imports_in(v, scope, found)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::Receiver;
    use crate::runtime_api::RuntimeApi;
    use crate::stack::{Player, Template};

    const FOUNDATION: &str = r#"
Parameters:
  Exported: { Type: String, Default: "yes" }
Conditions:
  Exports: !Equals [!Ref Exported, "yes"]
Resources:
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  TopicArn:
    Condition: Exports
    Value: !Ref Topic
    Export: { Name: !Sub "${AWS::StackName}-topic" }
"#;

    const EVENT: &str = r#"
Parameters:
  Foundation: { Type: String }
Resources:
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmActions: [!ImportValue { "Fn::Sub": "${Foundation}-topic" }]
Outputs:
  Topic:
    Value: !ImportValue { "Fn::Sub": "${Foundation}-topic" }
"#;

    async fn players(names: &[&str]) -> Vec<Player> {
        let (api, receiver, exports) = (RuntimeApi::start().await, Receiver::start().await, Exports::default());
        names
            .iter()
            .map(|name| Player::new(api.clone(), receiver.clone(), name).exports(&exports))
            .collect()
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[tokio::test]
    async fn exports_are_imported_and_held_while_in_use_as_cloudformation_does() {
        let mut all = players(&["base", "event", "early", "copy"]).await;
        let mut copy = all.pop().unwrap();
        let mut early = all.pop().unwrap();
        let mut event = all.pop().unwrap();
        let mut base = all.pop().unwrap();
        let foundation = || Template::parse(FOUNDATION).unwrap();
        let importer = || Template::parse(EVENT).unwrap();

        let missing = early
            .create(importer(), &given(&[("Foundation", "base")]))
            .await
            .expect_err("nothing exports base-topic yet");
        assert_eq!(missing.reason, "No export named base-topic found");

        let base_stack = base.create(foundation(), &[]).await.expect("the foundation is created");
        let topic = base_stack.physical_id("Topic").unwrap().to_owned();
        let event_stack = event
            .create(importer(), &given(&[("Foundation", "base")]))
            .await
            .expect("the event imports the foundation's export");
        assert_eq!(event.outputs(&event_stack).unwrap(), [("Topic".to_owned(), topic)]);

        // A second stack cannot export the same name.
        let twice = copy.create(foundation(), &[]).await;
        assert!(twice.is_ok(), "another name: copy-topic");
        let clash = Template::parse(&FOUNDATION.replace("${AWS::StackName}-topic", "base-topic")).unwrap();
        let mut clashing = players(&["clash"]).await.pop().unwrap().exports(&base.exports_handle());
        let refused = clashing.create(clash, &[]).await.expect_err("the name is taken");
        assert_eq!(
            refused.reason,
            "Export with name base-topic is already exported by stack base"
        );

        // In use: the export can be neither removed nor its stack deleted.
        let (base_stack, removed) = base
            .update(base_stack, foundation(), &given(&[("Exported", "no")]))
            .await
            .expect_err("the export is in use");
        assert_eq!(
            removed.reason,
            "Export base-topic cannot be deleted as it is in use by event"
        );
        let failures = base.delete(base_stack.clone()).await;
        assert_eq!(failures.len(), 1);
        assert_eq!(
            failures[0].reason,
            "Export base-topic cannot be deleted as it is in use by event"
        );

        // Once the importer is gone, the foundation goes too.
        assert!(event.delete(event_stack).await.is_empty());
        assert!(base.delete(base_stack).await.is_empty());
        assert!(base.exports_handle().values().keys().all(|name| name != "base-topic"));
    }
}
