import Foundation
import SamsparDomain

/// What decides whether a party may see another party's records, in SQL, beside the reads
/// that apply it (SPEC §2, *Consent*). Its Swift twin is ``Consent/isValid(on:)``; a test checks
/// both on every boundary day.
enum AccessSQL {
    /// True when registration `r` (and so every record its party keeps of that person) is
    /// visible to organisation `viewer` on `day`: it is the viewer's own, or the registering
    /// party recorded a consent naming the viewer that is valid on the day (from `valid_from`
    /// through `valid_until`, until the day it is withdrawn).
    static func visible(_ r: String, viewer: String, day: String) -> String {
        // Each condition is one decision, turned around one at a time by `scripts/mutants`.
        let own = Mutant.flips("sql.visible.own") ? "\(r).org_number <> \(viewer)" : "\(r).org_number = \(viewer)"
        let recorder = Mutant.flips("sql.visible.recorder") ? "1 = 1" : "c.org_number = \(r).org_number"
        let party = Mutant.flips("sql.visible.party") ? "1 = 1" : "c.party = \(viewer)"
        let from = Mutant.flips("sql.visible.validFrom") ? "1 = 1" : "c.valid_from <= \(day)"
        let until = Mutant.flips("sql.visible.validUntil") ? "1 = 1" : "(c.valid_until IS NULL OR c.valid_until >= \(day))"
        let withdrawn = Mutant.flips("sql.visible.withdrawn") ? "1 = 1" : "(c.withdrawn_on IS NULL OR c.withdrawn_on > \(day))"
        let consent = Mutant.flips("sql.visible.consent") ? "1 = 0" : "1 = 1"
        return """
            (\(own) OR (\(consent) AND EXISTS (SELECT 1 FROM consents c WHERE c.person_id = \(r).person_id \
            AND \(recorder) AND \(party) AND \(from) AND \(until) AND \(withdrawn))))
            """
    }

    /// A narrowing for an index, never a decision: registration `r` is of someone `viewer`
    /// registered, or of someone with a consent naming `viewer`. Every registration
    /// ``visible(_:viewer:day:)`` lets through is among these, so `candidates AND visible` is
    /// `visible`. Written as one list of people, not as `r.org_number = viewer OR r.person_id
    /// IN (…consents…)`: PostgreSQL cannot read such an `OR` by index, and scanned every
    /// registration of the country for a caseload (300–440 ms nationally, against 40–56 ms).
    static func candidates(_ r: String, viewer: String) -> String {
        // Named, so that `scripts/mutants` shows a test misses the people a consent opens.
        let consented = Mutant.flips("sql.candidates.consented") ? "" : " UNION ALL SELECT person_id FROM consents WHERE party = \(viewer)"
        return "\(r).person_id IN (SELECT person_id FROM registrations WHERE org_number = \(viewer)\(consented))"
    }
}

/// One participant as one organisation may see them: the registrations it may see (its own,
/// and others' under consent), each record marked with the party that made it.
public struct ParticipantView: Sendable {
    public var person: Personnummer
    /// The visible registrations, in precedence order (SPEC §2).
    public var registrations: [Registration]
    /// The person as the visible registrations describe them together (the rules of SPEC §2).
    public var merged: ParticipantRecord
    public var events: [Recorded<EventRecord>] = []
    public var statuses: [Recorded<StatusRecord>] = []
    public var activities: [Recorded<ActivityRecord>] = []
    /// The consents recorded by the visible parties.
    public var consents: [Consent] = []

    /// The viewer's own registration's reference when the viewer marked it protected (its
    /// pages link with it instead of the identity number).
    public var ownProtectedRef: String?
    /// The viewer's own registration is protected and no reason was given: every name is
    /// taken out, and pages show "Skyddad identitet" in place of the name and the number.
    public var identityHidden = false

    public init(person: Personnummer, registrations: [Registration], merged: ParticipantRecord) {
        self.person = person
        self.registrations = registrations
        self.merged = merged
    }

