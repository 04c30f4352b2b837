//! One test per drip rule, then property tests of the invariants over simulated cycles.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn ev(name: &str, date: &str) -> Event {
    Event {
        name: name.into(),
        date: d(date),
    }
}

fn step(id: &str, delay_days: u32, trigger: Option<&str>) -> StepRule {
    StepRule {
        id: id.into(),
        delay_days,
        trigger: trigger.map(Into::into),
        expires_after_days: None,
        holdout: 0.0,
    }
}

fn rules() -> Rules {
    Rules {
        steps: vec![
            step("welcome", 0, None),
            step("catalog", 14, None),
            step("cart", 3, Some("added_to_cart")),
        ],
        exit_on: vec!["purchased".into()],
        min_gap_days: 0,
        max_pieces_per_cycle: 100,
        campaign: "test".into(),
        holdout: 0.0,
    }
}

fn contact<'a>(
    id: &'a str,
    enrolled: &str,
    events: &'a [Event],
    history: &'a [Decided],
) -> ContactIn<'a> {
    ContactIn {
        id,
        enrolled_on: d(enrolled),
        household: format!("house-{id}"),
        address: format!("addr-{id}"),
        events,
        history,
    }
}

fn always(_: usize, _: usize) -> Result<bool, String> {
    Ok(true)
}

