import Crypto
import Foundation
import SamsparDomain

/// Migration 6 (issue 17): the quarters' closes, and which close a publication makes public.
/// Both engines run the same statements with their own type names.
enum CloseMigration {
    static func statements(bigint: String) -> [String] {
        [
            """
            CREATE TABLE quarter_closes (
                agreement_id TEXT NOT NULL REFERENCES agreements(id),
                quarter TEXT NOT NULL,
                year INTEGER NOT NULL,
                as_of INTEGER NOT NULL,
                agreement_version INTEGER NOT NULL,
                threshold INTEGER NOT NULL,
                unsuppressed TEXT NOT NULL,
                unsuppressed_hash TEXT NOT NULL,
                suppressed TEXT NOT NULL,
                suppressed_hash TEXT NOT NULL,
                made_at TEXT NOT NULL,
                PRIMARY KEY (agreement_id, quarter)
            )
            """,
            // A publication made since closes exist names the close it made public; one made
            // before keeps NULL (it was computed at its own as-of, README says how it differs).
            "ALTER TABLE published_reports ADD COLUMN quarter TEXT",
        ]
    }
}

/// A quarter's close (SPEC §3): the quarter's report, computed once from one snapshot and
/// stored in two forms, each byte for byte with its SHA-256; it never changes after.
public struct QuarterClose: Sendable, Equatable {
    public var agreementID: String
    public var quarter: Quarter
    public var agreementVersion: Int
    /// The suppression threshold of the moment it was made.
    public var threshold: Int
    public var unsuppressed: String
    public var unsuppressedHash: String
    public var suppressed: String
    public var suppressedHash: String
    public var madeAt: String

    public var year: Int { quarter.year }
    public var asOf: Day { quarter.lastDay }

    /// The close as a list of what was made names it: its hashes, without its two documents.
    public var withoutDocuments: QuarterClose {
        var close = self
        close.unsuppressed = ""
        close.suppressed = ""
        return close
    }

    /// The form and its hash: unsuppressed or suppressed.
    public func form(suppressed hidden: Bool) -> (document: String, hash: String) {
        hidden ? (suppressed, suppressedHash) : (unsuppressed, unsuppressedHash)
    }

    /// A close of these two documents, each hashed.
    public init(agreementID: String, quarter: Quarter, agreementVersion: Int, threshold: Int, unsuppressed: String, suppressed: String, madeAt: String) {
        self.agreementID = agreementID
        self.quarter = quarter
        self.agreementVersion = agreementVersion
        self.threshold = threshold
        self.unsuppressed = unsuppressed
        self.suppressed = suppressed
        self.unsuppressedHash = Digest.sha256(unsuppressed)
        self.suppressedHash = Digest.sha256(suppressed)
        self.madeAt = madeAt
    }
}

/// One snapshot of what a close is computed from: every registration's facts of the
/// agreement's population as of the quarter's last day, the activities, and for every
/// organisation that holds registrations the registrations it may see at that moment.
public struct CloseSnapshot: Sendable {
    public var facts: [RegisteredFacts]
    public var activities: [ActivitySpan]
    /// Per organisation holding registrations: the registrations (person, party) it may see
    /// of the population: its own, and those a consent valid that day opens to it.
    public var visible: [Organisationsnummer: Set<PersonParty>]

    /// The visible registrations of `facts`' parties, every registering organisation (none
    /// visible to one that holds none of the population) and the `consented` registrations.
    static func visible(
        _ facts: [RegisteredFacts], organisations: [Organisationsnummer], consented: [(Organisationsnummer, PersonParty)]
    ) -> [Organisationsnummer: Set<PersonParty>] {
        // Each party's registrations gathered first, by its place among the population's few
        // parties, and each set then made at its size: a lookup in the dictionary per
        // registration and sets grown one by one were 4% of a national close run (issue 27).
        var parties: [Organisationsnummer] = []
        var members: [[PersonParty]] = []
        var last = -1
        // By index: `for f in facts` copies each registration with its arrays (retains) to read
        // two numbers (issue 27: 2.6% of a national close run).
        for i in facts.indices {
            let party = facts[i].registration.party
            if last < 0 || parties[last] != party {
                if let found = parties.firstIndex(of: party) {
                    last = found
                } else {
                    last = parties.count
                    parties.append(party)
                    members.append([])
                }
            }
            members[last].append(PersonParty(person: facts[i].registration.record.person.value, org: party.value))
        }
        var visible: [Organisationsnummer: Set<PersonParty>] = [:]
        visible.reserveCapacity(organisations.count + parties.count)
        for org in organisations { visible[org] = [] }
        for k in parties.indices { visible[parties[k]] = Set(members[k]) }
        for (viewer, registration) in consented where visible[viewer] != nil { visible[viewer]!.insert(registration) }
        return visible
    }

