//! An ordered parallel map with bounded look-ahead: files rendered on every thread, handed
//! over in print order.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use anyhow::{Result, bail};
use crossbeam_channel::{bounded, unbounded};

/// Runs `work` on every item on all of rayon's threads and hands the results to `consume` on
/// this thread in the items' order, as soon as each one's turn comes. At most `2 * threads`
/// items are being worked on or waiting for their turn, so only a few results are ever held.
/// Stops at the first error `consume` returns; a panic in `work` or `consume` is passed on,
/// never left waiting.
///
/// How: a worker takes a token before it takes the next item and the consumer gives the token
/// back once that item is consumed (a bounded channel of tokens is the semaphore). Items are
/// taken in order, so the one awaited is always being worked on or waiting: no deadlock. A
/// worker's panic travels to the consumer as a result and is resumed there; when the consumer
/// returns or unwinds it drops both channels, and every worker's next send or take fails.
pub(crate) fn in_order<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = rayon::current_num_threads().max(1);
    let window = 2 * threads;
    let (give, take) = bounded::<()>(window);
    for _ in 0..window {
        let _ = give.send(());
    }
    let (tx, rx) = unbounded::<(usize, std::thread::Result<R>)>();
    let next = AtomicUsize::new(0);
    rayon::in_place_scope(|scope| {
        for _ in 0..threads {
            let (tx, take, next, work) = (tx.clone(), take.clone(), &next, &work);
            scope.spawn(move |_| {
                while take.recv().is_ok() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = catch_unwind(AssertUnwindSafe(|| work(item)));
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((tx, take));
        // Owned by this closure, so they are dropped when it returns or unwinds, before the
        // scope waits for the workers: each then finds no token or no receiver, and stops.
        let (give, rx) = (give, rx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (i, r) in &rx {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&want) {
                want += 1;
                match r {
                    Ok(r) => consume(r)?,
                    Err(panic) => resume_unwind(panic),
                }
                // The item is consumed: a worker may take another. When every item is
                // taken, workers find none and stop, closing the channel.
                let _ = give.send(());
            }
        }
        if want == items.len() {
            Ok(())
        } else {
            bail!(
                "internal: rendering stopped after {want} of {} files",
                items.len()
            )
        }
    })
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
    fn a_panic_in_a_worker_is_passed_on_instead_of_hanging() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let items: Vec<u64> = (0..500).collect();
            let work = |&i: &u64| {
                assert!(i != 3, "worker fails on item {i}");
                i
            };
            let outcome = catch_unwind(|| in_order(&items, work, |_| Ok(())));
            let _ = done.send(outcome.is_err());
        });
        let panicked = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("in_order hung after a worker panicked");
        assert!(panicked, "the panic was not passed on");
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
            let outcome = catch_unwind(|| {
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
