//! IAM's policy simulator (SimulatePrincipalPolicy) for the roles the
//! stacks made, answered with the project's own IAM evaluator over each
//! role's policies as the template player registered them: what the
//! first-deploy check asks AWS. Every other IAM call goes to moto.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::cloudformation::form;
use crate::http::{Recorded, Reply, typed_reply, xml_escape};

fn refuse(status: u16, code: &str, message: &str) -> Reply {
    typed_reply(
        status,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{}</Message></Error><RequestId>4a1c1c9e-iam</RequestId></ErrorResponse>",
            xml_escape(message)
        ),
    )
}

/// `prefix.member.N` values, in N order.
fn members(form: &BTreeMap<String, String>, prefix: &str) -> Vec<String> {
    (1..)
        .map_while(|n| form.get(&format!("{prefix}.member.{n}")).cloned())
        .collect()
}

/// SimulatePrincipalPolicy; `None` for any other IAM call.
pub(super) fn route(request: &Recorded, state: &Mutex<super::State>) -> Option<Reply> {
    let form = form(&request.body);
    if form.get("Action").map(String::as_str) != Some("SimulatePrincipalPolicy") {
        return None;
    }
    let role = form.get("PolicySourceArn").cloned().unwrap_or_default();
    let actions = members(&form, "ActionNames");
    let mut resources = members(&form, "ResourceArns");
    if resources.is_empty() {
        resources.push("*".to_owned());
    }
    let mut context = BTreeMap::new();
    for n in 1.. {
        let entry = format!("ContextEntries.member.{n}");
        let Some(key) = form.get(&format!("{entry}.ContextKeyName")) else {
            break;
        };
        context.insert(key.clone(), members(&form, &format!("{entry}.ContextKeyValues")));
    }
    let state = state.lock().expect("faithful state");
    let Some(gate) = state.iam.as_ref() else {
        return Some(refuse(400, "InvalidInput", "the IAM test is off: no role is known"));
    };
    let mut results = String::new();
    for action in &actions {
        for resource in &resources {
            let decision = match gate.simulate(&role, action, resource, &context) {
                None => {
                    return Some(refuse(
                        404,
                        "NoSuchEntity",
                        &format!("The role {role} cannot be found."),
                    ));
                }
                Some(Err(why)) => return Some(refuse(400, "InvalidInput", &why)),
                Some(Ok(true)) => "allowed",
                Some(Ok(false)) => "implicitDeny",
            };
            results.push_str(&format!(
                "<member><EvalActionName>{}</EvalActionName><EvalResourceName>{}</EvalResourceName>\
                 <EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/></member>",
                xml_escape(action),
                xml_escape(resource)
            ));
        }
    }
    Some(typed_reply(
        200,
        "text/xml",
        format!(
            "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>\
             <EvaluationResults>{results}</EvaluationResults></SimulatePrincipalPolicyResult>\
             <ResponseMetadata><RequestId>4a1c1c9e-iam</RequestId></ResponseMetadata>\
             </SimulatePrincipalPolicyResponse>"
        ),
    ))
}