    /// `read` as the store's report loader and activity query read it for `quarter` alone
    /// (``ReportQuery``, ``SamsparStore/activitySpans(for:year:asOf:)``): the people with a
    /// registration in one of the agreement's municipalities made by the quarter's last day,
    /// their registrations made by then, their events and status changes dated by then; the
    /// activities of the quarter's year up to that day, of registrations made by then.
    static func cut(_ read: CloseRead, to quarter: Quarter) -> CloseSnapshot {
        let asOf = quarter.lastDay
        // Each rule one decision, turned around by `scripts/mutants` (CloseCutTests catch them).
        let anywhere = Mutant.flips("close.cutPopulation")
        let undated = Mutant.flips("close.cutDated")
        // Person by person (the read is in identity-number order): a person is in the
        // population when one of their registrations made by then names one of the agreement's
        // municipalities, and then each of their registrations made by then is in the snapshot.
        // No set of the population: hashing a million numbers per quarter was a tenth of the cut.
        let all = RegisteredFacts.inPersonOrder(read.facts)
        var facts: [RegisteredFacts] = []
        var start = all.startIndex
        while start < all.endIndex {
            var end = start + 1
            while end < all.endIndex && all[end].registration.record.person == all[start].registration.record.person { end += 1 }
            let inPopulation = (start..<end).contains { i in
                let record = all[i].registration.record
                return record.registeredOn <= asOf && (anywhere || read.municipalities.contains(record.municipality.value))
            }
            if inPopulation {
                for i in start..<end where all[i].registration.record.registeredOn <= asOf { facts.append(undated ? all[i] : all[i].asOf(asOf)) }
            }
            start = end
        }
        let first = Day.firstOfYear(quarter.year)
        let last = min(Day.lastOfYear(quarter.year), asOf)
        let activities = read.activities.compactMap { dated -> ActivitySpan? in
            let span = dated.span
            guard dated.registeredOn <= asOf, span.start <= last, span.end.map({ $0 >= first }) ?? true else { return nil }
            return span
        }
        return CloseSnapshot(facts: facts, activities: activities, visible: visible(facts, organisations: read.organisations, consented: read.consented))
    }
}

/// The snapshots of several quarters' closes from one read
/// (``SamsparStore/closeSnapshots(for:quarters:on:)``), each cut when it is asked for: a
/// national first start makes 35 quarters of an agreement from one read, and holding all 35
/// cuts at once (each with its own array of facts and visible sets) was most of the close
/// run's gigabyte (issue 27).
public struct CloseSnapshots: Sendable, RandomAccessCollection {
    let read: CloseRead
    /// The quarters, in the order they were asked for.
    public let quarters: [Quarter]

    public var startIndex: Int { quarters.startIndex }
    public var endIndex: Int { quarters.endIndex }
    public subscript(position: Int) -> CloseSnapshot { CloseSnapshot.cut(read, to: quarters[position]) }
}

/// One read for several quarters' closes (``SamsparStore/closeSnapshots(for:quarters:on:)``).
struct CloseRead: Sendable {
    var municipalities: Set<Int16>
    var facts: [RegisteredFacts]
    var activities: [(span: ActivitySpan, registeredOn: Day)]
    var organisations: [Organisationsnummer]
    var consented: [(Organisationsnummer, PersonParty)]
}

extension SamsparStore {
    /// Every stored close of an agreement, oldest quarter first.
    public func closes(agreementID: String) async throws -> [QuarterClose] {
        try await read { try await CloseRows.all(agreementID: agreementID, in: $0) }
    }

    /// The quarters of an agreement that have a stored close, oldest first: without their
    /// documents (35 closes of a national agreement are about 1.2 MB of JSON, read before
    /// only to learn which quarters were made).
    public func closedQuarters(agreementID: String) async throws -> [Quarter] {
        try await read { s in
            try await s.query("SELECT quarter FROM quarter_closes WHERE agreement_id = $1 ORDER BY year, quarter", [.text(agreementID)])
                .compactMap { $0["quarter"].text.flatMap { Quarter($0) } }
        }
    }

