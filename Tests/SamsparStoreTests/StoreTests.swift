import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

@Suite("Store, on every engine")
struct StoreTests {
    @Test(arguments: Engine.available)
    func migrateIsIdempotent(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            #expect(try await store.migrate() == [])
            #expect(try await store.counts()["registrations"] == 0)
        }
    }

    @Test(arguments: Engine.available)
    func agreementImportCreatesRevisesAndKeepsVersions(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            let original = try Fixtures.agreement
            let first = try await store.importAgreement(original, document: try Fixtures.agreementJSON, importedAt: Date())
            // The operator's first import adds the five parties to the registry.
            let parties = try ["202100-2114", "222000-2162", "212000-0084", "212000-0233", "212000-0092"].map { try Organisationsnummer($0) }
            #expect(first == AgreementImportResult(id: "ostra-sodertorn", version: 1, change: .created, addedOrganisations: parties))
            let again = try await store.importAgreement(original, document: try Fixtures.agreementJSON, importedAt: Date())
            #expect(again.change == .unchanged)
            #expect(again.version == 1)

            var revised = original
            revised.validFrom = Day(year: 2019, month: 1, day: 1)!
            revised.tracks[0].genderGoal = .init(sex: .male, minShare: 0.45)
            let second = try await store.importAgreement(revised, document: Data(revised.document.serialized().utf8), importedAt: Date())
            #expect(second == AgreementImportResult(id: "ostra-sodertorn", version: 2, change: .revised))

            // Reports are computed against the version in force on the dates they cover.
            let in2018 = try #require(try await store.agreement(id: "ostra-sodertorn", inForceOn: Day(year: 2018, month: 12, day: 31)))
            #expect(in2018.version == 1)
            #expect(in2018.agreement.tracks[0].genderGoal?.minShare == 0.40)
            let in2019 = try #require(try await store.agreement(id: "ostra-sodertorn", inForceOn: Day(year: 2019, month: 6, day: 1)))
            #expect(in2019.version == 2)
            #expect(in2019.agreement.tracks[0].genderGoal?.minShare == 0.45)
            #expect(try await store.agreements().map(\.version) == [2])
        }
    }

    @Test(arguments: Engine.available)
    func importingTheSameFilesTwiceChangesNothing(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let first = try await store.counts()
            #expect(first["registrations"] == 5)
            #expect(first["track_events"] == 13)
            #expect(first["status_changes"] == 4)
            #expect(first["activities"] == 2)
            let agreement = try Fixtures.agreement
            let before = try await store.reportInput(for: agreement, asOf: Day(year: 2019, month: 3, day: 31)!)

            try await Fixtures.load(store)
            #expect(try await store.counts() == first)
            let after = try await store.reportInput(for: agreement, asOf: Day(year: 2019, month: 3, day: 31)!)
            #expect(
                Report.compute(for: agreement, year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!, input: before)
                    == Report.compute(for: agreement, year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!, input: after))
        }
    }

    @Test(arguments: Engine.available)
    func aChangedRowUpdatesByItsKey(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let update = """
                person_id;status;date
                19900101-2385;studies;2018-10-15
                """
            _ = try await store.importFile(.statuses, from: .bytes(Array(update.utf8)), currentYear: 2026, progress: nil)
            #expect(try await store.counts()["status_changes"] == 4)
            let input = try await store.reportInput(for: try Fixtures.agreement, asOf: Day(year: 2019, month: 1, day: 1)!)
            let changed = input.statuses.first { $0.person.value == 199001012385 && $0.date == Day(year: 2018, month: 10, day: 15)! }
            #expect(changed?.status == .studies)
        }
    }

    @Test(arguments: Engine.available)
    func aFileWithBadRowsIsRejectedWholeListingEveryRow(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.importAgreement(store)
            let text = """
                person_id;municipality;first_permit_date;registered_on;upper_secondary_completed
                199001012385;0136;2016-03-01;2017-01-10;yes
                199001012386;0136;2016-03-01;2017-01-10;yes
                199009132391;9999;2017-02-30;2018-02-01;maybe
                199105152392;0138;2015-01-31;2016-06-01;no
                """
            let error = try await #require(throws: ImportError.self) {
                try await store.importFile(.participants, from: .bytes(Array(text.utf8)), currentYear: 2026, progress: nil)
            }
            #expect(error.problems.map(\.line) == [3, 4, 4, 4])
            #expect(error.problems[0] == ImportProblem(line: 3, column: "person_id", reason: "'199001012386': check digit should be 5"))
            #expect(error.problems.map(\.column) == ["person_id", "municipality", "first_permit_date", "upper_secondary_completed"])
            #expect(error.problems[2].reason == "no day 30 in February")
            #expect(try await store.counts()["registrations"] == 0)
        }
    }

    @Test(arguments: Engine.available)
    func rejectionAfterManyWrittenBatchesLeavesNothing(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            // 3,000 good rows (three batches written) then one bad one: nothing stays.
            try await Fixtures.importAgreement(store)
            var lines = ["person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"]
            let numbers = TestIdentityNumbers.all.filter { $0.birthDate.year >= 1960 }.prefix(3000)
            for n in numbers { lines.append("\(n.twelveDigits);0136;2016-03-01;2017-01-10;no") }
            lines.append("not-a-number;0136;2016-03-01;2017-01-10;no")
            let error = try await #require(throws: ImportError.self) {
                try await store.importFile(.participants, from: .bytes(Array(lines.joined(separator: "\n").utf8)), currentYear: 2026, progress: nil)
            }
            #expect(error.problems.count == 1)
            #expect(error.problems[0].line == 3002)
            #expect(try await store.counts()["registrations"] == 0)
        }
    }

    @Test(arguments: Engine.available)
    func eventsNeedKnownPeopleAndTracks(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let text = """
                person_id;track;event;date
                199001012385;vard;invited;2019-01-15
                199306022386;vard;invited;2019-01-15
                199001012385;svets;invited;2019-01-15
                199001012385;vard;graduated;2019-01-15
                """
            let error = try await #require(throws: ImportError.self) {
                try await store.importFile(.events, from: .bytes(Array(text.utf8)), currentYear: 2026, progress: nil)
            }
            #expect(
                error.problems.map(\.description) == [
                    "line 3, column person_id: no participant 19930602-2386 (import the participants file first)",
                    "line 4, column track: no agreement your organisation is a party to has a track 'svets'",
                    "line 5, column event: 'graduated' is not one of invited, attended, accepted, declined, started, completed, discontinued",
                ])
            #expect(try await store.counts()["track_events"] == 13)
        }
    }

    @Test(arguments: Engine.available)
    func aTrackCodeInTwoAgreementsNeedsTheAgreementColumn(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            var other = try Fixtures.agreement
            other.id = "norra-sormland"
            _ = try await store.importAgreement(other, document: Data(other.document.serialized().utf8), importedAt: Date())
            let ambiguous = """
                person_id;track;event;date;agreement
                199001012385;vard;invited;2019-01-15;
                """
            let error = try await #require(throws: ImportError.self) {
                try await store.importFile(.events, from: .bytes(Array(ambiguous.utf8)), currentYear: 2026, progress: nil)
            }
            #expect(error.problems.first?.column == "agreement")
            let named = """
                person_id,track,event,date,agreement
                199001012385,vard,invited,2019-01-15,norra-sormland
                """
            let summary = try await store.importFile(.events, from: .bytes(Array(named.utf8)), currentYear: 2026, progress: nil)
            #expect(summary.rows == 1)
            // The event belongs to the other agreement: Östra Södertörn's input does not see it.
            let input = try await store.reportInput(for: try Fixtures.agreement, asOf: Day(year: 2019, month: 12, day: 31)!)
            #expect(!input.events.contains { $0.date == Day(year: 2019, month: 1, day: 15)! })
        }
    }

    @Test(arguments: Engine.available)
    func spreadsheetSpellingsAreAccepted(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.importAgreement(store)
            // Byte-order mark, CRLF, quoted fields with a separator and a doubled quote, ten-digit ids.
            let text =
                "\u{FEFF}person_id;given_name;family_name;municipality;first_permit_date;registered_on;upper_secondary_completed\r\n"
                + "900101-2385;\"Amina; Fatima\";\"Test \"\"T\"\"sson\";0136;2016-03-01;2017-01-10;yes\r\n"
                + "\r\n"
                + "9009132391;Ali;Provsson;0136;2017-05-15;2018-02-01;no\r\n"
            let summary = try await store.importFile(.participants, from: .bytes(Array(text.utf8)), currentYear: 2026, progress: nil)
            #expect(summary.rows == 2)
            let input = try await store.reportInput(for: try Fixtures.agreement, asOf: Day(year: 2019, month: 1, day: 1)!)
            #expect(Set(input.participants.map(\.person.value)) == [199001012385, 199009132391])
        }
    }

    @Test(arguments: Engine.available)
    func reportFromTheStoreFollowsTheRules(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let (report, stored) = try await store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!)
            #expect(stored.version == 1)
            // Eskilstuna's participant is not in the population; the one who exited 2018-06-30 is active in 2018.
            #expect(report.participants.active == 4)
            #expect(report.participants.female == 2)
            #expect(report.participants.male == 2)
            let vard = report.tracks[0]
            #expect(vard.count(.completed) == 1)
            #expect(vard.acceptance == Ratio(1, of: 1))
            // Completed 2018-08-31; 90 days later (2018-11-29) the status is work.
            #expect(vard.outcome == Ratio(1, of: 1))
            #expect(vard.genderGoal?.ratio == Ratio(0, of: 1))
            #expect(vard.genderGoal?.met == false)
            let bygg = report.tracks[2]
            #expect(bygg.acceptance == Ratio(0, of: 1))
            #expect(report.tracks[3].completion == Ratio(0, of: 1))
            // Recruitment: attended a vocational meeting in 2018 (vard, bygg) of 4 active.
            #expect(report.recruitment == Ratio(2, of: 4))
            do {
                await #expect(throws: StoreError.unknownAgreement("nope")) {
                    _ = try await store.report(agreementID: "nope", year: 2018, asOf: Day(year: 2019, month: 1, day: 1)!)
                }
            }
        }
    }
}

