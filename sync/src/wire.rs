//! The wire: length-delimited messages on QUIC streams, every read bounded in size and time.
//!
//! A message is a 4-byte big-endian length and that many bytes. Invariants: a length over the
//! reader's limit ([`MAX_FRAME`] for sync frames) is refused before anything is allocated; a
//! whole message must arrive within the silence timeout ([`FRAME_TIMEOUT`] by default), so a
//! peer trickling bytes is cut off too; every byte read or written through a [`Wire`] is
//! counted (what tests use to show that a refused peer exchanged nothing).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream};

use crate::SyncError;
use crate::protocol::{Frame, MAX_FRAME};

/// Dialling a peer gives up after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A peer that sends nothing for this long is dropped.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(30);

/// What a node's protocol handlers share about the wire: how long a peer may stay silent,
/// and how many stream bytes they have read from and written to peers (so tests can assert
/// that a refused peer exchanged nothing).
#[derive(Clone, Debug)]
pub(crate) struct Wire {
    pub(crate) timeout: Duration,
    pub(crate) read: Arc<AtomicU64>,
    pub(crate) written: Arc<AtomicU64>,
}

impl Wire {
    pub(crate) fn new(timeout: Duration) -> Self {
        Wire {
            timeout,
            read: Arc::default(),
            written: Arc::default(),
        }
    }

    /// Accepts the peer's bi-directional stream, or gives up after the timeout.
    pub(crate) async fn accept_bi(
        &self,
        conn: &Connection,
    ) -> Result<(SendStream, RecvStream), SyncError> {
        tokio::time::timeout(self.timeout, conn.accept_bi())
            .await
            .map_err(|_| {
                SyncError::Transport(format!("peer opened no stream within {:?}", self.timeout))
            })?
            .map_err(|e| SyncError::Transport(e.to_string()))
    }

    pub(crate) async fn write(
        &self,
        send: &mut SendStream,
        bytes: &[u8],
    ) -> Result<u64, SyncError> {
        let n = write_delimited(send, bytes).await?;
        self.written.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }

    pub(crate) async fn read(
        &self,
        recv: &mut RecvStream,
        max: usize,
    ) -> Result<Vec<u8>, SyncError> {
        self.read_within(recv, max, self.timeout).await
    }

    /// [`Wire::read`] with another silence timeout (a pairing waits for a person).
    pub(crate) async fn read_within(
        &self,
        recv: &mut RecvStream,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, SyncError> {
        let buf = read_delimited(recv, max, timeout).await?;
        self.read.fetch_add(buf.len() as u64 + 4, Ordering::Relaxed);
        Ok(buf)
    }
}

/// Writes one length-delimited message: a 4-byte big-endian length, then the bytes. Returns
/// the bytes written.
async fn write_delimited(send: &mut SendStream, bytes: &[u8]) -> Result<u64, SyncError> {
    let len =
        u32::try_from(bytes.len()).map_err(|_| SyncError::Protocol("message too large".into()))?;
    send.write_all(&len.to_be_bytes())
        .await
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    send.write_all(bytes)
        .await
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    Ok(bytes.len() as u64 + 4)
}

/// Reads one length-delimited message of at most `max` bytes, within `timeout` for the whole
/// message (a peer trickling bytes is cut off too). A larger announced length is refused
/// before anything is allocated.
async fn read_delimited(
    recv: &mut RecvStream,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, SyncError> {
    let read = async {
        let mut len = [0u8; 4];
        recv.read_exact(&mut len)
            .await
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        let len = u32::from_be_bytes(len) as usize;
        if len > max {
            return Err(SyncError::Protocol(format!(
                "peer announced a {len}-byte message (limit {max})"
            )));
        }
        let mut buf = vec![0u8; len];
        recv.read_exact(&mut buf)
            .await
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        Ok(buf)
    };
    tokio::time::timeout(timeout, read).await.map_err(|_| {
        SyncError::Transport(format!(
            "peer did not send a whole message within {timeout:?}"
        ))
    })?
}

pub(crate) async fn write_frame(
    wire: &Wire,
    send: &mut SendStream,
    frame: &Frame,
) -> Result<u64, SyncError> {
    wire.write(send, &frame.encode()?).await
}

pub(crate) async fn read_frame(
    wire: &Wire,
    recv: &mut RecvStream,
) -> Result<(Frame, u64), SyncError> {
    let buf = wire.read(recv, MAX_FRAME).await?;
    Ok((Frame::decode(&buf)?, buf.len() as u64 + 4))
}