    public func close(agreementID: String, quarter: Quarter) async throws -> QuarterClose? {
        try await read { try await CloseRows.all(agreementID: agreementID, quarter: quarter, in: $0).first }
    }

    /// Stores `close` unless one of its agreement and quarter is stored already (another
    /// instance made it first): the stored one is returned, and `audit` written only with a
    /// new one.
    public func storeClose(_ close: QuarterClose, audit: AuditDraft, at now: Date) async throws -> (close: QuarterClose, made: Bool) {
        try await transaction { s in
            if let existing = try await CloseRows.all(agreementID: close.agreementID, quarter: close.quarter, in: s).first { return (existing, false) }
            let inserted = try await s.query(
                """
                INSERT INTO quarter_closes (agreement_id, quarter, year, as_of, agreement_version, threshold, unsuppressed, unsuppressed_hash,
                    suppressed, suppressed_hash, made_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (agreement_id, quarter) DO NOTHING RETURNING quarter
                """,
                [
                    .text(close.agreementID), .text(close.quarter.description), .int(close.year), .int(Int(close.asOf.ordinal)),
                    .int(close.agreementVersion), .int(close.threshold), .text(close.unsuppressed), .text(close.unsuppressedHash),
                    .text(close.suppressed), .text(close.suppressedHash), .text(close.madeAt),
                ])
            guard !inserted.isEmpty else {
                guard let existing = try await CloseRows.all(agreementID: close.agreementID, quarter: close.quarter, in: s).first else {
                    throw StoreError.unknownAgreement(close.agreementID)
                }
                return (existing, false)
            }
            try await AuditLog.append([audit], at: now, in: s)
            return (close, true)
        }
    }

    /// The snapshots of several quarters' closes of one version of an agreement, from one read
    /// as of the last of them (issue 27): the closes due at a national database's first start
    /// are 35 quarters of 97 agreements, and reading each quarter's population anew took 0.35 s
    /// a close, 20 minutes in all. Each quarter's snapshot is the one read cut as the loaders
    /// would have read it for that quarter alone (``CloseSnapshot/cut(_:to:)``): the same
    /// population, registrations, facts, activities and visible registrations.
    ///
    /// The read is one snapshot: read, then read again while a write landed in between. Every
    /// write appends to the audit log in its own transaction, so the entries appended while the
    /// closes were read tell: only reads (and other acts that change no fact a close counts)
    /// leave the snapshot good. Found by the soak (issue 21): with any audited read in between,
    /// a busy server never made its closes.
    ///
    /// `whileReading` runs after each attempt's read and before its check: a test's way of
    /// landing an act inside the window for certain (the server passes nothing).
    public func closeSnapshots(
        for agreement: Agreement, quarters: [Quarter], on day: Day, whileReading: (@Sendable () async throws -> Void)? = nil
    ) async throws -> CloseSnapshots {
        guard let last = quarters.map(\.lastDay).max(), let firstYear = quarters.map(\.year).min() else {
            return CloseSnapshots(read: CloseRead(municipalities: [], facts: [], activities: [], organisations: [], consented: []), quarters: [])
        }
        for _ in 0..<5 {
            let before = try await auditHead()
            // In identity-number order once, so that none of the cuts' reports sorts again
            // (sorting was a tenth of a national close run, five or six times a close). The
            // loaders' halves already come merged in order; a read in one piece may not.
            let facts = RegisteredFacts.inPersonOrder(try await reportFacts(for: agreement, asOf: last))
            let activities = try await datedActivitySpans(for: agreement, from: firstYear, asOf: last)
            let (organisations, consented) = try await read { s in
                (try await Rows.registeringOrganisations(in: s), try await Rows.consentedRegistrations(on: day, in: s))
            }
            try await whileReading?()
            let appended = try await read { s in
                try await s.query("SELECT action FROM audit_log WHERE seq > $1", [.int(before.count)]).compactMap { $0["action"].text }
            }
            if Mutant.flips("close.readsMoveNothing") ? appended.isEmpty : appended.allSatisfy(AuditLog.changesNoFact.contains) {
                let read = CloseRead(
                    municipalities: Set(agreement.municipalities.map(\.value)), facts: facts, activities: activities, organisations: organisations,
                    consented: consented)
                return CloseSnapshots(read: read, quarters: quarters)
            }
        }
        throw StoreError.cannotOpen("snapshot", reason: "writes kept landing while the closes were read; they will be made on the next round")
    }

