//! Store errors: each says what went wrong and where.

use std::path::PathBuf;

use rapport_model::{CustomerId, ValidationError};

/// Everything the store can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store at {path} is in use by {holder}; stop it first (only one Rapport process may open a store at a time)"
    )]
    InUse { path: PathBuf, holder: String },
    #[error(
        "the store at {path} was written by a newer Rapport (schema {found}, this build reads up to {supported}); upgrade Rapport to open it"
    )]
    NewerSchema {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("the store file {path} is damaged ({detail}); {}", restore_hint(backup.as_deref()))]
    Corrupt {
        path: PathBuf,
        detail: String,
        /// The newest automatic backup beside the store, if any.
        backup: Option<PathBuf>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the disk holding {path} is full; free some space and try again (nothing was written)")]
    DiskFull { path: PathBuf },
    #[error("storage error: {0}")]
    Db(#[from] redb::Error),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no customer matches `{0}`")]
    NotFound(String),
    #[error("`{query}` matches several customers: {}", candidates.join(", "))]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
    #[error("customer {0} already exists")]
    AlreadyExists(CustomerId),
    #[error("customer {0} is deleted; restore it first (`rapport customer restore {0}`)")]
    Deleted(CustomerId),
    #[error("{0}")]
    Refused(String),
    #[error("refused a peer's data: {0}")]
    BadRemote(String),
    #[error("document of customer {id} is malformed: {reason}")]
    BadDocument { id: CustomerId, reason: String },
    #[error("document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("stored row could not be decoded ({0}); the store may be damaged")]
    Decode(String),
    #[error("backup: {0}")]
    BadBackup(String),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

macro_rules! via_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.into())
            }
        }
    )*};
}
via_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::CommitError,
    redb::CompactionError
);

impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        StoreError::Db(e.into())
    }
}

impl From<postcard::Error> for StoreError {
    fn from(e: postcard::Error) -> Self {
        StoreError::Decode(e.to_string())
    }
}

/// What to do about a damaged store.
pub fn restore_hint(backup: Option<&std::path::Path>) -> String {
    match backup {
        Some(b) => format!(
            "restore the latest backup with `rapport restore --replace-damaged {}` (the damaged file is kept beside it), then sync with the team to get back what changed since",
            b.display()
        ),
        None => "no backup was found beside it: restore one with `rapport restore --replace-damaged FILE`, or move the file aside and pair with the team again to get its customers back".to_string(),
    }
}

impl StoreError {
    /// Whether this error means the store's file is damaged (as opposed to refused input, a
    /// busy store or a full disk).
    pub fn is_damage(&self) -> bool {
        match self {
            StoreError::Corrupt { .. } | StoreError::Decode(_) => true,
            StoreError::BadDocument { reason, .. } => reason.starts_with("stored"),
            StoreError::Db(e) => matches!(e, redb::Error::Corrupted(_)),
            _ => false,
        }
    }

    /// Maps an out-of-space [`StoreError::Io`] to [`StoreError::DiskFull`].
    pub(crate) fn full_disk(self, path: &std::path::Path) -> Self {
        match &self {
            StoreError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::StorageFull
                    || source.raw_os_error() == Some(28) =>
            {
                StoreError::DiskFull {
                    path: path.to_path_buf(),
                }
            }
            _ => self,
        }
    }

    /// Maps an out-of-space IO failure anywhere in `e` to [`StoreError::DiskFull`].
    pub(crate) fn with_path(self, path: &std::path::Path) -> Self {
        let full = match &self {
            StoreError::Db(redb::Error::Io(io)) => {
                io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28)
            }
            _ => false,
        };
        if full {
            StoreError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            self
        }
    }
}