@Suite("Text survives every engine")
struct TextRoundTripTests {
    @Test(arguments: Engine.available)
    func awkwardTextIsStoredAsGiven(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.importAgreement(store)
            let text =
                "person_id;given_name;family_name;municipality;first_permit_date;registered_on;upper_secondary_completed;exit_reason;exited_on\n"
                + "199001012385;\"Back\\slash\ttab\";\"Two\nlines; \"\"quoted\"\"\";0136;2016-03-01;2017-01-10;yes;\\N;2018-01-01\n"
            _ = try await store.importFile(.participants, from: .bytes(Array(text.utf8)), currentYear: 2026, progress: nil)
            let person = Personnummer(storedValue: 199_001_012_385)
            let view = try await store.participant(person, visibleTo: try Organisationsnummer("212000-0084"), on: Day(year: 2019, month: 1, day: 1)!)
            #expect(view?.merged.givenName == "Back\\slash\ttab")
            #expect(view?.merged.familyName == "Two\nlines; \"quoted\"")
            #expect(view?.merged.exitReason == "\\N")
        }
    }
}

/// Issue 27: one person's read is the registrations and four kinds of record, each reading the
/// same visible set; every kind of value comes back as it went in, in order, and the same as
/// the caseload's view of the same person.
@Suite("One participant's read")
struct OneParticipantReadTests {
    /// PostgreSQL plans a participant read once per connection (issue 27: planning was 84% of
    /// the server's time in a read), and the read is one statement (part 2: one round trip):
    /// the first read prepares one, the next on the same connection nothing new.
    @Test func onPostgreSQLAReadsStatementsArePreparedOncePerConnection() async throws {
        guard Engine.available.contains(.postgres) else { return }
        let store = try #require(try await Engine.postgres.makeStore() as? PostgreSQLStore)
        defer { Task { try? await store.close() } }
        try await Fixtures.load(store)
        let haninge = try Organisationsnummer("212000-0084")
        let day = Day(year: 2019, month: 1, day: 1)!
        let counts = try await store.read { s in
            func prepared() async throws -> Int64 {
                try await s.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE name LIKE 'samspar_%'", []).first?["n"].int ?? -1
            }
            var counts = [try await prepared()]
            for person: Int64 in [199_001_012_385, 199_009_132_391, 199_001_012_385] {
                let view = try await Rows.participant(Personnummer(storedValue: person), visibleTo: haninge, on: day, in: s)
                #expect(view?.person.value == person)
                counts.append(try await prepared())
            }
            return counts
        }
        #expect(counts == [0, 1, 1, 1])
    }