    /// The parties whose records are in the view.
    public var parties: [Organisationsnummer] { registrations.map(\.party) }
    /// The viewer's own registration is protected.
    public var isOwnProtected: Bool { ownProtectedRef != nil }
    /// What a page shows as the home municipality is withheld (it came only from another
    /// party's protected registration).
    public var municipalityWithheld: Bool { merged.municipality == .withheld }

    /// The view as `viewer` may see it (SPEC §2, *Protected identity*): another party's
    /// protected registration withheld (`withholdingOthers`), and, when the viewer's own
    /// registration is protected and `hidingOwn`, every name taken out. The operations layer
    /// decides both; the figures never read a view.
    public func shielded(for viewer: Organisationsnummer, hidingOwn: Bool, withholdingOthers: Bool) -> ParticipantView {
        var v = self
        let withheld = Set(registrations.filter { $0.isProtected && $0.party != viewer }.map(\.party))
        if withholdingOthers && !withheld.isEmpty {
            v.registrations = registrations.map { withheld.contains($0.party) ? ProtectedIdentity.withheld($0) : $0 }
            v.events = events.map { withheld.contains($0.recordedBy) ? Recorded(ProtectedIdentity.withheld($0.value), by: $0.recordedBy) : $0 }
            v.activities = activities.map {
                withheld.contains($0.recordedBy) ? Recorded(ProtectedIdentity.withheld($0.value), by: $0.recordedBy) : $0
            }
            v.merged = ProtectedIdentity.merge(v.registrations, asOf: Day(ordinal: Int32.max)) ?? merged
        }
        v.ownProtectedRef = registrations.first { $0.party == viewer }?.protectedRef
        if hidingOwn && v.ownProtectedRef != nil {
            v.identityHidden = true
            v.merged.givenName = nil
            v.merged.familyName = nil
            for i in v.registrations.indices {
                v.registrations[i].record.givenName = nil
                v.registrations[i].record.familyName = nil
            }
        }
        return v
    }
}

/// A record and the organisation that made it.
public struct Recorded<Value: Sendable>: Sendable {
    public var value: Value
    public var recordedBy: Organisationsnummer

    init(_ value: Value, by organisation: Organisationsnummer) {
        self.value = value
        self.recordedBy = organisation
    }
}

/// One participant's attribute on which their registrations disagree, as a coordinator may see it.
public struct Disagreement: Sendable {
    public var person: Personnummer
    public var attribute: String
    public var values: [(party: Organisationsnummer, value: String)]
    /// Every party whose registration of the person the viewer saw (the read's subjects).
    public var parties: [Organisationsnummer]
    /// The viewer's own registration of the person is protected: the list shows "Skyddad
    /// identitet" in place of the identity number.
    public var identityHidden = false
}

extension Rows {
    // MARK: Registrations and what a party may see of them

    /// The parties whose records of `person` `viewer` may see on `day`: its own registration,
    /// and that of every party whose valid consent names it. Empty: to `viewer` the person does
    /// not exist, whether or not anyone else holds them.
    static func visibleParties(
        of person: Personnummer, to viewer: Organisationsnummer, on day: Day, in s: any SQLSession
    ) async throws -> [Organisationsnummer] {
        try await s.query(
            "SELECT r.org_number FROM registrations r WHERE r.person_id = $1 AND \(AccessSQL.visible("r", viewer: "$2", day: "$3")) ORDER BY r.org_number",
            [.int(person.value), .int(viewer.value), .int(Int(day.ordinal))]
        ).compactMap { org($0["org_number"]) }
    }

