//! The wire protocol between the SDK and `tim-server`.
//!
//! A login costs one request/response after the TCP (and TLS) handshake: the client puts its
//! credentials in the WebSocket upgrade request headers ([`login::headers`]) and the server answers
//! the upgrade and, without waiting for anything else, sends a [`ServerFrame::LoginResult`]. Clients
//! that cannot set headers on the upgrade (browsers) send a [`ClientFrame::Login`] as their first
//! frame instead. After that, frames are JSON text messages tagged by `type`; both sides bound every
//! frame and header by the sizes in [`limits`], and check them before parsing.
//!
//! `docs/protocol.md` describes the same protocol for implementers in other languages.

pub mod frame;
pub mod limits;
pub mod login;
pub mod platform;

pub use frame::{ClientFrame, FrameError, KickReason, LoginResult, ServerFrame};
pub use login::{LoginRequest, validate_instance_id, validate_user_id, validate_user_sig};
pub use platform::{Platform, PlatformClass};

/// The protocol version a login declares. A server refuses versions it does not know with 70402,
/// so a client learns at login, not later, that it must be upgraded. Clients declare 1, which
/// every server speaks: later versions only add frames, and the login result says which.
pub const PROTOCOL_VERSION: u32 = 1;

/// The newest protocol version this crate speaks, named in every login result. Version 2 adds
/// the `ticket` frame (a renewed UserSig for an online session).
pub const PROTOCOL_NEWEST: u32 = 2;

/// The first version with [`ClientFrame::Ticket`]: a client sends it only to a server whose
/// login result names this version or a later one.
pub const PROTOCOL_TICKET: u32 = 2;

/// The path of the WebSocket endpoint on the server.
pub const WS_PATH: &str = "/";
