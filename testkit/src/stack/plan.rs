//! The order CloudFormation makes a template's resources in: each after
//! everything it refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`).

use std::collections::{BTreeMap, BTreeSet};

use super::eval::references;
use super::template::{Resource, Template};

/// The resources whose condition holds, ordered so that each comes after
/// everything it refers to; ties keep template order.
pub(super) fn plan(template: &Template, conditions: &BTreeMap<String, bool>) -> Result<Vec<Resource>, String> {
    let included: Vec<&Resource> = template
        .resources
        .iter()
        .filter(|r| {
            r.condition
                .as_ref()
                .is_none_or(|c| conditions.get(c).copied().unwrap_or(false))
        })
        .collect();
    let names: BTreeSet<&str> = included.iter().map(|r| r.logical_id.as_str()).collect();
    let mut needs: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for resource in &included {
        let mut refs = BTreeSet::new();
        references(&resource.properties, conditions, &mut refs);
        refs.extend(resource.depends_on.iter().cloned());
        let mut deps = BTreeSet::new();
        for name in refs {
            if names.contains(name.as_str()) {
                deps.insert(name);
            } else if template.resource(&name).is_some() {
                return Err(format!(
                    "{} refers to {name}, whose condition is false",
                    resource.logical_id
                ));
            } else if !template.parameters.contains_key(&name) && !name.starts_with("AWS::") {
                return Err(format!(
                    "Unresolved resource dependencies [{name}] in {}",
                    resource.logical_id
                ));
            }
        }
        needs.insert(resource.logical_id.as_str(), deps);
    }
    let mut order = Vec::new();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while order.len() < included.len() {
        let next = included.iter().find(|r| {
            !placed.contains(&r.logical_id) && needs[r.logical_id.as_str()].iter().all(|d| placed.contains(d))
        });
        let Some(next) = next else {
            let stuck: Vec<&str> = names.iter().copied().filter(|n| !placed.contains(*n)).collect();
            return Err(format!("Circular dependency between resources: {stuck:?}"));
        };
        placed.insert(next.logical_id.clone());
        order.push((*next).clone());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    #[test]
    fn resources_follow_their_references_and_depends_on() {
        let t = template(
            "Conditions:\n  Off: !Equals [a, b]\nResources:\n  \
             C:\n    Type: Custom::X\n    Properties: { A: !GetAtt B.Arn, S: !Sub '${A}' }\n  \
             B:\n    Type: Custom::X\n    DependsOn: A\n  \
             A:\n    Type: Custom::X\n  \
             D:\n    Type: Custom::X\n    Condition: Off\n",
        );
        let conditions = BTreeMap::from([("Off".to_owned(), false)]);
        let order: Vec<String> = plan(&t, &conditions)
            .unwrap()
            .into_iter()
            .map(|r| r.logical_id)
            .collect();
        assert_eq!(order, ["A", "B", "C"]);
    }

    #[test]
    fn cycles_and_references_to_excluded_resources_are_refused() {
        let t = template(
            "Resources:\n  A:\n    Type: Custom::X\n    Properties: { B: !Ref B }\n  \
             B:\n    Type: Custom::X\n    Properties: { A: !Ref A }\n",
        );
        assert!(plan(&t, &BTreeMap::new()).unwrap_err().contains("Circular"));
        let t = template(
            "Resources:\n  A:\n    Type: Custom::X\n    Properties: { B: !Ref B }\n  \
             B:\n    Type: Custom::X\n    Condition: Off\n",
        );
        let conditions = BTreeMap::from([("Off".to_owned(), false)]);
        assert!(plan(&t, &conditions).unwrap_err().contains("condition is false"));
    }
}