    /// Whether `organisation` has registered `person` (the condition for recording anything
    /// of them, SPEC §2).
    static func hasRegistered(_ person: Personnummer, organisation: Organisationsnummer, in s: any SQLSession) async throws -> Bool {
        let own = Mutant.flips("sql.hasRegistered.own") ? "($2 = $2 OR 1 = 1)" : "org_number = $2"
        return
            !(try await s.query(
                "SELECT 1 AS x FROM registrations WHERE person_id = $1 AND \(own)", [.int(person.value), .int(organisation.value)]
            ).isEmpty)
    }

    static let registrationColumns = """
        r.person_id, r.org_number, o.kind, r.changed, r.given_name, r.family_name, r.sex, r.sex_explicit, r.municipality, r.first_permit_date, \
        r.registered_on, r.exited_on, r.exit_reason, r.upper_secondary_completed, r.education_level, r.protected_ref
        """

    static func registration(_ r: SQLRow) -> Registration? {
        guard let id = r["person_id"].int, let party = org(r["org_number"]), let permit = day(r["first_permit_date"]),
            let registered = day(r["registered_on"])
        else { return nil }
        let person = Personnummer(storedValue: id)
        return Registration(
            record: ParticipantRecord(
                person: person, givenName: r["given_name"].text, familyName: r["family_name"].text,
                explicitSex: r["sex_explicit"].int == 1 ? (r["sex"].int == 1 ? .male : .female) : nil,
                municipality: Kommunkod(storedValue: Int16(r["municipality"].int ?? 0)), firstPermitDate: permit, registeredOn: registered,
                exitedOn: day(r["exited_on"]), exitReason: r["exit_reason"].text, upperSecondaryCompleted: r["upper_secondary_completed"].int == 1,
                educationLevel: r["education_level"].text, protected: r["protected_ref"].text == nil ? nil : true),
            party: party, partyKind: r["kind"].text.flatMap(OrganisationKind.init(rawValue:)), changed: r["changed"].int ?? 0,
            protectedRef: r["protected_ref"].text)
    }

    /// The participant as `viewer` may see them on `day`: the registrations picked by the same
    /// decision as ``visibleParties(of:to:on:in:)`` (``AccessSQL/visible(_:viewer:day:)``), in
    /// the registrations' own query rather than one before it, and the records of exactly those
    /// registrations, each query reading the same `visible` set.
    static func participant(_ person: Personnummer, visibleTo viewer: Organisationsnummer, on day: Day, in s: any SQLSession) async throws
        -> ParticipantView?
    {
        let condition = "r.person_id = $1 AND \(AccessSQL.visible("r", viewer: "$2", day: "$3"))"
        // The person named first, so that each table is searched by its key (PostgreSQL
        // otherwise joined the whole table against the common table: half the reads per second).
        let chosen = "x.person_id = $1 AND (x.person_id, x.org_number) IN (SELECT person_id, org_number FROM visible)"
        let parts =
            [
                SQLPart(
                    select: registrationColumns, from: "registrations r LEFT JOIN organisations o ON o.org_number = r.org_number", where: condition,
                    order: "person_id")
            ] + recordParts.map { $0.restricted(to: chosen) }
        let answers = try await s.queryParts(
            visible: "SELECT r.person_id, r.org_number FROM registrations r WHERE \(condition)", parts,
            [.int(person.value), .int(viewer.value), .int(Int(day.ordinal))])
        return assemble(
            answers[0].compactMap(registration), events: answers[1], statuses: answers[2], activities: answers[3], consents: answers[4]
        ).first
    }

    /// Every participant `viewer` may see on `day`, each as ``participant(_:visibleTo:on:in:)``
    /// shows them (the caseworker's "Att göra" and the participant list of the web pages).
    /// The same decision, ``AccessSQL/visible(_:viewer:day:)``, picks the registrations.
    static func caseload(viewer: Organisationsnummer, on day: Day, in s: any SQLSession) async throws -> [ParticipantView] {
        // The first condition only narrows the search to what an index finds (the people the
        // viewer registered, and people with a consent naming the viewer); AccessSQL.visible
        // is what decides.
        try await views(
            where: "\(AccessSQL.candidates("r", viewer: "$1")) AND \(AccessSQL.visible("r", viewer: "$1", day: "$2"))",
            [.int(viewer.value), .int(Int(day.ordinal))], in: s)
    }

