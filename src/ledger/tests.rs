use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn entry(contact: &str, step: &str) -> Entry {
    Entry {
        contact_id: contact.into(),
        step: step.into(),
        done: crate::schedule::Done::Issued,
        variant: None,
        piece_id: Some("p".into()),
        file: Some("f.pdf".into()),
        first_page: Some(1),
        imb: None,
    }
}

fn commit(l: &mut Ledger, date: &str, entries: &[Entry]) -> Result<(), LedgerError> {
    l.commit(
        &CycleRecord {
            campaign: "c",
            date: d(date),
            committed_at: "t",
            folder: Path::new("/out/c/x"),
            staging: Path::new("/out/c/.x.staging"),
            files: &[],
            pdfs: 1,
            imb: None,
            holds: &[],
            rows: None,
            sheets: &[],
        },
        entries,
    )
}

#[test]
fn commits_once_and_refuses_earlier_dates_and_repeated_steps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/ledger.sqlite");
    let mut l = Ledger::create(&path).unwrap();
    commit(&mut l, "2026-11-10", &[entry("1", "welcome")]).unwrap();
    assert!(l.committed("c", d("2026-11-10")).unwrap().is_some());
    assert!(matches!(
        commit(&mut l, "2026-11-10", &[]),
        Err(LedgerError::AlreadyCommitted { .. })
    ));
    assert!(matches!(
        commit(&mut l, "2026-11-01", &[]),
        Err(LedgerError::Earlier { .. })
    ));
    // The same step twice for a contact rolls the whole cycle back.
    assert!(
        commit(
            &mut l,
            "2026-11-17",
            &[entry("2", "welcome"), entry("1", "welcome")]
        )
        .is_err()
    );
    assert!(l.committed("c", d("2026-11-17")).unwrap().is_none());
    assert_eq!(l.decisions("c").unwrap().len(), 1);
    assert_eq!(l.last_cycle("c").unwrap(), Some(d("2026-11-10")));
    assert_eq!(l.cycles("c").unwrap().len(), 1);
    assert_eq!(l.contact("c", "1").unwrap()[0].step, "welcome");
    assert!(
        Ledger::open_read(&dir.path().join("none.sqlite"))
            .unwrap()
            .is_none()
    );
    assert!(Ledger::open_read(&path).unwrap().is_some());
}

#[test]
fn an_empty_file_is_no_ledger_and_create_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    std::fs::write(&path, b"").unwrap();
    assert!(Ledger::open_read(&path).unwrap().is_none());
    assert!(Ledger::open_write(&path).unwrap().is_none());
    let l = Ledger::create(&path).unwrap();
    assert!(l.cycles("c").unwrap().is_empty());
    // No creation leftovers.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ledger.sqlite"]);
}

#[test]
fn a_half_created_ledger_of_dripmail_0_1_is_completed() {
    // dripmail 0.1 created its tables one statement at a time: a kill after the first left
    // `cycles` alone ("no such table: decisions" ever after).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE cycles (campaign TEXT NOT NULL, cycle_date TEXT NOT NULL, committed_at TEXT NOT NULL,
             issued INTEGER NOT NULL, skipped INTEGER NOT NULL, files INTEGER NOT NULL, PRIMARY KEY (campaign, cycle_date));",
        )
        .unwrap();
    }
    let mut l = Ledger::open_write(&path).unwrap().unwrap();
    l.check(true).unwrap();
    commit(&mut l, "2026-11-10", &[entry("1", "welcome")]).unwrap();
    assert_eq!(l.decisions("c").unwrap().len(), 1);
    let v: i64 = l
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, VERSION);
}

#[test]
fn a_date_that_does_not_parse_is_damage_not_a_skipped_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let mut l = Ledger::create(&path).unwrap();
    commit(&mut l, "2026-11-10", &[entry("1", "welcome")]).unwrap();
    l.conn
        .execute("UPDATE decisions SET cycle_date = '2026-13-45'", [])
        .unwrap();
    let err = l.decisions("c").unwrap_err();
    assert!(matches!(err, LedgerError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("2026-13-45"), "{err}");
}