fn run(rules: &Rules, contacts: &[ContactIn<'_>], date: &str) -> Plan {
    plan(
        rules,
        contacts,
        &Suppressed::default(),
        true,
        d(date),
        &mut always,
    )
}

fn outcomes(plan: &Plan) -> Vec<(usize, usize, &'static str)> {
    plan.decisions
        .iter()
        .map(|x| (x.contact, x.step, x.outcome.kind()))
        .collect()
}

fn issued(step: usize, date: &str) -> Decided {
    Decided {
        step: Some(step),
        date: d(date),
        done: Done::Issued,
    }
}

#[test]
fn rule_1_nothing_before_enrolment() {
    let p = run(
        &rules(),
        &[contact("1", "2026-11-25", &[], &[])],
        "2026-11-24",
    );
    assert!(p.decisions.is_empty());
    assert_eq!(p.not_enrolled, 1);
    let p = run(
        &rules(),
        &[contact("1", "2026-11-24", &[], &[])],
        "2026-11-24",
    );
    assert_eq!(outcomes(&p), [(0, 0, "issued")]);
}

#[test]
fn rule_2_exit_event_on_or_before_date_stops_everything() {
    let events = [
        ev("added_to_cart", "2026-11-01"),
        ev("purchased", "2026-11-24"),
    ];
    let p = run(
        &rules(),
        &[contact("1", "2026-10-01", &events, &[])],
        "2026-11-24",
    );
    assert!(p.decisions.is_empty());
    assert_eq!(p.exited, 1);
    // An exit dated after the cycle does not count yet.
    let later = [ev("purchased", "2026-11-25")];
    let p = run(
        &rules(),
        &[contact("1", "2026-10-01", &later, &[])],
        "2026-11-24",
    );
    assert_eq!(outcomes(&p), [(0, 0, "issued")]);
}

#[test]
fn rule_3_sequence_delays_count_from_the_previous_cycle_date() {
    let history = [issued(0, "2026-11-10")];
    let c = [contact("1", "2026-11-01", &[], &history)];
    assert!(run(&rules(), &c, "2026-11-23").decisions.is_empty());
    let p = run(&rules(), &c, "2026-11-24");
    assert_eq!(outcomes(&p), [(0, 1, "issued")]);
    assert_eq!(p.decisions[0].due_on, d("2026-11-24"));
    // The first step counts from enrolment.
    let mut r = rules();
    r.steps[0].delay_days = 5;
    assert!(
        run(&r, &[contact("1", "2026-11-20", &[], &[])], "2026-11-24")
            .decisions
            .is_empty()
    );
    assert_eq!(
        run(&r, &[contact("1", "2026-11-19", &[], &[])], "2026-11-24")
            .decisions
            .len(),
        1
    );
}

#[test]
fn rule_4_trigger_step_due_after_first_event_since_enrolment_and_only_once() {
    let history = [issued(0, "2026-11-20")];
    let events = [
        ev("added_to_cart", "2026-10-01"), // before enrolment: ignored
        ev("added_to_cart", "2026-11-20"),
        ev("added_to_cart", "2026-11-22"),
    ];
    let c = [contact("1", "2026-11-01", &events, &history)];
    assert!(run(&rules(), &c, "2026-11-22").decisions.is_empty());
    let p = run(&rules(), &c, "2026-11-23");
    assert_eq!(outcomes(&p), [(0, 2, "issued")]);
    assert_eq!(p.decisions[0].due_on, d("2026-11-23"));
    let done = [issued(0, "2026-11-20"), issued(2, "2026-11-23")];
    let c = [contact("1", "2026-11-01", &events, &done)];
    assert!(run(&rules(), &c, "2026-11-26").decisions.is_empty());
}

#[test]
fn rule_5_false_condition_skips_and_restarts_the_delay() {
    let c = [contact("1", "2026-11-01", &[], &[])];
    let mut never = |_: usize, step: usize| Ok(step != 0);
    let p = plan(
        &rules(),
        &c,
        &Suppressed::default(),
        true,
        d("2026-11-24"),
        &mut never,
    );
    assert_eq!(outcomes(&p), [(0, 0, "skipped")]);
    let skipped = [Decided {
        step: Some(0),
        date: d("2026-11-24"),
        done: Done::Skipped,
    }];
    let c = [contact("1", "2026-11-01", &[], &skipped)];
    assert!(run(&rules(), &c, "2026-12-07").decisions.is_empty());
    assert_eq!(
        outcomes(&run(&rules(), &c, "2026-12-08")),
        [(0, 1, "issued")]
    );
}

#[test]
fn rule_6_one_piece_per_cycle_triggers_first() {
    let events = [ev("added_to_cart", "2026-11-01")];
    let c = [contact("1", "2026-11-01", &events, &[])];
    let p = run(&rules(), &c, "2026-11-24");
    assert_eq!(outcomes(&p), [(0, 2, "issued"), (0, 0, "carried_over")]);
    // A trigger whose condition is false is skipped and the sequence step is the piece.
    let mut no_cart = |_: usize, step: usize| Ok(step != 2);
    let p = plan(
        &rules(),
        &c,
        &Suppressed::default(),
        true,
        d("2026-11-24"),
        &mut no_cart,
    );
    assert_eq!(outcomes(&p), [(0, 2, "skipped"), (0, 0, "issued")]);
}

#[test]
fn rule_7_frequency_cap_holds_the_piece() {
    let mut r = rules();
    r.min_gap_days = 7;
    let history = [issued(0, "2026-11-20")];
    let events = [ev("added_to_cart", "2026-11-20")];
    let c = [contact("1", "2026-11-01", &events, &history)];
    let p = run(&r, &c, "2026-11-24");
    assert_eq!(outcomes(&p), [(0, 2, "held")]);
    assert_eq!(outcomes(&run(&r, &c, "2026-11-27")), [(0, 2, "issued")]);
}

#[test]
fn rule_8_capacity_serves_longest_due_then_lowest_id() {
    let mut r = rules();
    r.max_pieces_per_cycle = 2;
    let c = [
        contact("10", "2026-11-20", &[], &[]),
        contact("9", "2026-11-20", &[], &[]),
        contact("11", "2026-11-01", &[], &[]),
    ];
    let p = run(&r, &c, "2026-11-24");
    assert_eq!(
        outcomes(&p),
        [(0, 0, "carried_over"), (1, 0, "issued"), (2, 0, "issued")]
    );
}

#[test]
fn rule_9_suppression_and_households() {
    let mut c = vec![
        contact("2", "2026-11-01", &[], &[]),
        contact("1", "2026-11-01", &[], &[]),
        contact("3", "2026-11-01", &[], &[]),
        contact("4", "2026-11-01", &[], &[]),
    ];
    c[0].household = "same".into();
    c[1].household = "same".into();
    let ids: HashSet<String> = ["3".to_string()].into();
    let addresses: HashSet<String> = ["addr-4".to_string()].into();
    let s = Suppressed {
        ids: Some(&ids),
        addresses: Some(&addresses),
    };
    let p = plan(&rules(), &c, &s, true, d("2026-11-24"), &mut always);
    assert_eq!(
        outcomes(&p),
        [
            (0, 0, "duplicate"),
            (1, 0, "issued"),
            (2, 0, "suppressed"),
            (3, 0, "suppressed")
        ]
    );
}

#[test]
fn rule_10_a_late_cycle_catches_up_one_piece_at_a_time() {
    // Nothing ran for two months: welcome and catalog are both overdue, but one comes now.
    let c = [contact("1", "2026-09-01", &[], &[])];
    let p = run(&rules(), &c, "2026-11-24");
    assert_eq!(outcomes(&p), [(0, 0, "issued")]);
    assert_eq!(p.decisions[0].due_on, d("2026-09-01"));
    let history = [issued(0, "2026-11-24")];
    let c = [contact("1", "2026-09-01", &[], &history)];
    assert!(run(&rules(), &c, "2026-12-01").decisions.is_empty());
    assert_eq!(
        outcomes(&run(&rules(), &c, "2026-12-08")),
        [(0, 1, "issued")]
    );
}

#[test]
fn condition_error_holds_the_piece() {
    let c = [contact("1", "2026-11-01", &[], &[])];
    let mut broken = |_: usize, _: usize| Err("cannot compare".to_string());
    let p = plan(
        &rules(),
        &c,
        &Suppressed::default(),
        true,
        d("2026-11-24"),
        &mut broken,
    );
    assert_eq!(outcomes(&p), [(0, 0, "held")]);
}

#[test]
fn rule_11_a_piece_due_too_long_ago_expires_and_the_sequence_moves_on() {
    let mut r = rules();
    r.steps[0].expires_after_days = Some(7);
    // Enrolled on the 1st, the welcome fell due then: 23 days late on the 24th.
    let c = [contact("1", "2026-11-01", &[], &[])];
    assert_eq!(outcomes(&run(&r, &c, "2026-11-24")), [(0, 0, "expired")]);
    // On the last day it may still go out.
    assert_eq!(outcomes(&run(&r, &c, "2026-11-08")), [(0, 0, "issued")]);
    // The next step's delay runs from the cycle it expired in, as after a skip.
    let history = [Decided {
        step: Some(0),
        date: d("2026-11-24"),
        done: Done::Expired,
    }];
    let c = [contact("1", "2026-11-01", &[], &history)];
    assert!(run(&r, &c, "2026-12-07").decisions.is_empty());
    assert_eq!(outcomes(&run(&r, &c, "2026-12-08")), [(0, 1, "issued")]);
    // A trigger piece expires too; a carried-over piece keeps its due date, so it expires
    // however often it was carried.
    r.steps[2].expires_after_days = Some(10);
    let events = [ev("added_to_cart", "2026-11-01")];
    let history = [issued(0, "2026-11-01")];
    let c = [contact("1", "2026-11-01", &events, &history)];
    assert_eq!(outcomes(&run(&r, &c, "2026-11-14")), [(0, 2, "issued")]);
    // Expired, it does not take the contact's one piece: the catalog, due that day, goes.
    assert_eq!(
        outcomes(&run(&r, &c, "2026-11-15")),
        [(0, 2, "expired"), (0, 1, "issued")]
    );
}

#[test]
fn rule_12_a_held_out_contact_is_recorded_where_a_piece_would_be_issued() {
    let mut r = rules();
    r.holdout = 0.5;
    r.max_pieces_per_cycle = usize::MAX;
    let ids: Vec<String> = (1..=400).map(|i| i.to_string()).collect();
    let c: Vec<ContactIn<'_>> = ids
        .iter()
        .map(|id| contact(id, "2026-11-01", &[], &[]))
        .collect();
    let p = run(&r, &c, "2026-11-24");
    let held: Vec<&str> = p
        .decisions
        .iter()
        .filter(|x| x.outcome == Outcome::Holdout)
        .map(|x| c[x.contact].id)
        .collect();
    // About half, exactly the contacts the draw puts there, whatever the row order.
    assert!((150..250).contains(&held.len()), "{}", held.len());
    for (x, cin) in p.decisions.iter().zip(&c) {
        let out = in_holdout("test", None, cin.id, 0.5);
        assert_eq!(x.outcome == Outcome::Holdout, out);
        assert_eq!(x.outcome == Outcome::Issued, !out);
    }
    let reversed: Vec<ContactIn<'_>> = c.iter().rev().cloned().collect();
    let again = run(&r, &reversed, "2026-11-24");
    let mut held_again: Vec<&str> = again
        .decisions
        .iter()
        .filter(|x| x.outcome == Outcome::Holdout)
        .map(|x| reversed[x.contact].id)
        .collect();
    held_again.reverse();
    assert_eq!(held, held_again);
    // Held-out pieces take no capacity.
    r.max_pieces_per_cycle = 10;
    let p = run(&r, &c, "2026-11-24");
    let count = |k: &str| p.decisions.iter().filter(|x| x.outcome.kind() == k).count();
    assert_eq!((count("issued"), count("holdout")), (10, held.len()));
    // A step's own holdout: only that step, a different group per step.
    let mut r = rules();
    r.max_pieces_per_cycle = usize::MAX;
    r.steps[1].holdout = 0.5;
    let history = [issued(0, "2026-11-01")];
    let c: Vec<ContactIn<'_>> = ids
        .iter()
        .map(|id| contact(id, "2026-11-01", &[], &history))
        .collect();
    let p = run(&r, &c, "2026-11-24");
    for (x, cin) in p.decisions.iter().zip(&c) {
        assert_eq!(x.step, 1);
        assert_eq!(
            x.outcome == Outcome::Holdout,
            in_holdout("test", Some("catalog"), cin.id, 0.5)
        );
    }
    // Timed as if mailed: the frequency cap counts it, and the next step follows it.
    let mut r = rules();
    r.min_gap_days = 30;
    let history = [Decided {
        step: Some(0),
        date: d("2026-11-10"),
        done: Done::Holdout,
    }];
    let c = [contact("1", "2026-11-01", &[], &history)];
    assert_eq!(outcomes(&run(&r, &c, "2026-11-24")), [(0, 1, "held")]);
    r.min_gap_days = 0;
    assert_eq!(outcomes(&run(&r, &c, "2026-11-24")), [(0, 1, "issued")]);
}

#[test]
fn holdout_draws_are_uniform_and_independent_between_campaigns() {
    let ids: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
    let a: Vec<bool> = ids
        .iter()
        .map(|id| in_holdout("spring", None, id, 0.1))
        .collect();
    let b: Vec<bool> = ids
        .iter()
        .map(|id| in_holdout("autumn", None, id, 0.1))
        .collect();
    let n_a = a.iter().filter(|x| **x).count();
    let both = a.iter().zip(&b).filter(|(x, y)| **x && **y).count();
    // 10 % ± 4.5 standard errors; the overlap is 1 % (independent), not 10 % (the same).
    assert!((1_800..2_200).contains(&n_a), "{n_a}");
    assert!((120..290).contains(&both), "{both}");
    assert!(!in_holdout("spring", None, "c1", 0.0));
    let mean = ids.iter().map(|id| draw(&[id])).sum::<f64>() / ids.len() as f64;
    assert!((mean - 0.5).abs() < 0.01, "{mean}");
}

// ---- Property tests: random campaigns run over a series of cycle dates. ----

#[derive(Clone, Debug)]
struct World {
    rules: Rules,
    contacts: Vec<(NaiveDate, Vec<Event>, u8)>,
    cycles: Vec<u32>,
    falsy: Vec<(usize, usize)>,
}

fn world() -> impl Strategy<Value = World> {
    let base = d("2026-01-01");
    let steps = prop::collection::vec(
        (
            0u32..20,
            prop::option::of(0usize..2),
            prop::option::of(0u32..30),
            prop::sample::select(vec![0.0, 0.3, 0.6]),
        ),
        1..5,
    );
    let contact = (
        0u32..60,
        prop::collection::vec((0usize..3, 0u32..90), 0..4),
        0u8..6,
    );
    (
        steps,
        0u32..15,
        1usize..6,
        prop::collection::vec(contact, 1..12),
        prop::collection::vec(1u32..12, 1..15),
        prop::collection::vec((0usize..12, 0usize..5), 0..6),
        prop::sample::select(vec![0.0, 0.25]),
    )
        .prop_map(move |(steps, gap, cap, contacts, cycles, falsy, holdout)| {
            let names = ["added_to_cart", "visited", "purchased"];
            World {
                rules: Rules {
                    steps: steps
                        .iter()
                        .enumerate()
                        .map(|(i, (delay, trig, expires, share))| StepRule {
                            id: format!("s{i}"),
                            delay_days: *delay,
                            trigger: trig.map(|t| names[t].to_string()),
                            expires_after_days: *expires,
                            holdout: *share,
                        })
                        .collect(),
                    exit_on: vec!["purchased".into()],
                    min_gap_days: gap,
                    max_pieces_per_cycle: cap,
                    campaign: "prop".into(),
                    holdout,
                },
                contacts: contacts
                    .into_iter()
                    .map(|(enrol, events, house)| {
                        let mut events: Vec<Event> = events
                            .into_iter()
                            .map(|(n, day)| Event {
                                name: names[n].into(),
                                date: base + chrono::Days::new(u64::from(day)),
                            })
                            .collect();
                        events.sort_by_key(|e| e.date);
                        (base + chrono::Days::new(u64::from(enrol)), events, house)
                    })
                    .collect(),
                cycles,
                falsy,
            }
        })
}

/// Runs every cycle of `w`, feeding decisions back as history; checks each cycle as it goes and
/// returns every committed decision as (contact, step, date, what).
fn simulate(w: &World) -> Vec<(usize, usize, NaiveDate, Done)> {
    let ids: Vec<String> = (0..w.contacts.len()).map(|i| (i + 1).to_string()).collect();
    let mut history: Vec<Vec<Decided>> = vec![Vec::new(); w.contacts.len()];
    let mut committed = Vec::new();
    let mut date = d("2026-01-01");
    for &step_days in &w.cycles {
        date = date + chrono::Days::new(u64::from(step_days));
        let contacts: Vec<ContactIn<'_>> = w
            .contacts
            .iter()
            .enumerate()
            .map(|(i, (enrolled, events, house))| ContactIn {
                id: &ids[i],
                enrolled_on: *enrolled,
                household: format!("h{house}"),
                address: format!("a{i}"),
                events,
                history: &history[i],
            })
            .collect();
        let falsy: HashSet<(usize, usize)> = w.falsy.iter().copied().collect();
        let mut cond = |c: usize, s: usize| Ok(!falsy.contains(&(c, s)));
        let p = plan(
            &w.rules,
            &contacts,
            &Suppressed::default(),
            true,
            date,
            &mut cond,
        );
        check_cycle(w, &contacts, &p, date);
        let mut new_history = history.clone();
        for x in &p.decisions {
            let Some(done) = x.outcome.committed() else {
                continue;
            };
            new_history[x.contact].push(Decided {
                step: Some(x.step),
                date,
                done,
            });
            committed.push((x.contact, x.step, date, done));
        }
        history = new_history;
    }
    committed
}

fn check_cycle(w: &World, contacts: &[ContactIn<'_>], p: &Plan, date: NaiveDate) {
    for x in &p.decisions {
        let rule = &w.rules.steps[x.step];
        let id = contacts[x.contact].id;
        let late = rule
            .expires_after_days
            .is_some_and(|n| x.due_on + chrono::Days::new(u64::from(n)) < date);
        match x.outcome {
            // A held-out contact never gets a printed piece; an expired piece is never printed.
            Outcome::Issued => {
                assert!(
                    !in_holdout("prop", None, id, w.rules.holdout),
                    "campaign holdout printed"
                );
                assert!(
                    !in_holdout("prop", Some(&rule.id), id, rule.holdout),
                    "step holdout printed"
                );
                assert!(!late, "a piece past expires_after_days printed on {date}");
            }
            Outcome::Holdout => assert!(
                in_holdout("prop", None, id, w.rules.holdout)
                    || in_holdout("prop", Some(&rule.id), id, rule.holdout),
                "held out but in no holdout group"
            ),
            Outcome::Expired => assert!(late, "expired before its time"),
            _ => {}
        }
    }
    // At most max_pieces_per_cycle issued.
    let issued = p
        .decisions
        .iter()
        .filter(|x| x.outcome == Outcome::Issued)
        .count();
    assert!(issued <= w.rules.max_pieces_per_cycle);
    // At most one piece and one sequence decision per contact, one decision per due pair.
    let mut per_contact: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut pairs = HashSet::new();
    for x in &p.decisions {
        assert!(
            pairs.insert((x.contact, x.step)),
            "step decided twice in one cycle"
        );
        let e = per_contact.entry(x.contact).or_default();
        if x.outcome == Outcome::Issued {
            e.0 += 1;
        }
        let decided = x.outcome.committed().is_some();
        if decided && w.rules.steps[x.step].trigger.is_none() {
            e.1 += 1;
        }
    }
    assert!(
        per_contact
            .values()
            .all(|(pieces, seq)| *pieces <= 1 && *seq <= 1)
    );
    // Every due piece has exactly one outcome: the decided pairs are exactly the due pairs,
    // recomputed here naively.
    let mut due = HashSet::new();
    for (ci, c) in contacts.iter().enumerate() {
        let exited = c
            .events
            .iter()
            .any(|e| &*e.name == "purchased" && e.date <= date);
        if c.enrolled_on > date || exited {
            continue;
        }
        for (si, s) in w.rules.steps.iter().enumerate() {
            if c.history.iter().any(|h| h.step == Some(si)) {
                continue;
            }
            if let Some(t) = &s.trigger {
                let first = c
                    .events
                    .iter()
                    .find(|e| &*e.name == t.as_str() && e.date >= c.enrolled_on);
                if first
                    .is_some_and(|e| e.date + chrono::Days::new(u64::from(s.delay_days)) <= date)
                {
                    due.insert((ci, si));
                }
            }
        }
        let next_seq =
            w.rules.steps.iter().enumerate().find(|(si, s)| {
                s.trigger.is_none() && !c.history.iter().any(|h| h.step == Some(*si))
            });
        if let Some((si, s)) = next_seq {
            let prev = w.rules.steps[..si]
                .iter()
                .enumerate()
                .rfind(|(_, s)| s.trigger.is_none())
                .and_then(|(pi, _)| {
                    c.history
                        .iter()
                        .find(|h| h.step == Some(pi))
                        .map(|h| h.date)
                });
            if prev.unwrap_or(c.enrolled_on) + chrono::Days::new(u64::from(s.delay_days)) <= date {
                due.insert((ci, si));
            }
        }
    }
    assert_eq!(pairs, due, "decided pairs differ from due pairs on {date}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn invariants_hold_over_many_cycles(w in world()) {
        let committed = simulate(&w);
        // Never the same step twice.
        let mut seen = HashSet::new();
        for (c, s, _, _) in &committed {
            prop_assert!(seen.insert((*c, *s)), "step {s} twice for contact {c}");
        }
        for (ci, (_, events, _)) in w.contacts.iter().enumerate() {
            let mut dates: Vec<NaiveDate> = committed
                .iter()
                .filter(|(c, _, _, done)| *c == ci && done.as_if_mailed())
                .map(|(_, _, date, _)| *date)
                .collect();
            dates.sort();
            // Never two pieces (a held-out one counted as mailed) less than min_gap_days apart.
            for pair in dates.windows(2) {
                prop_assert!((pair[1] - pair[0]).num_days() >= i64::from(w.rules.min_gap_days));
            }
            // Nothing after an exit event.
            if let Some(exit) = events.iter().filter(|e| &*e.name == "purchased").map(|e| e.date).min() {
                prop_assert!(committed.iter().all(|(c, _, date, _)| *c != ci || *date < exit));
            }
        }
    }
}

#[test]
fn delays_past_the_calendar_never_panic() {
    let mut r = rules();
    r.steps[0].delay_days = u32::MAX;
    r.min_gap_days = u32::MAX;
    let history = [issued(2, "2026-11-01")];
    let c = [contact("1", "2026-11-01", &[], &history)];
    assert!(run(&r, &c, "2026-11-24").decisions.is_empty());
}