    /// The four kinds of record and the consents a view holds, in the order ``assemble`` takes
    /// them (`x` is the record's table).
    static let recordParts = [
        SQLPart(
            select: "x.person_id, t.agreement_id, t.code, x.kind, x.date, x.reason, x.org_number",
            from: "track_events x JOIN tracks t ON t.id = x.track_id", order: "person_id, date, code, kind, org_number"),
        SQLPart(select: "x.person_id, x.date, x.status, x.org_number", from: "status_changes x", order: "person_id, date, org_number"),
        SQLPart(
            select: "x.person_id, x.kind, x.start, x.end_date, x.hours_per_week, x.provider, x.org_number", from: "activities x",
            order: "person_id, start, kind, org_number"),
        SQLPart(
            select: "x.id, x.person_id, x.org_number, x.party, x.valid_from, x.valid_until, x.withdrawn_on", from: "consents x", order: "id"),
    ]

    /// The views of the registrations matching `condition` (on alias `r`), with the records and
    /// consents their parties keep, in identity-number order.
    static func views(where condition: String, _ binds: [SQLValue], in s: any SQLSession) async throws -> [ParticipantView] {
        let registrations = try await s.query(
            """
            SELECT \(registrationColumns) FROM registrations r LEFT JOIN organisations o ON o.org_number = r.org_number
            WHERE \(condition)
            """, binds
        ).compactMap(registration)
        guard !registrations.isEmpty else { return [] }
        // The records of exactly those registrations: fetched by person (the tables' keys
        // begin with it), in chunks, and kept where the party matches a chosen registration.
        let chosen = Set(registrations.map { PersonParty(person: $0.person.value, org: $0.party.value) })
        let people = Array(Set(registrations.map(\.person.value))).sorted()
        var answers: [[SQLRow]] = []
        for part in recordParts {
            var all: [SQLRow] = []
            var start = 0
            while start < people.count {
                // The identity numbers are bound, not written into the text: one statement
                // per chunk size, which SQLite's read path prepares once and reuses (issue 27).
                let chunk = people[start..<min(start + 5000, people.count)]
                let list = (1...chunk.count).map { "$\($0)" }.joined(separator: ",")
                all += try await s.query(part.restricted(to: "x.person_id IN (\(list))").sql, chunk.map { .int($0) }).filter { row in
                    guard let p = row["person_id"].int, let o = row["org_number"].int else { return false }
                    return chosen.contains(PersonParty(person: p, org: o))
                }
                start += 5000
            }
            answers.append(all)
        }
        return assemble(registrations, events: answers[0], statuses: answers[1], activities: answers[2], consents: answers[3])
    }

