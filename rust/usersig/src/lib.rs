//! Sign and verify Tencent Cloud IM UserSig tickets (the "TLSSigAPIv2" format).
//!
//! A business server signs a ticket for a user with the app's secret key ([`sign`]); the access
//! server checks it at login ([`verify`]). Tickets made here are accepted by Tencent's verifiers and
//! tickets made by Tencent's official signing libraries are accepted here, so an app's business
//! server keeps signing exactly as before.
//!
//! A ticket is `zlib(JSON)` in base64 with `+/=` replaced by `*-_`; the JSON carries the claims and
//! `TLS.sig`, the HMAC-SHA256 of the claims under the key.
//!
//! ```
//! use tim_usersig::{Claims, Error, sign, verify};
//!
//! let claims = Claims::new(1400000000, "alice", 1_600_000_000, 86_400);
//! let ticket = sign("secret", &claims);
//! assert_eq!(verify(&ticket, 1400000000, "alice", &["secret"], 1_600_000_001), Ok(claims));
//! assert_eq!(verify(&ticket, 1400000000, "alice", &["other"], 1_600_000_001), Err(Error::BadSignature));
//! ```

mod claims;
mod codec;
mod document;
mod error;
mod sign;
mod verify;

pub use claims::Claims;
pub use error::Error;
pub use sign::sign;
pub use verify::{decode, verify};

/// Longest ticket accepted, in bytes. Longer input fails with 70003 before any decoding work, which
/// bounds the cost an unauthenticated client can cause. Real tickets are a few hundred bytes.
pub const MAX_TICKET_LEN: usize = 8192;

/// Most bytes a ticket may inflate to. Inflating stops there with 70003, so a zlib bomb never
/// allocates more than this.
pub const MAX_DECODED_LEN: usize = 8192;
