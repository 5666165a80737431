//! Automatic local backups while the app or `rapport serve` runs: at start and then hourly,
//! [`rapport_store::Store::auto_backup`] writes a backup if the newest is a day old, keeping a
//! week of them (see `rapport_store::backups`). The work runs on a blocking thread; the store
//! reads one consistent snapshot, so edits and sync go on meanwhile.

use std::sync::Arc;
use std::time::Duration;

use rapport_store::Store;
use rapport_store::backups::BackupPolicy;

/// How often the task looks at the age of the newest backup.
const LOOK_EVERY: Duration = Duration::from_secs(3600);

/// Spawns the backup task on the current tokio runtime. It ends when the store is dropped.
pub fn spawn(store: &Arc<Store>) -> tokio::task::JoinHandle<()> {
    let weak = Arc::downgrade(store);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(LOOK_EVERY);
        loop {
            tick.tick().await;
            let Some(store) = weak.upgrade() else { break };
            let done =
                tokio::task::spawn_blocking(move || store.auto_backup(BackupPolicy::default()))
                    .await;
            match done {
                Ok(Ok(Some(path))) => tracing::info!(path = %path.display(), "backup written"),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "automatic backup failed"),
                Err(e) => tracing::warn!(error = %e, "automatic backup task failed"),
            }
        }
    })
}