    @Test(arguments: Engine.available)
    func everyKindOfValueComesBackInOrder(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let haninge = try Organisationsnummer("212000-0084")
            let day = Day(year: 2019, month: 1, day: 1)!
            let amina = try #require(try await store.participant(Personnummer(storedValue: 199_001_012_385), visibleTo: haninge, on: day))
            // Engines.swift's fixture, by hand: five events of "vard" in date order, two
            // statuses, two activities (15 hours a whole number, 20,5 not).
            #expect(
                amina.events.map { "\($0.value.kind)@\($0.value.date)" } == [
                    "invited@2018-01-15", "attended@2018-01-25", "accepted@2018-02-01", "started@2018-02-15", "completed@2018-08-31",
                ])
            #expect(amina.events.allSatisfy { $0.value.track == "vard" && $0.value.reason == nil && $0.recordedBy == haninge })
            #expect(amina.statuses.map { "\($0.value.status)@\($0.value.date)" } == ["none@2017-01-10", "work@2018-10-15"])
            #expect(amina.activities.map(\.value.hoursPerWeek) == [15, 20.5])
            #expect(amina.activities.map(\.value.provider) == ["Haninge vuxenutbildning", "Arbetsförmedlingen"])
            #expect(amina.activities.map { $0.value.end?.description } == ["2017-12-20", "2018-03-30"])
            #expect(amina.registrations.map(\.party) == [haninge])
            #expect(amina.merged.givenName == "Amina" && amina.merged.upperSecondaryCompleted && amina.merged.exitedOn == nil)
            #expect(amina.consents.isEmpty)
            // Another party sees nothing of her, not even that she exists.
            #expect(try await store.participant(amina.person, visibleTo: try Organisationsnummer("212000-0092"), on: day) == nil)