    /// The registrations (person, party) `viewer` may see on `day` (SPEC §2, *Consent*): the
    /// decision is ``AccessSQL/visible(_:viewer:day:)``, the same as every personal read's.
    public func visibleRegistrations(to viewer: Organisationsnummer, on day: Day) async throws -> Set<PersonParty> {
        try await read { try await Rows.visibleRegistrations(to: viewer, on: day, in: $0) }
    }

    /// Whether `organisation` holds any registration (SPEC §3: a coordinator of one that holds
    /// none may see joint figures live).
    public func holdsRegistrations(_ organisation: Organisationsnummer) async throws -> Bool {
        try await read { s in
            !(try await s.query("SELECT 1 AS x FROM registrations WHERE org_number = $1 LIMIT 1", [.int(organisation.value)]).isEmpty)
        }
    }
}

extension Rows {
    static func visibleRegistrations(to viewer: Organisationsnummer, on day: Day, in s: any SQLSession) async throws -> Set<PersonParty> {
        let rows = try await s.query(
            """
            SELECT r.person_id, r.org_number FROM registrations r
            WHERE \(AccessSQL.candidates("r", viewer: "$1")) AND \(AccessSQL.visible("r", viewer: "$1", day: "$2"))
            """, [.int(viewer.value), .int(Int(day.ordinal))])
        var result = Set<PersonParty>(minimumCapacity: rows.count)
        for row in rows {
            if let person = row["person_id"].int, let org = row["org_number"].int { result.insert(PersonParty(person: person, org: org)) }
        }
        return result
    }

    /// Every registration another party's consent opens on `day`, with that party: the decision
    /// is ``AccessSQL/visible(_:viewer:day:)`` with the consent's party as the viewer.
    static func consentedRegistrations(on day: Day, in s: any SQLSession) async throws -> [(Organisationsnummer, PersonParty)] {
        try await s.query(
            """
            SELECT DISTINCT c0.party, r.person_id, r.org_number FROM consents c0 JOIN registrations r ON r.person_id = c0.person_id
            WHERE r.org_number <> c0.party AND \(AccessSQL.visible("r", viewer: "c0.party", day: "$1"))
            """, [.int(Int(day.ordinal))]
        ).compactMap { row in
            guard let viewer = org(row["party"]), let person = row["person_id"].int, let party = row["org_number"].int else { return nil }
            return (viewer, PersonParty(person: person, org: party))
        }
    }

    static func registeringOrganisations(in s: any SQLSession) async throws -> [Organisationsnummer] {
        // One index probe per organisation of the registry (registrations_by_org), not a scan
        // of every registration: a close at national scale asks this for each quarter.
        try await s.query(
            "SELECT o.org_number FROM organisations o WHERE EXISTS (SELECT 1 FROM registrations r WHERE r.org_number = o.org_number) ORDER BY o.org_number"
        ).compactMap { org($0["org_number"]) }
    }
}

enum CloseRows {
    static let columns =
        "agreement_id, quarter, agreement_version, threshold, unsuppressed, unsuppressed_hash, suppressed, suppressed_hash, made_at"

    static func row(_ r: SQLRow) -> QuarterClose? {
        guard let agreement = r["agreement_id"].text, let q = r["quarter"].text.flatMap({ Quarter($0) }), let version = r["agreement_version"].int,
            let threshold = r["threshold"].int, let u = r["unsuppressed"].text, let uh = r["unsuppressed_hash"].text, let sup = r["suppressed"].text,
            let sh = r["suppressed_hash"].text, let at = r["made_at"].text
        else { return nil }
        var close = QuarterClose(
            agreementID: agreement, quarter: q, agreementVersion: Int(version), threshold: Int(threshold), unsuppressed: u, suppressed: sup, madeAt: at)
        // As stored: the hashes were taken when it was made.
        (close.unsuppressedHash, close.suppressedHash) = (uh, sh)
        return close
    }

    static func all(agreementID: String, quarter: Quarter? = nil, in s: any SQLSession) async throws -> [QuarterClose] {
        if let quarter {
            return try await s.query(
                "SELECT \(columns) FROM quarter_closes WHERE agreement_id = $1 AND quarter = $2", [.text(agreementID), .text(quarter.description)]
            ).compactMap(row)
        }
        return try await s.query("SELECT \(columns) FROM quarter_closes WHERE agreement_id = $1 ORDER BY year, quarter", [.text(agreementID)])
            .compactMap(row)
    }
}
