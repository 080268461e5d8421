//! The envelope around the JSON document: zlib, then base64 with `+/=` replaced by `*-_` so the
//! ticket survives URLs and headers unescaped. Decoding is bounded: it never reads more than
//! [`MAX_TICKET_LEN`] bytes of ticket nor produces more than [`MAX_DECODED_LEN`] bytes of JSON.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::{Compression, Decompress, FlushDecompress, Status, write::ZlibEncoder};
use std::cell::RefCell;

use crate::{Error, MAX_DECODED_LEN, MAX_TICKET_LEN};

/// Compresses `json` and encodes it in the ticket alphabet.
pub(crate) fn wrap(json: &[u8]) -> String {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let compressed = encoder
        .write_all(json)
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// Undoes [`wrap`]: the JSON bytes of a ticket, or 70002/70003.
pub(crate) fn unwrap(ticket: &str) -> Result<Vec<u8>, Error> {
    if ticket.is_empty() {
        return Err(Error::Empty);
    }
    if ticket.len() > MAX_TICKET_LEN {
        return Err(Error::Malformed("UserSig is longer than 8192 bytes"));
    }
    inflate(&from_ticket_base64(ticket)?)
}

/// Decodes the ticket alphabet. The standard alphabet's own `+/=` are refused so that each ticket
/// has exactly one spelling.
fn from_ticket_base64(ticket: &str) -> Result<Vec<u8>, Error> {
    let standard: Vec<u8> = ticket
        .bytes()
        .map(|b| match b {
            b'*' => b'+',
            b'-' => b'/',
            b'_' => b'=',
            b'+' | b'/' | b'=' => b'!',
            b => b,
        })
        .collect();
    STANDARD
        .decode(standard)
        .map_err(|_| Error::Malformed("UserSig is not valid base64"))
}

/// Inflates a zlib stream into at most [`MAX_DECODED_LEN`] bytes, refusing truncated streams and
/// trailing bytes.
///
/// One inflater per thread is reset and reused: its state is tens of kilobytes, and allocating it
/// for every login both costs time and fragments the heap of a server that verifies thousands of
/// tickets a second.
fn inflate(compressed: &[u8]) -> Result<Vec<u8>, Error> {
    thread_local! {
        static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(true));
    }
    let mut out = Vec::with_capacity(MAX_DECODED_LEN + 1);
    INFLATER.with_borrow_mut(|inflater| {
        inflater.reset(true);
        inflate_with(inflater, compressed, &mut out)
    })?;
    Ok(out)
}

fn inflate_with(
    inflater: &mut Decompress,
    compressed: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let status = inflater
        .decompress_vec(compressed, out, FlushDecompress::Finish)
        .map_err(|_| Error::Malformed("UserSig is not valid zlib data"))?;
    if out.len() > MAX_DECODED_LEN {
        return Err(Error::Malformed("UserSig inflates to more than 8192 bytes"));
    }
    if status != Status::StreamEnd {
        return Err(Error::Malformed("UserSig zlib data is truncated"));
    }
    if inflater.total_in() != compressed.len() as u64 {
        return Err(Error::Malformed("UserSig has bytes after its zlib data"));
    }
    Ok(())
}