            let nynashamn = try Organisationsnummer("212000-0233")
            let sara = try #require(try await store.participant(Personnummer(storedValue: 200_001_012_384), visibleTo: nynashamn, on: day))
            #expect(sara.events.last.map { "\($0.value.kind) \($0.value.reason ?? "-")" } == "discontinued ohälsa")
            // The caseload's view of the same people (the other path through the records) agrees.
            for (viewer, view) in [(haninge, amina), (nynashamn, sara)] {
                let same = try #require(try await store.caseload(visibleTo: viewer, on: day).first { $0.person == view.person })
                #expect(same.events.map(\.value.date) == view.events.map(\.value.date))
                #expect(same.statuses.map(\.value.status) == view.statuses.map(\.value.status))
                #expect(same.activities.map(\.value.hoursPerWeek) == view.activities.map(\.value.hoursPerWeek))
                #expect(same.merged.familyName == view.merged.familyName)
            }
        }
    }

    /// A caseload holds the people another party opened to the viewer with a consent naming
    /// it, though the viewer never registered them, and the viewer's own figures count them
    /// (SPEC §2 *Consent*, §3 *own*). The narrowing before the decision
    /// (``AccessSQL/candidates(_:viewer:)``) must not lose them.
    @Test(arguments: Engine.available)
    func aCaseloadHoldsThePeopleAConsentOpensToTheViewer(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let haninge = try Organisationsnummer("212000-0084")
            let tyreso = try Organisationsnummer("212000-0092")
            let day = Day(year: 2019, month: 1, day: 1)!
            // Before: Tyresö registered Omar, and sees nobody else.
            #expect(try await store.caseload(visibleTo: tyreso, on: day).map(\.person.value) == [199_105_152_392])
            try await store.transaction { s in
                _ = try await Rows.giveConsent(
                    person: Personnummer(storedValue: 199_001_012_385), organisation: haninge, party: tyreso, validFrom: Day(year: 2018, month: 6, day: 1)!,
                    validUntil: nil, now: Date(timeIntervalSince1970: 0), in: s)
            }
            let caseload = try await store.caseload(visibleTo: tyreso, on: day)
            #expect(caseload.map(\.person.value) == [199_001_012_385, 199_105_152_392])
            #expect(caseload.first?.registrations.map(\.party) == [haninge])
            #expect(
                try await store.visibleRegistrations(to: tyreso, on: day) == [
                    PersonParty(person: 199_001_012_385, org: 2_120_000_084), PersonParty(person: 199_105_152_392, org: 2_120_000_092),
                ])
            // The day before the consent begins, Amina is not Tyresö's to see.
            #expect(try await store.caseload(visibleTo: tyreso, on: Day(year: 2018, month: 5, day: 31)!).map(\.person.value) == [199_105_152_392])
        }
    }

    /// Records come back in each kind's own order whatever order they were written in: dates
    /// before the track or the activity's kind, which is not the order of the tables' keys
    /// (PostgreSQL's one statement sorts every part at once, ``PartsStatement``).
    @Test(arguments: Engine.available)
    func recordsComeBackInTheirOwnOrderNotTheOrderWritten(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let more = [
                (
                    ImportKind.events,
                    """
                    person_id;track;event;date;reason
                    199001012385;bygg;started;2017-09-01;
                    199001012385;bygg;invited;2017-06-01;
                    """
                ),
                (
                    .activities,
                    """
                    person_id;activity;start;end;hours_per_week;provider
                    199001012385;sfi;2019-01-07;2019-06-14;10;Haninge vuxenutbildning
                    199001012385;work_practice;2016-06-01;2016-08-31;40;Arbetsförmedlingen
                    """
                ),
                (
                    .statuses,
                    """
                    person_id;status;date
                    199001012385;studies;2016-09-01
                    """
                ),
            ]
            for (kind, text) in more {
                _ = try await store.importFile(kind, from: .bytes(Array(text.utf8)), currentYear: 2026, progress: nil)
            }
            let haninge = try Organisationsnummer("212000-0084")
            let amina = try #require(
                try await store.participant(Personnummer(storedValue: 199_001_012_385), visibleTo: haninge, on: Day(year: 2019, month: 7, day: 1)!))
            #expect(
                amina.events.map { "\($0.value.track) \($0.value.kind)@\($0.value.date)" } == [
                    "bygg invited@2017-06-01", "bygg started@2017-09-01", "vard invited@2018-01-15", "vard attended@2018-01-25",
                    "vard accepted@2018-02-01", "vard started@2018-02-15", "vard completed@2018-08-31",
                ])
            #expect(
                amina.activities.map { "\($0.value.activity)@\($0.value.start)" } == [
                    "workPractice@2016-06-01", "sfi@2017-01-15", "workPractice@2018-01-08", "sfi@2019-01-07",
                ])
            #expect(amina.statuses.map { "\($0.value.status)@\($0.value.date)" } == ["studies@2016-09-01", "none@2017-01-10", "work@2018-10-15"])
        }
    }

    /// What PostgreSQL's one statement puts side by side (``SQLSession/queryParts(visible:_:_:)``):
    /// each part's column names, and each column as a NULL of its table's type, the tables
    /// found from the aliases in `from`.
    @Test func aPartNamesItsColumnsAndTheirTables() {
        let events = SQLPart(select: "x.person_id, t.code, x.date", from: "track_events x JOIN tracks t ON t.id = x.track_id", order: "person_id")
        #expect(events.columnNames == ["person_id", "code", "date"])
        #expect(events.typedNulls == ["(NULL::track_events).person_id", "(NULL::tracks).code", "(NULL::track_events).date"])
        let registrations = SQLPart(
            select: "r.person_id, o.kind", from: "registrations r LEFT JOIN organisations o ON o.org_number = r.org_number", order: "person_id")
        #expect(registrations.columnNames == ["person_id", "kind"])
        #expect(registrations.typedNulls == ["(NULL::registrations).person_id", "(NULL::organisations).kind"])
        #expect(SQLPart(select: "x.id", from: "consents x", order: "id").typedNulls == ["(NULL::consents).id"])
    }

    @Test func aReadOfOneStatementRefusesASecond() async throws {
        guard Engine.available.contains(.postgres) else { return }
        try await withStore(.postgres) { (store: any SamsparStore) async throws in
            await #expect(throws: PostgresFailure.self) {
                try await store.readOneStatement { s in
                    try await s.query("SELECT 1 AS one")
                    return try await s.query("SELECT 2 AS two").count
                }
            }
        }
    }
}