    /// The views of `registrations` from the rows of ``recordParts``, in identity-number order.
    static func assemble(
        _ registrations: [Registration], events eventRows: [SQLRow], statuses statusRows: [SQLRow], activities activityRows: [SQLRow],
        consents consentRows: [SQLRow]
    ) -> [ParticipantView] {
        guard !registrations.isEmpty else { return [] }
        var events: [Personnummer: [Recorded<EventRecord>]] = [:]
        for r in eventRows {
            guard let id = r["person_id"].int, let kind = r["kind"].int.flatMap({ TrackEventKind(code: UInt8($0)) }), let date = day(r["date"]),
                let by = org(r["org_number"])
            else { continue }
            let person = Personnummer(storedValue: id)
            events[person, default: []].append(
                Recorded(
                    EventRecord(
                        person: person, track: r["code"].text ?? "", kind: kind, date: date, reason: r["reason"].text, agreement: r["agreement_id"].text),
                    by: by))
        }
        var statuses: [Personnummer: [Recorded<StatusRecord>]] = [:]
        for r in statusRows {
            guard let id = r["person_id"].int, let status = r["status"].int.flatMap({ Outcome(code: UInt8($0)) }), let date = day(r["date"]),
                let by = org(r["org_number"])
            else { continue }
            let person = Personnummer(storedValue: id)
            statuses[person, default: []].append(Recorded(StatusRecord(person: person, status: status, date: date), by: by))
        }
        var activities: [Personnummer: [Recorded<ActivityRecord>]] = [:]
        for r in activityRows {
            guard let id = r["person_id"].int, let kind = r["kind"].text.flatMap(ActivityKind.init(rawValue:)), let start = day(r["start"]),
                let by = org(r["org_number"])
            else { continue }
            let person = Personnummer(storedValue: id)
            activities[person, default: []].append(
                Recorded(
                    ActivityRecord(
                        person: person, activity: kind, start: start, end: day(r["end_date"]), hoursPerWeek: r["hours_per_week"].real,
                        provider: r["provider"].text),
                    by: by))
        }
        var consents: [Personnummer: [Consent]] = [:]
        for row in consentRows {
            guard let id = row["id"].int, let personID = row["person_id"].int, let party = org(row["party"]), let from = day(row["valid_from"]),
                let by = org(row["org_number"])
            else { continue }
            let person = Personnummer(storedValue: personID)
            consents[person, default: []].append(
                Consent(
                    id: id, person: person, party: party, validFrom: from, validUntil: day(row["valid_until"]), withdrawnOn: day(row["withdrawn_on"]),
                    recordedBy: by))
        }
        return Dictionary(grouping: registrations, by: \.person).sorted { $0.key < $1.key }.compactMap { person, regs in
            let ordered = regs.sorted(by: Registrations.precedes)
            // The view describes the person as registered, even where a registration is dated later.
            guard let merged = Registrations.merge(ordered, asOf: Day(ordinal: Int32.max)) else { return nil }
            var view = ParticipantView(person: person, registrations: ordered, merged: merged)
            view.events = events[person] ?? []
            view.statuses = statuses[person] ?? []
            view.activities = activities[person] ?? []
            view.consents = consents[person] ?? []
            return view
        }
    }

    /// One search hit: the person as the viewer's visible registrations describe them.
    public struct SearchHit: Sendable {
        public var person: Personnummer
        public var merged: ParticipantRecord
        public var parties: [Organisationsnummer]
        /// The visible registrations the hit was merged from, in precedence order.
        public var registrations: [Registration] = []
        /// The viewer's own registration is protected and the caller gave no reason (the
        /// operations layer's decision): names are out, and so is the identity number unless
        /// the search named it.
        public var identityHidden = false
    }