#[test]
fn a_newer_or_foreign_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.sqlite");
    drop(Ledger::create(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    assert!(matches!(
        Ledger::open_read(&newer),
        Err(LedgerError::Newer { found: 99, .. })
    ));
    let foreign = dir.path().join("foreign.sqlite");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7; PRAGMA user_version = 2;")
        .unwrap();
    assert!(matches!(
        Ledger::open_read(&foreign),
        Err(LedgerError::NotALedger { .. })
    ));
    let text = dir.path().join("text.sqlite");
    std::fs::write(&text, "id,name\n1,Ann\n").unwrap();
    let err = Ledger::open_read(&text).err().unwrap();
    assert!(
        err.to_string().contains("is not a dripmail ledger"),
        "{err}"
    );
}

#[test]
fn sqlite_errors_are_said_once_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let mut l = Ledger::create(&path).unwrap();
    // Another connection holds the write lock; our commit waits, then gives up.
    l.conn
        .busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = commit(&mut l, "2026-11-10", &[]).unwrap_err().to_string();
    assert!(err.contains("stayed locked by another process"), "{err}");
    assert_eq!(err.matches("locked").count(), 1, "{err}");
    assert!(!err.contains("Error code"), "{err}");
}

#[test]
fn serial_store_is_shared_and_counts_for_every_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("imb-123456.sqlite");
    let with_imb = |serial: u64| Entry {
        imb: Some(Box::new((serial, format!("code{serial}")))),
        ..entry("1", "welcome")
    };
    let mut a = Ledger::create(&dir.path().join("a.sqlite")).unwrap();
    a.attach_store(&store, true).unwrap();
    a.commit(
        &CycleRecord {
            campaign: "a",
            date: d("2026-11-10"),
            committed_at: "t",
            folder: Path::new("/o/a/x"),
            staging: Path::new("/o/a/.x"),
            files: &[],
            pdfs: 1,
            imb: Some(("123456", 1)),
            holds: &[],
            rows: None,
            sheets: &[],
        },
        &[with_imb(0)],
    )
    .unwrap();
    // Another campaign with its own ledger sees serial 0 as used and counts on from 1.
    let mut b = Ledger::create(&dir.path().join("b.sqlite")).unwrap();
    assert_eq!(b.imb_state("123456", d("2026-11-11")).unwrap().0, 0);
    b.attach_store(&store, true).unwrap();
    let (next, recent) = b.imb_state("123456", d("2026-11-11")).unwrap();
    assert_eq!((next, recent.contains(&0)), (1, true));
    // Serial 0 taken anyway (a stale plan): refused, nothing committed.
    let record = CycleRecord {
        campaign: "b",
        date: d("2026-11-11"),
        committed_at: "t",
        folder: Path::new("/o/b/x"),
        staging: Path::new("/o/b/.x"),
        files: &[],
        pdfs: 1,
        imb: Some(("123456", 1)),
        holds: &[],
        rows: None,
        sheets: &[],
    };
    assert!(matches!(
        b.commit(&record, &[with_imb(0)]),
        Err(LedgerError::SerialReused { serial: 0, .. })
    ));
    assert!(b.cycles("b").unwrap().is_empty());
    // After 45 days it may be used again.
    let (_, recent) = b.imb_state("123456", d("2026-12-26")).unwrap();
    assert!(!recent.contains(&0));
}

#[test]
fn void_makes_the_cycle_due_again_and_keeps_an_audit_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::create(&dir.path().join("l.sqlite")).unwrap();
    commit(&mut l, "2026-11-10", &[entry("1", "welcome")]).unwrap();
    l.void(
        "c",
        d("2026-11-10"),
        "2026-11-11T08:00:00Z",
        "ann@press",
        "wrong art",
        Some((Path::new("/out/c/x"), Path::new("/out/c/x.voided"))),
    )
    .unwrap();
    assert!(l.decisions("c").unwrap().is_empty());
    assert!(l.committed("c", d("2026-11-10")).unwrap().is_none());
    let v = l.voids("c").unwrap();
    assert_eq!(
        (v[0].voided_by.as_str(), v[0].reason.as_str(), v[0].issued),
        ("ann@press", "wrong art", 1)
    );
    assert_eq!(l.unmoved().unwrap().len(), 1);
    // The same date can be committed again.
    commit(&mut l, "2026-11-10", &[entry("1", "welcome")]).unwrap();
}

#[test]
fn only_super_journals_no_journal_names_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.sqlite");
    let journal = dir.path().join("store.sqlite-journal");
    let orphan = dir.path().join("ledger.sqlite-mj0A1B2C3D");
    let needed = dir.path().join("ledger.sqlite-mj4E5F6071");
    std::fs::write(
        &orphan,
        format!("{}\0", dir.path().join("gone-journal").display()),
    )
    .unwrap();
    std::fs::write(&needed, format!("{}\0", journal.display())).unwrap();
    std::fs::write(&journal, b"x").unwrap();
    remove_orphan_super_journals(&ledger);
    assert!(!orphan.exists());
    assert!(
        needed.exists(),
        "a super-journal a journal still names was removed"
    );
}