@Suite("Edges of the store")
struct StoreEdgeTests {
    @Test(arguments: Engine.available)
    func anAgreementWithoutMunicipalitiesHasAnEmptyPopulation(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            var draft = try Fixtures.agreement
            draft.id = "utkast"
            draft.parties = draft.parties.filter { $0.kind != .municipality }
            // Signed by every party it has (none of them a municipality).
            draft.signatures = draft.signatures.filter { s in draft.parties.contains { $0.orgNumber == s.orgNumber } }
            _ = try await store.importAgreement(draft, document: Data(draft.document.serialized().utf8), importedAt: Date())
            let (report, _) = try await store.report(agreementID: "utkast", year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!)
            #expect(report.participants.active == 0)
            #expect(report.tracks.count == 4)
            // As a draft (issue 18) it has no figures at all, not even a preview.
            draft.id = "bara-utkast"
            draft.signatures = []
            draft.status = .draft
            _ = try await store.importAgreement(draft, document: Data(draft.document.serialized().utf8), importedAt: Date())
            await #expect(throws: StoreError.notSignedByAll("bara-utkast")) {
                try await store.report(agreementID: "bara-utkast", year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!)
            }
        }
    }
}

/// SPEC §4: whose rows a file holds. A file is imported on behalf of one organisation; the
/// operator's bulk load without `--org` files each row under the party it must belong to.
@Suite("Whose rows a file holds")
struct FileOwnershipTests {
    static let af = try! Organisationsnummer("202100-2114")
    static let tyreso = try! Organisationsnummer("212000-0092")
    static let today = Day(year: 2019, month: 6, day: 1)!

