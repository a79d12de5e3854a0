//! Running a write: the change and its activity-log event commit together, and a refused
//! write still leaves a `Failed` event of its own.

use leitstand_store::{EventStatus, WriteTx};
use serde_json::Value;

use crate::arm::Ctx;
use crate::error::ApiError;
use crate::AppState;

/// What a write reports for its activity-log event.
pub struct Outcome<T> {
    pub value: T,
    pub http_status: u16,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Where a write happened, for the activity log.
pub struct Target {
    pub scope: String,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
}

impl Target {
    /// A target with only a scope.
    pub fn scope(scope: impl Into<String>) -> Self {
        Target {
            scope: scope.into(),
            subscription_id: None,
            resource_group: None,
        }
    }
}

/// Runs `change` in a write transaction of the caller's tenant and commits it with its
/// event; on refusal logs a `Failed` event instead and returns the refusal.
pub async fn run_write<T>(
    state: &AppState,
    ctx: &Ctx,
    target: Target,
    change: impl AsyncFnOnce(&mut WriteTx<'_>) -> Result<Outcome<T>, ApiError>,
) -> Result<T, ApiError> {
    let now = state.clock.now();
    let mut tx = state.store.begin_write(&ctx.caller.tenant, now).await?;
    match change(&mut tx).await {
        Ok(outcome) => {
            let mut event = ctx.event(target.scope.clone());
            event.http_status = outcome.http_status;
            event.before = outcome.before;
            event.after = outcome.after;
            event.subscription_id = target.subscription_id;
            event.resource_group = target.resource_group;
            tx.append_event(event).await?;
            tx.commit().await?;
            Ok(outcome.value)
        }
        Err(err) => {
            drop(tx);
            log_refusal_at(state, ctx, target, &err).await;
            Err(err)
        }
    }
}

/// Logs a refused write at `scope` in the caller's tenant.
pub async fn log_refusal(state: &AppState, ctx: &Ctx, scope: &str, err: &ApiError) {
    log_refusal_at(state, ctx, Target::scope(scope), err).await;
}

async fn log_refusal_at(state: &AppState, ctx: &Ctx, target: Target, err: &ApiError) {
    let mut event = ctx.event(target.scope);
    event.status = EventStatus::Failed;
    event.http_status = err.code.http_status();
    event.error = Some(err.body()["error"].clone());
    event.subscription_id = target.subscription_id;
    event.resource_group = target.resource_group;
    let result = async {
        let mut tx = state
            .store
            .begin_write(&ctx.caller.tenant, state.clock.now())
            .await?;
        tx.append_event(event).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "failed to log a refused write");
    }
}
