//! An ordered parallel map with bounded look-ahead: files rendered on every thread, handed
//! over in print order.

use std::collections::BTreeMap;

use anyhow::{Result, bail};

/// Runs `work` on every item on all of rayon's threads and hands the results to `consume` on
/// this thread in the items' order, as soon as each one's turn comes. Items are taken in order
/// and none more than `2 * threads` ahead of the one awaited, so only a few results are ever
/// held. Stops at the first error `consume` returns.
pub(crate) fn in_order<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    let threads = rayon::current_num_threads().max(1);
    let window = 2 * threads;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // The index `consume` waits for; workers wait on `turn` while too far ahead of it.
    let awaited = Mutex::new(0usize);
    let turn = Condvar::new();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, R)>(threads);
    rayon::in_place_scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, awaited, turn, work) = (&next, &stop, &awaited, &turn, &work);
            scope.spawn(move |_| {
                // A worker that panics stops the others, which would otherwise wait for its
                // item forever; the scope then passes the panic on.
                let _guard = StopOnPanic(stop, turn);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    {
                        let Ok(mut at) = awaited.lock() else { break };
                        while i >= *at + window && !stop.load(Ordering::Relaxed) {
                            let Ok(a) = turn.wait(at) else { return };
                            at = a;
                        }
                    }
                    if stop.load(Ordering::Relaxed) || tx.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // A panic in `consume` unwinds through here: the workers must stop waiting for their
        // turn, or the scope would wait for them forever.
        let _guard = StopOnPanic(&stop, &turn);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        let outcome = (|| {
            for (i, r) in &rx {
                pending.insert(i, r);
                while let Some(r) = pending.remove(&want) {
                    want += 1;
                    if let Ok(mut at) = awaited.lock() {
                        *at = want;
                    }
                    turn.notify_all();
                    consume(r)?;
                }
            }
            Ok(())
        })();
        let outcome = outcome.and_then(|()| {
            if want == items.len() {
                Ok(())
            } else {
                bail!(
                    "internal: rendering stopped after {want} of {} files",
                    items.len()
                )
            }
        });
        if outcome.is_err() {
            // Workers stop taking items; one blocked on the channel sees it closed.
            stop.store(true, Ordering::Relaxed);
            turn.notify_all();
        }
        drop(rx);
        drop(pending);
        outcome
    })
}

/// Tells the workers of [`in_order`] to stop when its thread (a worker's, or the consumer's)
/// unwinds.
struct StopOnPanic<'a>(&'a std::sync::atomic::AtomicBool, &'a std::sync::Condvar);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            self.1.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_hands_results_over_in_item_order_and_stops_at_an_error() {
        let items: Vec<u64> = (0..200).collect();
        // Uneven work, so threads finish out of order.
        let work = |&i: &u64| {
            std::thread::sleep(std::time::Duration::from_micros((i * 37) % 300));
            i * 2
        };
        let mut seen = Vec::new();
        in_order(&items, work, |r| {
            seen.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());

        let mut seen = Vec::new();
        let err = in_order(&items, work, |r| {
            if r == 100 {
                bail!("stop at {r}");
            }
            seen.push(r);
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "stop at 100");
        assert_eq!(seen, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_panic_in_the_consumer_fails_instead_of_hanging() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let items: Vec<u64> = (0..500).collect();
            // Item 0 is slow, so the other workers run a window ahead and wait for their turn;
            // then the consumer panics on item 0 and nobody would ever wake them.
            let work = |&i: &u64| {
                if i == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                i
            };
            let outcome = std::panic::catch_unwind(|| {
                in_order(&items, work, |r| {
                    assert!(r > 0, "consumer fails on item {r}");
                    Ok(())
                })
            });
            let _ = done.send(outcome.is_err());
        });
        let panicked = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("in_order hung after its consumer panicked");
        assert!(panicked, "the panic was not passed on");
    }
}