    static func rows(_ store: any SamsparStore, _ sql: String) async throws -> [String] {
        try await store.read { s in
            try await s.query(sql).map { row in row.values.map { v in v.int.map(String.init) ?? v.text ?? "null" }.joined(separator: " ") }
        }
    }

    @Test(arguments: Engine.available)
    func eachRowBelongsToOneParty(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            // By home municipality: Haninge, Tyresö, Nynäshamn and Eskilstuna are in the registry.
            #expect(
                try await Self.rows(store, "SELECT person_id, org_number FROM registrations ORDER BY person_id") == [
                    "199001012385 2120000084", "199009132391 2120000084", "199105152392 2120000092", "199201202398 2120000282",
                    "200001012384 2120000233",
                ])
            // Stockholm (0180) has no municipality organisation: the row asks for --org.
            let stockholm = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed\n199306022386;0180;2017-01-01;2018-01-01;no\n"
            let noOrg = try await #require(throws: ImportError.self) {
                try await store.importFile(.participants, from: .bytes(Array(stockholm.utf8)), currentYear: 2026, progress: nil)
            }
            #expect(noOrg.problems.map(\.column) == ["municipality"])
            #expect(noOrg.problems.first?.reason.contains("--org") == true)
            // Arbetsförmedlingen registers Amina too; a status without --org is now ambiguous.
            let amina = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed\n199001012385;0136;2016-01-01;2016-12-01;no\n"
            _ = try await store.importFile(
                .participants, from: .bytes(Array(amina.utf8)), currentYear: 2026, scope: ImportScope(organisation: Self.af.value, today: Self.today),
                progress: nil)
            let status = "person_id;status;date\n199001012385;studies;2019-05-01\n"
            let ambiguous = try await #require(throws: ImportError.self) {
                try await store.importFile(.statuses, from: .bytes(Array(status.utf8)), currentYear: 2026, progress: nil)
            }
            #expect(
                ambiguous.problems.map(\.description) == [
                    "line 2, column person_id: 19900101-2385 is registered by 2 organisations: name the one whose record this is with --org"
                ])
            // Named: Arbetsförmedlingen's record. Tyresö has not registered her: refused.
            _ = try await store.importFile(
                .statuses, from: .bytes(Array(status.utf8)), currentYear: 2026, scope: ImportScope(organisation: Self.af.value, today: Self.today),
                progress: nil)
            let refused = try await #require(throws: ImportError.self) {
                try await store.importFile(
                    .statuses, from: .bytes(Array(status.utf8)), currentYear: 2026,
                    scope: ImportScope(organisation: Self.tyreso.value, today: Self.today), progress: nil)
            }
            #expect(
                refused.problems.map(\.description) == [
                    "line 2, column person_id: your organisation has not registered 19900101-2385 (send a participants row for them first)"
                ])
            #expect(
                try await Self.rows(
                    store, "SELECT person_id, org_number, date, status FROM status_changes WHERE person_id = 199001012385 ORDER BY org_number, date")
                    == ["199001012385 2021002114 18017 3", "199001012385 2120000084 17176 0", "199001012385 2120000084 17819 1"])
        }
    }
}

