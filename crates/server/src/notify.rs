//! Delivery of the outbox: budget alerts (and later other messages) by e-mail over SMTP and by
//! webhook, HMAC-signed. Every server runs it; a message is claimed before it is sent, so two
//! servers on one database do not both send it, and a failed delivery is retried with
//! back-off (30 s, doubling, at most an hour apart).
//!
//! A webhook is a `POST` of the message's JSON with the headers `X-Leitstand-Delivery` (the
//! message id), `X-Leitstand-Timestamp` (Unix seconds) and `X-Leitstand-Signature:
//! sha256=HEX`, the HMAC-SHA256 of `{timestamp}.{body}` under the server's webhook secret:
//! the receiver recomputes it and rejects stale timestamps.
//!
//! Webhook targets come from budget notifications, which tenant users write, so a target must
//! not reach into the server's own network: every address a target's host resolves to must be
//! public (not loopback, private, link-local, shared, unique-local, multicast or unspecified)
//! unless it lies in a network the operator allowed (`serve --webhook-allow-network CIDR`).
//! The check happens in the client's resolver, on the addresses it then connects to, so a DNS
//! answer cannot change between check and use; redirects are not followed.

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
    /// Built by [`webhook_client`].
    pub http: reqwest::Client,
    pub targets: Arc<TargetPolicy>,
}

/// Refuses webhook targets outside the public internet, unless allowed.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    /// Networks a target may be in although they are not public.
    pub allowed: Vec<ipnet::IpNet>,
}

impl TargetPolicy {
    /// Tells why `ip` may not be a webhook target, or `None` if it may.
    pub fn refusal(&self, ip: std::net::IpAddr) -> Option<&'static str> {
        if self.allowed.iter().any(|net| net.contains(&ip)) {
            return None;
        }
        non_public(ip)
    }
}

/// Names the kind of a non-public address, or `None` for a public one.
fn non_public(ip: std::net::IpAddr) -> Option<&'static str> {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
                Some("multicast or reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xfe00 == 0xfc00 {
                Some("unique-local")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast")
            } else {
                None
            }
        }
    }
}

/// A resolver that hands the client only addresses the policy allows.
struct GuardedResolver {
    policy: Arc<TargetPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some((addr, why)) = found
                .iter()
                .find_map(|a| policy.refusal(a.ip()).map(|why| (a, why)))
            {
                return Err(format!(
                    "webhook host `{host}` resolves to {} address {}; allow its network with --webhook-allow-network",
                    why,
                    addr.ip()
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client webhooks are sent with: the policy's resolver, no redirects, a timeout.
pub fn webhook_client(policy: Arc<TargetPolicy>) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .build()
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
                // An address in the URL itself does not go through the resolver.
                let url = reqwest::Url::parse(&message.target)
                    .map_err(|e| format!("bad webhook URL `{}`: {e}", message.target))?;
                let literal = url.host_str().and_then(|h| {
                    h.trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .ok()
                });
                if let Some(ip) = literal {
                    if let Some(why) = self.targets.refusal(ip) {
                        return Err(format!(
                            "webhook target {ip} is a {why} address; allow its network with --webhook-allow-network"
                        ));
                    }
                }
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
    fn only_public_targets_pass_unless_their_network_is_allowed() {
        let strict = TargetPolicy::default();
        for (ip, why) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("0.0.0.0", "unspecified"),
            ("::1", "loopback"),
            ("fd00::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
        ] {
            assert_eq!(strict.refusal(ip.parse().unwrap()), Some(why), "{ip}");
        }
        for ip in ["20.50.2.1", "100.128.0.1", "2a01:111::1"] {
            assert_eq!(strict.refusal(ip.parse().unwrap()), None, "{ip}");
        }
        let allowed = TargetPolicy {
            allowed: vec!["127.0.0.0/8".parse().unwrap()],
        };
        assert_eq!(allowed.refusal("127.0.0.1".parse().unwrap()), None);
        assert_eq!(
            allowed.refusal("10.0.0.1".parse().unwrap()),
            Some("private")
        );
    }

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        assert_eq!(backoff(0).num_seconds(), 30);
        assert_eq!(backoff(1).num_seconds(), 60);
        assert_eq!(backoff(6).num_seconds(), 1920);
        assert_eq!(backoff(20).num_seconds(), 3600);
    }
}
