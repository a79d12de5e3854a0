//! Delivery of the outbox: budget alerts (and later other messages) by e-mail over SMTP and by
//! webhook, HMAC-signed. Every server runs it; a message is claimed before it is sent, so two
//! servers on one database do not both send it, and a failed delivery is retried with
//! back-off (30 s, doubling, at most an hour apart).
//!
//! A webhook is a `POST` of the message's JSON with the headers `X-Leitstand-Delivery` (the
//! message id), `X-Leitstand-Timestamp` (Unix seconds) and `X-Leitstand-Signature:
//! sha256=HEX`, the HMAC-SHA256 of `{timestamp}.{body}` under the server's webhook secret:
//! the receiver recomputes it and rejects stale timestamps.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use leitstand_core::Clock;
use leitstand_store::{OutboxRow, Store};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

/// How often the outbox is polled.
const POLL: Duration = Duration::from_secs(2);
/// How long a claimed message is left alone by other servers while it is being sent.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);

/// Where messages go.
pub struct Notifier {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    pub from: Mailbox,
    /// The key webhooks are signed with; without one, webhooks are not sent.
    pub webhook_secret: Option<Vec<u8>>,
    pub http: reqwest::Client,
}

/// Signs a webhook body: `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn backoff(attempts: i64) -> chrono::Duration {
    let shift = u32::try_from(attempts.clamp(0, 7)).unwrap_or(7);
    chrono::Duration::seconds((30i64 << shift).min(3600))
}

impl Notifier {
    /// Runs until the process ends.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "outbox delivery round failed");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Delivers what is due now; returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, leitstand_store::StoreError> {
        let now = self.clock.now();
        let due = self.store.outbox_due(now, 50).await?;
        let mut delivered = 0;
        for message in due {
            if !self
                .store
                .outbox_claim(&message.id, &message.next_attempt_at, now + LEASE)
                .await?
            {
                continue;
            }
            match self.send(&message, now).await {
                Ok(()) => {
                    if self
                        .store
                        .outbox_delivered(&message.id, self.clock.now())
                        .await?
                    {
                        delivered += 1;
                    }
                }
                Err(error) => {
                    tracing::warn!(id = %message.id, channel = %message.channel, target = %message.target, %error, "delivery failed; will retry");
                    self.store
                        .outbox_failed(&message.id, &error, now + backoff(message.attempts))
                        .await?;
                }
            }
        }
        Ok(delivered)
    }

    async fn send(&self, message: &OutboxRow, now: DateTime<Utc>) -> Result<(), String> {
        match message.channel.as_str() {
            "email" => {
                let smtp = self
                    .smtp
                    .as_ref()
                    .ok_or("no SMTP server is configured (leitstand serve --smtp-url)")?;
                let to: Mailbox = message
                    .target
                    .parse()
                    .map_err(|e| format!("bad address `{}`: {e}", message.target))?;
                let text = serde_json::to_string_pretty(&message.body).unwrap_or_default();
                let email = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(message.subject.clone())
                    .body(format!("{}\n\n{text}\n", message.subject))
                    .map_err(|e| format!("cannot build the e-mail: {e}"))?;
                smtp.send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("SMTP: {e}"))
            }
            "webhook" => {
                let secret = self.webhook_secret.as_ref().ok_or(
                    "no webhook secret is configured (leitstand serve --webhook-secret-file)",
                )?;
                let body = serde_json::to_vec(&serde_json::json!({
                    "id": message.id,
                    "subject": message.subject,
                    "createdAt": message.created_at,
                    "data": message.body,
                }))
                .map_err(|e| e.to_string())?;
                let timestamp = now.timestamp();
                let response = self
                    .http
                    .post(&message.target)
                    .header("content-type", "application/json")
                    .header("x-leitstand-delivery", &message.id)
                    .header("x-leitstand-timestamp", timestamp.to_string())
                    .header("x-leitstand-signature", signature(secret, timestamp, &body))
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| format!("POST {}: {e}", message.target))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!(
                        "POST {} answered {}",
                        message.target,
                        response.status()
                    ))
                }
            }
            other => Err(format!("unknown channel `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_timestamp_and_body() {
        // RFC 4231 test case 2's key and data, with our `{timestamp}.` in front; the value is
        // Python's `hmac.new(b"Jefe", b"1.what do ya want for nothing?", sha256).hexdigest()`.
        let a = signature(b"Jefe", 1, b"what do ya want for nothing?");
        assert_eq!(
            a,
            "sha256=a9049465ce89cfb8e9aac62333abda66f80e3403f51f57f6bae3c3a4485eca38"
        );
        assert_ne!(a, signature(b"Jefe", 2, b"what do ya want for nothing?"));
        assert_ne!(a, signature(b"Jefe", 1, b"what do ya want for nothing!"));
        assert_ne!(a, signature(b"jefe", 1, b"what do ya want for nothing?"));
    }

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        assert_eq!(backoff(0).num_seconds(), 30);
        assert_eq!(backoff(1).num_seconds(), 60);
        assert_eq!(backoff(6).num_seconds(), 1920);
        assert_eq!(backoff(20).num_seconds(), 3600);
    }
}