/// Issue 7, part 8: on SQLite a report reads on its own connection, so it neither waits for
/// the writer nor makes writes and audited reads wait for it.
@Suite("Reports beside the writer")
struct ReportBesideWriterTests {
    @Test(.timeLimit(.minutes(1)))
    func aReportRunsWhileAWriteTransactionIsOpen() async throws {
        try await withStore(.sqlite) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let agreement = try Fixtures.agreement
            // Inside an open write transaction (the writer held), a report still completes:
            // with the writer's connection it would wait for this very transaction forever.
            let active = try await store.transaction { _ in
                try await store.reportInput(for: agreement, asOf: Day(year: 2019, month: 3, day: 31)!).participants.count
            }
            #expect(active == 4)  // Haninge 2, Tyresö 1, Nynäshamn 1; not Eskilstuna
        }
    }
}

/// Issue 7, part 6: the keyed chain covers the registrations each entry touched, and where
/// the key begins.
@Suite("The keyed audit chain")
struct KeyedAuditChainTests {
    @Test(arguments: Engine.available)
    func removingOrAddingASubjectBreaksTheChain(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            let subjects = [PersonParty(person: 199_001_012_385, org: 2_120_000_084), PersonParty(person: 199_009_132_391, org: 2_120_000_084)]
            try await store.appendAudit(
                [
                    AuditDraft(actor: "token:VS", role: "system", organisation: nil, action: "import", person: nil, channel: "test", subjects: subjects),
                    AuditDraft(actor: "token:VS", role: "system", organisation: nil, action: "read", person: nil, channel: "test"),
                ], at: Date(timeIntervalSince1970: 1e9))
            #expect(try await store.verifyAudit().problem == nil)
            let salt = try await store.read {
                try await $0.query("SELECT salt FROM audit_subjects WHERE seq = 1 AND person_id = 199009132391", []).first?["salt"].text
            }
            try await store.transaction { try await $0.query("DELETE FROM audit_subjects WHERE seq = 1 AND person_id = 199009132391") }
            #expect(try await store.verifyAudit().problem == "entry 1 was changed after it was written")
            // Put back with its salt, entry 1 is whole again; added to entry 2, it breaks that one.
            try await store.transaction {
                try await $0.query("INSERT INTO audit_subjects (seq, person_id, org_number, salt) VALUES (1, 199009132391, 2120000084, $1)", [.optional(salt)])
                try await $0.query(
                    "INSERT INTO audit_subjects (seq, person_id, org_number, salt) VALUES (2, 199009132391, 2120000084, $1)", [.optional(salt)])
            }
            #expect(try await store.verifyAudit().problem == "entry 2 was changed after it was written")
        }
    }

    /// A subject's salt is derived from a key of its entry's own (``Chain/SubjectSalts``): each
    /// subject of an entry, and the same subject in two entries, has a salt of its own.
    @Test(arguments: Engine.available)
    func everySubjectHasASaltOfItsOwn(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            let subjects = [
                PersonParty(person: 199_001_012_385, org: 2_120_000_084), PersonParty(person: 199_009_132_391, org: 2_120_000_084),
                PersonParty(person: 199_009_132_391, org: 2_021_005_489),
            ]
            let draft = AuditDraft(actor: "token:VS", role: "system", organisation: nil, action: "import", person: nil, channel: "test", subjects: subjects)
            try await store.appendAudit([draft, draft], at: Date(timeIntervalSince1970: 1e9))
            let salts = try await store.read {
                try await $0.query("SELECT salt FROM audit_subjects ORDER BY seq, person_id, org_number", []).compactMap { $0["salt"].text }
            }
            #expect(salts.count == 6)
            #expect(Set(salts).count == 6)
            #expect(salts.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) && $0 != String(repeating: "0", count: 32) })
            #expect(try await store.verifyAudit().problem == nil)
        }
    }

    /// The subjects' digests are chained in byte order; a bulk write sorts them where they lie.
    @Test func digestsAreSortedInPlaceByTheirBytes() throws {
        func digest(_ prefix: String) -> Chain.Digest { Chain.Digest(hex: prefix + String(repeating: "0", count: 64 - prefix.count))! }
        // Equal first words, so that the later words decide; a repeat; 0xff first is the largest.
        let scrambled = ["ff", "00000000000000000000000000000001", "7f", "0000000000000000000000000000000001", "7f", "00", "80", "0000000000000000ff"]
        var digests = scrambled.map(digest)
        Chain.sortInPlace(&digests)
        #expect(
            digests.map(\.hex)
                == [
                    "00", "0000000000000000000000000000000001", "00000000000000000000000000000001", "0000000000000000ff", "7f", "7f", "80", "ff",
                ].map { $0 + String(repeating: "0", count: 64 - $0.count) })
        for count in 0...2 {
            var few = Array(scrambled.prefix(count).map(digest))
            Chain.sortInPlace(&few)
            #expect(
                few.map(\.hex) == [[], ["ff"], ["00000000000000000000000000000001", "ff"]][count].map { $0 + String(repeating: "0", count: 64 - $0.count) })
        }
    }

    @Test func aKeyThatBeginsLaterLeavesTheOldHistoryAsItWas() throws {
        let key = try #require(AuditKey(text: String(repeating: "ab", count: 32) + " from 12"))
        #expect(key.keyedFrom == 12)
        #expect(key.text == String(repeating: "ab", count: 32) + " from 12")
        #expect(AuditKey(text: String(repeating: "ab", count: 32))?.keyedFrom == 1)
        #expect(AuditKey(text: String(repeating: "ab", count: 32) + " from 0") == nil)
        #expect(AuditKey(text: "not a key") == nil)
    }
}