    /// One page of the participants `viewer` may see on `day`, found by identity number
    /// (exact) or by name (a case-insensitive part of a visible registration's given or
    /// family name), ordered by identity number.
    ///
    /// A protected registration's names are not searched (SPEC §2): a search by name would
    /// tell whoever finds the person what they are called. `ownProtectedNames` lets the
    /// viewer's own protected registrations be found by name (a case system's token).
    static func searchParticipants(
        viewer: Organisationsnummer, person: Personnummer?, name: String?, on day: Day, limit: Int, offset: Int, ownProtectedNames: Bool = false,
        in s: any SQLSession
    ) async throws -> [SearchHit] {
        var conditions = [AccessSQL.visible("r", viewer: "$1", day: "$2")]
        var binds: [SQLValue] = [.int(viewer.value), .int(Int(day.ordinal))]
        if let person {
            binds.append(.int(person.value))
            conditions.append("r.person_id = $\(binds.count)")
        }
        if let name, !name.isEmpty {
            binds.append(.text("%" + name.lowercased() + "%"))
            conditions.append("(lower(r.given_name) LIKE $\(binds.count) OR lower(r.family_name) LIKE $\(binds.count))")
            conditions.append(ownProtectedNames ? "(r.protected_ref IS NULL OR r.org_number = $1)" : "r.protected_ref IS NULL")
        }
        binds.append(.int(limit))
        binds.append(.int(offset))
        let persons = try await s.query(
            """
            SELECT DISTINCT r.person_id FROM registrations r
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY r.person_id LIMIT $\(binds.count - 1) OFFSET $\(binds.count)
            """, binds
        ).compactMap { $0["person_id"].int }
        guard !persons.isEmpty else { return [] }
        let rows = try await s.query(
            """
            SELECT \(registrationColumns) FROM registrations r LEFT JOIN organisations o ON o.org_number = r.org_number
            WHERE r.person_id IN (\((3...persons.count + 2).map { "$\($0)" }.joined(separator: ","))) AND \(AccessSQL.visible("r", viewer: "$1", day: "$2"))
            """, [.int(viewer.value), .int(Int(day.ordinal))] + persons.map { .int($0) }
        ).compactMap(registration)
        let byPerson = Dictionary(grouping: rows, by: \.person)
        return persons.compactMap { id in
            let person = Personnummer(storedValue: id)
            guard let regs = byPerson[person], let merged = Registrations.merge(regs, asOf: Day(ordinal: Int32.max)) else { return nil }
            return SearchHit(person: person, merged: merged, parties: regs.map(\.party).sorted(), registrations: regs.sorted(by: Registrations.precedes))
        }
    }

    /// Where registrations of one person disagree (SPEC §2, issue 7), among the people `viewer`
    /// may see at least two registrations of that day: for every attribute, how many of them
    /// disagree on it, and the values by party.
    ///
    /// `withholdingProtected`: every protected registration is withheld before it is compared
    /// (SPEC §2): another party's as consent carries it, the viewer's own because a list shows
    /// a protected person as "Skyddad identitet" (``Disagreement/identityHidden``).
    static func disagreements(viewer: Organisationsnummer, on day: Day, withholdingProtected: Bool = true, in s: any SQLSession) async throws -> (
        counts: [String: Int], visible: [Disagreement]
    ) {
        let rows = try await s.query(
            """
            SELECT \(registrationColumns), CASE WHEN \(AccessSQL.visible("r", viewer: "$1", day: "$2")) THEN 1 ELSE 0 END AS visible
            FROM registrations r LEFT JOIN organisations o ON o.org_number = r.org_number
            WHERE r.person_id IN (SELECT person_id FROM registrations GROUP BY person_id HAVING count(*) > 1)
            ORDER BY r.person_id
            """, [.int(viewer.value), .int(Int(day.ordinal))])
        var grouped: [(person: Personnummer, all: [Registration], visible: [Registration])] = []
        for row in rows {
            guard let registration = registration(row) else { continue }
            if grouped.last?.person != registration.person { grouped.append((registration.person, [], [])) }
            grouped[grouped.count - 1].all.append(registration)
            if row["visible"].int == 1 { grouped[grouped.count - 1].visible.append(registration) }
        }
        var counts: [String: Int] = [:]
        var visible: [Disagreement] = []
        for g in grouped {
            // Counted and shown only from the registrations the viewer may see that day (SPEC
            // §3, issue 17): a count for everyone else would move when another party's
            // records change, and tell the viewer who else holds a person.
            let compared = (Mutant.flips("disagreements.visibleOnly") ? g.all : g.visible).map {
                withholdingProtected && $0.isProtected ? ProtectedIdentity.withheld($0) : $0
            }
            let hidden = g.visible.contains { $0.party == viewer && $0.isProtected }
            for d in Registrations.disagreements(compared) {
                counts[d.attribute, default: 0] += 1
                visible.append(
                    Disagreement(person: g.person, attribute: d.attribute, values: d.values, parties: g.visible.map(\.party), identityHidden: hidden))
            }
        }
        return (counts, visible)
    }
}
