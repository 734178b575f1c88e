//! A read-only store's session: it only listens. It holds no advisory lock and writes no
//! row in `nodes`, so the nodes never count it; it tells the engine when one of them
//! committed something (`NodeState::changed`), as a node's own session does.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;

use super::connect::Target;
use super::schema::channel;
use super::session::NodeState;
use super::ClusterError;

/// Starts the listening task; it reconnects after a lost connection until the store closes.
pub(crate) fn start(
    handle: &tokio::runtime::Handle,
    target: Arc<Target>,
    q: Arc<str>,
    node: Arc<NodeState>,
) {
    handle.spawn(async move {
        let mut backoff = Duration::from_millis(100);
        while !node.stopped() {
            if listen(&target, &q, &node).await.is_ok() {
                backoff = Duration::from_millis(100);
            }
            // Whatever was committed meanwhile is read at the next look.
            node.changed
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    });
}

/// One connection's life: LISTEN, then pass notifications on until it fails or the store
/// closes.
async fn listen(target: &Target, q: &str, node: &NodeState) -> Result<(), ClusterError> {
    let (client, mut connection) = target.config.connect(target.tls.clone()).await?;
    let (note_tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if note_tx.send(()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN \"{}\"", channel(q)))
            .await?;
        // The store's close is noticed within this time.
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if node.stopped() {
                        return Ok(());
                    }
                }
                note = notes.recv() => {
                    if note.is_none() {
                        return Err(ClusterError::Unavailable("the listening connection closed".into()));
                    }
                    node.changed.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }
    }
    .await;
    driver.abort();
    result
}
