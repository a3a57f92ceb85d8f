import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

@Suite("Moving house: db copy without loss (issue 7)")
struct CopyTests {
    static let haninge = try! Organisationsnummer("212000-0084")
    static let af = try! Organisationsnummer("202100-2114")
    static let tyreso = try! Organisationsnummer("212000-0092")

    /// An installation with everything a copy must carry: agreement versions, a caseload,
    /// a second party's registrations and records, consents, users, tokens, and audit
    /// entries naming the registrations they touched.
    static func fill(_ store: any SamsparStore) async throws -> [Personnummer] {
        let agreement = try Fixtures.agreement
        try await Fixtures.importAgreement(store)
        var revised = agreement
        revised.validFrom = Day(year: 2019, month: 1, day: 1)!
        revised.tracks[1].genderGoal = .init(sex: .male, minShare: 0.25)
        _ = try await store.importAgreement(revised, document: Data(revised.document.serialized().utf8), importedAt: Date(timeIntervalSince1970: 1e9))
        let directory = TestFiles.directory.appendingPathComponent("copy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try DemoLoader.writeFiles(Caseload.ostraSodertorn(agreement: agreement, participants: 300, seed: 7), to: directory)
        _ = try await DemoLoader.load(agreements: [], files: files, into: store, currentYear: 2026, now: Date())
        // Arbetsförmedlingen registers three of the demo's people with its own records.
        let demoPeople = try String(contentsOfFile: files[.participants]!, encoding: .utf8).split(separator: "\n").dropFirst().prefix(3)
        let people = demoPeople.map { String($0.prefix { $0 != ";" }) }
        let afParticipants =
            "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed;given_name\n"
            + people.map { "\($0);0136;2016-01-01;2016-12-01;no;AF-namn" }.joined(separator: "\n")
        let afStatuses = "person_id;status;date\n" + people.map { "\($0);work;2018-11-01" }.joined(separator: "\n")
        let now = Date(timeIntervalSince1970: 1_560_000_000)
        for (kind, text) in [(ImportKind.participants, afParticipants), (.statuses, afStatuses)] {
            _ = try await store.importFile(
                kind, from: .bytes(Array(text.utf8)), currentYear: 2026,
                scope: ImportScope(
                    organisation: af.value, today: Day(year: 2019, month: 6, day: 1)!,
                    // The store adds every registration the file touched to the entry's subjects.
                    audit: { _ in AuditDraft(actor: "token:AF", role: "system", organisation: af, action: "import", person: nil, channel: "test") },
                    now: now), progress: nil)
        }
        let persons = people.map { Personnummer(storedValue: Int64($0)!) }
        try await store.transaction { s in
            _ = try await Rows.giveConsent(
                person: persons[0], organisation: haninge, party: af, validFrom: Day(year: 2019, month: 1, day: 1)!, validUntil: nil, now: now, in: s)
            let withdrawn = try await Rows.giveConsent(
                person: persons[1], organisation: af, party: tyreso, validFrom: Day(year: 2019, month: 1, day: 1)!, validUntil: nil, now: now, in: s)
            _ = try await Rows.withdrawConsent(
                id: withdrawn!, person: persons[1], organisation: af, on: Day(year: 2019, month: 3, day: 1)!, today: Day(year: 2019, month: 6, day: 1)!, in: s)
            _ = try await Rows.addUser(email: "cw@haninge.se", organisation: haninge, role: .caseworker, passwordHash: "$2b$04$hash", now: now, in: s)
            _ = try await Rows.createToken(organisation: af, name: "AF VS", secret: "secret-1", now: now, in: s)
            let revoked = try await Rows.createToken(organisation: haninge, name: "old", secret: "secret-2", now: now, in: s)
            _ = try await Rows.revokeToken(id: revoked, now: now, in: s)
            try await AuditLog.append(
                [
                    AuditDraft(
                        actor: "cw@haninge.se", role: "caseworker", organisation: haninge, action: "read", person: persons[0], channel: "test",
                        subjects: [PersonParty(person: persons[0].value, org: haninge.value)])
                ], at: now, in: s)
        }
        return persons
    }

    /// What must be the same after the move, read through the store's own interface.
    static func fingerprint(_ store: any SamsparStore, persons: [Personnummer]) async throws -> [String] {
        var lines: [String] = []
        lines.append("counts \(try await store.counts().sorted { $0.key < $1.key })")
        for year in 2016...2019 {
            for asOf in [Day(year: year, month: 6, day: 30)!, Day(year: year + 1, month: 3, day: 31)!] {
                let (report, stored) = try await store.report(agreementID: "ostra-sodertorn", year: year, asOf: asOf)
                lines.append("report \(year) \(asOf) v\(stored.version) \(ReportDocument(report: report).json.serialized(pretty: false))")
            }
        }
        let day = Day(year: 2019, month: 6, day: 1)!
        lines += try await store.read { s in
            var lines: [String] = []
            lines.append("orgs \(try await Organisations.all(in: s).map { "\($0.number) \($0.kind) \($0.municipalityCode?.description ?? "-") \($0.name)" })")
            lines.append(
                "users \(try await Rows.users(in: s).map { "\($0.id) \($0.email) \($0.organisation) \($0.role) \($0.passwordHash) \($0.disabled)" })")
            lines.append("tokens \(try await Rows.tokens(in: s).map { "\($0.id) \($0.organisation) \($0.name) \($0.createdAt) \($0.revokedAt ?? "-")" })")
            lines.append("token by secret \(try await Rows.token(secret: "secret-1", in: s)?.name ?? "none")")
            lines.append("changes \(try await s.query("SELECT n FROM registration_changes").map { $0["n"].int ?? -1 })")
            let versions = try await s.query("SELECT agreement_id, version, imported_at FROM agreement_versions ORDER BY agreement_id, version")
            lines.append("versions \(versions.map { "\($0["agreement_id"].text ?? "") \($0["version"].int ?? 0) \($0["imported_at"].text ?? "")" })")
            // The access matrix: what each party may see of each person.
            for viewer in [haninge, af, tyreso] {
                for person in persons {
                    let parties = try await Rows.visibleParties(of: person, to: viewer, on: day, in: s)
                    let view = try await Rows.participant(person, visibleTo: viewer, on: day, in: s)
                    lines.append(
                        "sees \(viewer) \(person) \(parties) \(view?.merged.givenName ?? "-") \(view?.statuses.map { "\($0.value.date) \($0.recordedBy)" } ?? [])"
                    )
                    lines.append(
                        "consents \(viewer) \(person) \(try await Rows.consents(of: person, recordedBy: parties, in: s).map { "\($0.id) \($0.party) \($0.withdrawnOn?.description ?? "-")" })"
                    )
                    lines.append("log \(viewer) \(person) \(try await AuditLog.search(.init(person: person, touching: viewer), in: s).map(\.seq))")
                }
            }
            let head = try await AuditLog.head(in: s)
            let verification = try await AuditLog.verify(in: s)
            lines.append("audit \(head) \(verification.entries) \(verification.problem ?? "intact")")
            return lines
        }
        return lines
    }

    /// SQLite → every engine → SQLite: afterwards the access matrix answers the same, every
    /// report is identical, and the audit chain verifies with the same head.
    @Test(arguments: Engine.available)
    func aRoundTripLosesNothing(via engine: Engine) async throws {
        let source = try await Engine.sqlite.makeStore()
        let middle = try await engine.makeStore()
        let target = try await Engine.sqlite.makeStore()
        defer { Task { for store in [source, middle, target] { try? await store.close() } } }
        let persons = try await Self.fill(source)
        let before = try await Self.fingerprint(source, persons: persons)
        #expect(before.last?.hasSuffix("intact") == true)
        let first = try await DatabaseCopy.copy(from: source, to: middle)
        _ = try await DatabaseCopy.copy(from: middle, to: target)
        #expect(first.rows.first { $0.table == "audit_subjects" }?.rows == 7)  // 3 + 3 registrations imported by AF, 1 read
        let inMiddle = try await Self.fingerprint(middle, persons: persons)
        let after = try await Self.fingerprint(target, persons: persons)
        for (a, b) in zip(before, inMiddle) { #expect(a == b) }
        for (a, b) in zip(before, after) { #expect(a == b) }
        #expect(before.count == after.count)
        // New rows after the move get fresh ids and extend the same chain.
        let now = Date()
        try await target.transaction { s in
            _ = try await Rows.createToken(organisation: Self.haninge, name: "after the move", secret: "secret-3", now: now, in: s)
            try await AuditLog.append(
                [AuditDraft(actor: "x", role: "admin", organisation: Self.haninge, action: "test", person: nil, channel: "test")], at: now, in: s)
        }
        let tokens = try await target.read { try await Rows.tokens(in: $0) }
        #expect(Set(tokens.map(\.id)).count == tokens.count)
        #expect(try await target.read { try await AuditLog.verify(in: $0) }.problem == nil)
        // Copying into a database that already holds data is refused, and changes nothing.
        await #expect(throws: StoreError.self) { _ = try await DatabaseCopy.copy(from: source, to: target) }
    }

    /// Another key on the target cannot verify the copied chain: the key travels with the
    /// installation (README).
    @Test func theChainNeedsTheSameKeyOnTheTarget() async throws {
        let source = try await Engine.sqlite.makeStore()
        let target = try await Engine.sqlite.makeStore(auditKey: AuditKey(hex: String(repeating: "11", count: 32))!)
        defer { Task { for store in [source, target] { try? await store.close() } } }
        try await source.transaction { s in
            try await AuditLog.append(
                [AuditDraft(actor: "x", role: "admin", organisation: nil, action: "test", person: nil, channel: "test")], at: Date(), in: s)
        }
        _ = try await DatabaseCopy.copy(from: source, to: target)
        #expect(try await target.read { try await AuditLog.verify(in: $0) }.problem == "entry 1 was changed after it was written")
    }
}
