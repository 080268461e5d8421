//! What a ticket asserts: who, for which app, from when and for how long.

/// Claims of a ticket: everything it carries except the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The UserID the ticket was signed for (`TLS.identifier`).
    pub identifier: String,
    /// The app the ticket was signed for (`TLS.sdkappid`).
    pub sdkappid: u64,
    /// Unix seconds when the ticket was signed (`TLS.time`).
    pub time: u64,
    /// Seconds of validity from `time` (`TLS.expire`).
    pub expire: u64,
    /// Optional opaque bytes covered by the signature (`TLS.userbuf`, base64 in the ticket).
    /// TRTC puts room permissions there; IM logins have none.
    pub userbuf: Option<Vec<u8>>,
}

impl Claims {
    /// Claims without a userbuf.
    pub fn new(sdkappid: u64, identifier: impl Into<String>, time: u64, expire: u64) -> Self {
        Claims {
            identifier: identifier.into(),
            sdkappid,
            time,
            expire,
            userbuf: None,
        }
    }

    /// The same claims carrying `userbuf`.
    pub fn with_userbuf(mut self, userbuf: impl Into<Vec<u8>>) -> Self {
        self.userbuf = Some(userbuf.into());
        self
    }

    /// Unix seconds after which the ticket is expired. Saturates rather than wrapping, so a huge
    /// `expire` means "never" instead of "already".
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }

    /// Whether the ticket is expired at `now` (unix seconds). The last second is still valid,
    /// as in Tencent's verifier.
    pub fn is_expired(&self, now: u64) -> bool {
        now > self.expires_at()
    }
}
