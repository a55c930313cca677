//! The ownership policy for resources whose id the stack chooses (a
//! MediaPackage channel or endpoint, a secret): written once here, so each
//! such kind says only how to describe, read the tags of, and remove one.
//!
//! - A Delete removes the resource only if this stack resource made it.
//! - The Delete after a cut-off Create removes it only if that very request
//!   made it.
//! - A Create that meets an existing resource adopts it only if this stack
//!   resource made it (its first delivery, whose answer was lost), and
//!   refuses it otherwise.

use std::future::Future;

use super::resource::Request;
use crate::aws::Clients;
use crate::error::Error;

/// A resource found by the id the stack chose for it.
pub(super) trait Named {
    /// What a describe returns.
    type Found: Send + Sync;
    /// How logs and errors name the resource's type ("MediaPackage channel").
    const WHAT: &'static str;

    /// The resource `id`; `None` when there is none.
    fn describe(aws: &Clients, id: &str) -> impl Future<Output = Result<Option<Self::Found>, Error>> + Send;

    /// The resource's tags as `(key, value)` pairs.
    fn tags(found: &Self::Found) -> Vec<(&str, &str)>;

    /// Removes it (and what it holds); ownership is checked already.
    /// Not found is success.
    fn remove(aws: &Clients, id: &str, found: &Self::Found) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The Delete of `id`: removes it if this stack resource made it; leaves
/// anyone else's in place. Not found is success.
pub(super) async fn delete_ours<N: Named>(aws: &Clients, req: &Request, id: &str) -> Result<(), Error> {
    let Some(found) = N::describe(aws, id).await? else {
        return Ok(());
    };
    if !req.may_delete(&format!("{} {id}", N::WHAT), N::tags(&found)) {
        return Ok(());
    }
    N::remove(aws, id, &found).await
}

/// The Delete after a Create that never learnt whether it made `id`:
/// removes it only if the request `request_id` made it. `id` is `None`
/// when the properties no longer parse; nothing is looked for then.
pub(super) async fn delete_made_in<N: Named>(
    aws: &Clients,
    req: &Request,
    request_id: &str,
    id: Option<&str>,
) -> Result<(), Error> {
    let Some(id) = id else {
        tracing::warn!(
            kind = N::WHAT,
            "the properties do not parse; the id is unknown and nothing is looked for"
        );
        return Ok(());
    };
    let Some(found) = N::describe(aws, id).await? else {
        return Ok(());
    };
    if !req.made_in(request_id, N::tags(&found)) {
        tracing::info!(
            kind = N::WHAT,
            id,
            "exists but was not made by the failed Create; left in place"
        );
        return Ok(());
    }
    tracing::info!(kind = N::WHAT, id, "deleting what a cut-off Create made");
    N::remove(aws, id, &found).await
}

/// After a Create met an existing `id` (a conflict, or the SDK's retry of
/// an attempt whose answer was lost): the resource if this stack resource
/// made it and `fits` it, an error if it is someone else's, `None` if there
/// is none.
pub(super) async fn adopt<N: Named>(
    aws: &Clients,
    req: &Request,
    id: &str,
    fits: impl FnOnce(&N::Found) -> bool,
) -> Result<Option<N::Found>, Error> {
    let Some(found) = N::describe(aws, id).await? else {
        return Ok(None);
    };
    if !req.owns(N::tags(&found)) || !fits(&found) {
        return Err(req.not_ours(&format!("{} {id}", N::WHAT)));
    }
    tracing::info!(kind = N::WHAT, id, "adopting what this resource created before");
    Ok(Some(found))
}
