//! Size limits that both sides enforce before parsing, so that no peer can make the other allocate
//! more than a few kilobytes per connection.

/// Largest text frame either side accepts, in bytes. Every frame of protocol version 1 fits in a
/// few hundred bytes; the rest is room for a long ticket in a first-frame login.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Largest UserSig accepted, in bytes. Tickets of the official libraries are 150–400 bytes.
pub const MAX_USER_SIG_BYTES: usize = 8 * 1024;

/// Largest UserID, in bytes (Tencent's rule).
pub const MAX_USER_ID_BYTES: usize = 32;

/// Largest instance id, in bytes.
pub const MAX_INSTANCE_ID_BYTES: usize = 64;

/// Largest SDK version string, in bytes.
pub const MAX_SDK_VERSION_BYTES: usize = 64;

/// Largest request head (request line and all headers) a server reads before answering 431.
pub const MAX_REQUEST_HEAD_BYTES: usize = 16 * 1024;
