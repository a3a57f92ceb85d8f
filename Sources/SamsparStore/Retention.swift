import Crypto
import Foundation
import SamsparDomain

/// An organisation's retention period and the reference of the decision behind it (SPEC §2
/// *Retention*; the operator's `samspar org update --retention-years N --retention-decision TEXT`).
public struct RetentionSetting: Sendable, Equatable, CustomStringConvertible {
    public var years: Int
    /// The retention decision (gallringsbeslut) as the organisation refers to it, for example
    /// "KS 2024/118 § 12".
    public var decision: String

    public init(years: Int, decision: String) {
        self.years = years
        self.decision = decision
    }

    /// "5 years under KS 2024/118 § 12".
    public var description: String { "\(years) year\(years == 1 ? "" : "s") under \(decision)" }
}

/// What a retention run would remove, per organisation (`samspar retention plan`).
public struct RetentionPlan: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        /// `registrations`, `track events`, `status changes`, `activities`, `consents`.
        public var kind: String
        public var count: Int
        /// The oldest date among them (for a registration: its registration date).
        public var oldest: Day?
    }

    public struct Line: Sendable, Equatable {
        public var organisation: Organisationsnummer
        public var name: String
        /// `nil`: the organisation has no retention decision, and nothing of it is removed.
        public var setting: RetentionSetting?
        public var parts: [Part]
        /// The registrations due, in identity-number order (never shown: the run's input).
        var due: [Int64]

        public var registrations: Int { parts.first?.count ?? 0 }
    }

    public var today: Day
    public var lines: [Line]
}

/// What a removal took away, by kind, for the audit entry and the operator.
public struct Removal: Sendable, Equatable {
    public var registrations = 0
    public var trackEvents = 0
    public var statusChanges = 0
    public var activities = 0
    public var consents = 0
    /// Stored idempotent answers that named a removed person.
    public var storedAnswers = 0
    /// Audit entries whose person was removed (their digest stays), and registrations an entry
    /// touched that were removed (their digests stay).
    public var auditPeople = 0
    public var auditSubjects = 0
    /// The years whose live figures counted what went: from the earliest registration date to
    /// the latest date that counted (``Retention/latest(_:today:)``).
    public var years: ClosedRange<Int>? = nil

    public init() {}

    public var summary: String {
        "registrations \(registrations), track events \(trackEvents), status changes \(statusChanges), activities \(activities), consents \(consents)"
    }
}

enum RetentionRows {
    static func setting(_ org: Organisationsnummer, in s: any SQLSession) async throws -> RetentionSetting? {
        let row = try await s.query("SELECT retention_years, retention_decision FROM organisations WHERE org_number = $1", [.int(org.value)]).first
        guard let years = row?["retention_years"].int, let decision = row?["retention_decision"].text else { return nil }
        return RetentionSetting(years: Int(years), decision: decision)
    }

    static func setSetting(_ org: Organisationsnummer, _ setting: RetentionSetting, in s: any SQLSession) async throws {
        try await s.query(
            "UPDATE organisations SET retention_years = $1, retention_decision = $2 WHERE org_number = $3",
            [.int(Int64(setting.years)), .text(setting.decision), .int(org.value)])
    }

    /// The plan for the organisations given (all when empty), as of `today`.
    static func plan(for only: Organisationsnummer?, today: Day, in s: any SQLSession) async throws -> RetentionPlan {
        var lines: [RetentionPlan.Line] = []
        var binds: [SQLValue] = []
        var condition = ""
        if let only {
            binds.append(.int(only.value))
            condition = " WHERE org_number = $1"
        }
        for row in try await s.query(
            "SELECT org_number, name, retention_years, retention_decision FROM organisations\(condition) ORDER BY org_number", binds)
        {
            guard let number = row["org_number"].int else { continue }
            let org = Organisationsnummer(storedValue: number)
            let name = row["name"].text ?? ""
            guard let years = row["retention_years"].int, let decision = row["retention_decision"].text else {
                lines.append(.init(organisation: org, name: name, setting: nil, parts: [], due: []))
                continue
            }
            let setting = RetentionSetting(years: Int(years), decision: decision)
            let due = try await dueRegistrations(of: org, years: setting.years, today: today, in: s)
            lines.append(.init(organisation: org, name: name, setting: setting, parts: try await parts(of: org, due: due, in: s), due: due))
        }
        return RetentionPlan(today: today, lines: lines)
    }

    /// The registrations of `org` due on `today` (SPEC §2), by the rule in ``Retention``.
    static func dueRegistrations(of org: Organisationsnummer, years: Int, today: Day, in s: any SQLSession) async throws -> [Int64] {
        let rows = try await s.query(
            """
            SELECT r.person_id, r.registered_on, r.exited_on,
                   (SELECT max(e.date) FROM track_events e WHERE e.person_id = r.person_id AND e.org_number = r.org_number) AS latest_event,
                   (SELECT max(c.date) FROM status_changes c WHERE c.person_id = r.person_id AND c.org_number = r.org_number) AS latest_status,
                   (SELECT max(a.start) FROM activities a WHERE a.person_id = r.person_id AND a.org_number = r.org_number) AS latest_start,
                   (SELECT max(a.end_date) FROM activities a WHERE a.person_id = r.person_id AND a.org_number = r.org_number) AS latest_end,
                   (SELECT count(*) FROM activities a WHERE a.person_id = r.person_id AND a.org_number = r.org_number AND a.end_date IS NULL) AS open
            FROM registrations r WHERE r.org_number = $1 ORDER BY r.person_id
            """, [.int(org.value)])
        var due: [Int64] = []
        for row in rows {
            guard let person = row["person_id"].int, let registered = Rows.day(row["registered_on"]) else { continue }
            let records = ["latest_event", "latest_status", "latest_start", "latest_end"].compactMap { Rows.day(row[$0]) }
            let dates = Retention.Dates(
                registeredOn: registered, exitedOn: Rows.day(row["exited_on"]), latestRecord: records.max(), openActivity: (row["open"].int ?? 0) > 0)
            if Retention.isDue(dates, years: years, today: today) { due.append(person) }
        }
        return due
    }

    /// How much of each kind the due registrations hold, and the oldest date of each.
    static func parts(of org: Organisationsnummer, due: [Int64], in s: any SQLSession) async throws -> [RetentionPlan.Part] {
        var counts: [(String, Int, Day?)] = [
            ("registrations", 0, nil), ("track events", 0, nil), ("status changes", 0, nil), ("activities", 0, nil), ("consents", 0, nil),
        ]
        let queries = [
            "SELECT count(*) AS n, min(registered_on) AS oldest FROM registrations",
            "SELECT count(*) AS n, min(date) AS oldest FROM track_events",
            "SELECT count(*) AS n, min(date) AS oldest FROM status_changes",
            "SELECT count(*) AS n, min(start) AS oldest FROM activities",
            "SELECT count(*) AS n, min(valid_from) AS oldest FROM consents",
        ]
        for chunk in due.chunked(500) {
            let list = chunk.map(String.init).joined(separator: ", ")
            for (i, query) in queries.enumerated() {
                let row = try await s.query("\(query) WHERE org_number = $1 AND person_id IN (\(list))", [.int(org.value)]).first
                counts[i].1 += Int(row?["n"].int ?? 0)
                if let oldest = row.flatMap({ Rows.day($0["oldest"]) }) { counts[i].2 = [counts[i].2, oldest].compactMap { $0 }.min() }
            }
        }
        return counts.map { RetentionPlan.Part(kind: $0.0, count: $0.1, oldest: $0.2) }
    }

    /// Removes registrations with everything that names them (SPEC §2): their records and
    /// consents, the stored idempotent answers naming the person, and in the audit log the
    /// identity of every subject row of theirs and of every entry whose person no longer has a
    /// registration it touched (the digests stay, so the chain still verifies). In the
    /// caller's transaction.
    /// Notes which years' live figures a removal changed, for the dashboard.
    static func noteEffect(_ removal: Removal, of org: Int64, today: Day, in s: any SQLSession) async throws {
        guard let years = removal.years, removal.registrations > 0 else { return }
        try await s.query(
            "INSERT INTO retention_effects (org_number, ran_on, first_year, last_year) VALUES ($1, $2, $3, $4)",
            [.int(org), .int(Int64(today.ordinal)), .int(Int64(years.lowerBound)), .int(Int64(years.upperBound))])
    }

    static func remove(_ registrations: [PersonParty], today: Day, in s: any SQLSession) async throws -> Removal {
        var removal = Removal()
        var touched: [Int64: Set<Int64>] = [:]  // person → entries that touched a removed registration of theirs
        var removedBy: [Int64: Set<Int64>] = [:]  // person → the organisations whose registration went
        for r in registrations {
            let binds: [SQLValue] = [.int(r.person), .int(r.org)]
            let dates = try await s.query(
                """
                SELECT r.registered_on, r.exited_on,
                       (SELECT max(e.date) FROM track_events e WHERE e.person_id = r.person_id AND e.org_number = r.org_number) AS latest_event,
                       (SELECT max(c.date) FROM status_changes c WHERE c.person_id = r.person_id AND c.org_number = r.org_number) AS latest_status,
                       (SELECT max(a.start) FROM activities a WHERE a.person_id = r.person_id AND a.org_number = r.org_number) AS latest_start,
                       (SELECT max(a.end_date) FROM activities a WHERE a.person_id = r.person_id AND a.org_number = r.org_number) AS latest_end
                FROM registrations r WHERE r.person_id = $1 AND r.org_number = $2
                """, binds)
            guard let row = dates.first, let registered = Rows.day(row["registered_on"]) else { continue }
            let latest = Retention.latest(
                .init(
                    registeredOn: registered, exitedOn: Rows.day(row["exited_on"]),
                    latestRecord: ["latest_event", "latest_status", "latest_start", "latest_end"].compactMap { Rows.day(row[$0]) }.max()), today: today)
            // Counted as active from its registration through its exit, or through today.
            let through = max(latest.year, Rows.day(row["exited_on"])?.year ?? today.year)
            let span = registered.year...max(registered.year, through)
            removal.years = removal.years.map { min($0.lowerBound, span.lowerBound)...max($0.upperBound, span.upperBound) } ?? span
            removal.trackEvents += try await s.query(
                "DELETE FROM track_events WHERE person_id = $1 AND org_number = $2 RETURNING person_id", binds
            ).count
            removal.statusChanges += try await s.query(
                "DELETE FROM status_changes WHERE person_id = $1 AND org_number = $2 RETURNING person_id", binds
            ).count
            removal.activities += try await s.query("DELETE FROM activities WHERE person_id = $1 AND org_number = $2 RETURNING person_id", binds).count
            removal.consents += try await s.query("DELETE FROM consents WHERE person_id = $1 AND org_number = $2 RETURNING person_id", binds).count
            try await s.query("DELETE FROM registrations WHERE person_id = $1 AND org_number = $2", binds)
            removal.registrations += 1
            let seqs = try await removeSubjects(person: r.person, org: r.org, in: s)
            removal.auditSubjects += seqs.count
            touched[r.person, default: []].formUnion(seqs)
            removedBy[r.person, default: []].insert(r.org)
        }
        for (person, seqs) in touched.sorted(by: { $0.key < $1.key }) {
            let held = Mutant.decide(
                "retention.keepWhileHeld", !(try await s.query("SELECT 1 AS x FROM registrations WHERE person_id = $1 LIMIT 1", [.int(person)]).isEmpty))
            var entries: [SQLRow]
            if held {
                // The person stays (another registration): entries keep them while they name a
                // registration of theirs that remains.
                entries = []
                for chunk in seqs.sorted().chunked(500) {
                    entries += try await s.query(
                        """
                        SELECT seq, person_salt FROM audit_log WHERE person_id = $1 AND seq IN (\(chunk.map(String.init).joined(separator: ", ")))
                          AND NOT EXISTS (SELECT 1 FROM audit_subjects x WHERE x.seq = audit_log.seq AND x.person_id = $1)
                        """, [.int(person)])
                }
            } else {
                // Nothing of the person remains: no entry, and no subject row, names them.
                for row in try await s.query(
                    "SELECT org_number FROM audit_subjects WHERE person_id = $1 UNION SELECT org_number FROM audit_previous WHERE person_id = $1",
                    [.int(person)])
                {
                    if let org = row["org_number"].int { removal.auditSubjects += try await removeSubjects(person: person, org: org, in: s).count }
                }
                entries = try await s.query("SELECT seq, person_salt FROM audit_log WHERE person_id = $1", [.int(person)])
            }
            // A stored answer naming the person may hold the removed records. While another
            // party still holds the person, only the removing party's own answers go (a principal
            // is `actor@ORGNR`): another party's retries must not change because of this one's.
            let naming: [SQLValue] = [.text("%\(Personnummer(storedValue: person))%"), .text("%\(person)%")]
            if held {
                for org in (removedBy[person] ?? []).sorted() {
                    removal.storedAnswers += try await s.query(
                        "DELETE FROM idempotency_keys WHERE (body LIKE $1 OR body LIKE $2) AND principal LIKE $3 RETURNING key",
                        naming + [.text("%@\(Organisationsnummer(storedValue: org))")]
                    ).count
                }
            } else {
                removal.storedAnswers += try await s.query(
                    "DELETE FROM idempotency_keys WHERE body LIKE $1 OR body LIKE $2 RETURNING key", naming
                ).count
            }
            for entry in entries {
                guard let seq = entry["seq"].int, let salt = entry["person_salt"].text.flatMap(Chain.Salt.init(hex:)) else { continue }
                try await s.query(
                    "UPDATE audit_log SET person_digest = $1, person_id = NULL, person_salt = NULL WHERE seq = $2",
                    [.text(Chain.person(person, salt: salt).hex), .int(seq)])
                removal.auditPeople += 1
            }
        }
        return removal
    }

    /// Moves the subject rows of one registration, and the values corrections kept of it, to
    /// their digests; returns the entries that touched it.
    private static func removeSubjects(person: Int64, org: Int64, in s: any SQLSession) async throws -> [Int64] {
        for row in try await s.query(
            "SELECT seq, person_id, org_number, salt, content FROM audit_previous WHERE person_id = $1 AND org_number = $2", [.int(person), .int(org)])
        {
            guard let seq = row["seq"].int, let value = PreviousValue(row: row), let salt = row["salt"].text.flatMap(Chain.Salt.init(hex:)) else {
                continue
            }
            try await s.query("INSERT INTO audit_removed_subjects (seq, digest) VALUES ($1, $2)", [.int(seq), .text(Chain.previous(value, salt: salt).hex)])
        }
        try await s.query("DELETE FROM audit_previous WHERE person_id = $1 AND org_number = $2", [.int(person), .int(org)])
        let rows = try await s.query("SELECT seq, salt FROM audit_subjects WHERE person_id = $1 AND org_number = $2", [.int(person), .int(org)])
        var seqs: [Int64] = []
        for row in rows {
            guard let seq = row["seq"].int, let salt = row["salt"].text.flatMap(Chain.Salt.init(hex:)) else { continue }
            try await s.query(
                "INSERT INTO audit_removed_subjects (seq, digest) VALUES ($1, $2)",
                [.int(seq), .text(Chain.subject(PersonParty(person: person, org: org), salt: salt).hex)])
            seqs.append(seq)
        }
        try await s.query("DELETE FROM audit_subjects WHERE person_id = $1 AND org_number = $2", [.int(person), .int(org)])
        return seqs
    }
}

extension SamsparStore {
    /// The days on which retention or erasure removed registrations of `organisations` whose
    /// live figures counted in `year` (newest first).
    public func retentionEffects(on organisations: [Organisationsnummer], year: Int) async throws -> [Day] {
        guard !organisations.isEmpty else { return [] }
        return try await read { s in
            try await s.query(
                """
                SELECT DISTINCT ran_on FROM retention_effects
                WHERE org_number IN (\(organisations.map { String($0.value) }.joined(separator: ", "))) AND first_year <= $1 AND last_year >= $1
                ORDER BY ran_on DESC
                """, [.int(Int64(year))]
            ).compactMap { Rows.day($0["ran_on"]) }
        }
    }

    /// Forgets what the installation keeps only for a while (ASVS 8.3.8): sessions past their
    /// end, and stored idempotent answers older than 24 hours (a retry a day later is a new
    /// request). Audited with the counts when anything went.
    public func forgetExpired(now: Date, audit: @Sendable (_ sessions: Int, _ answers: Int) -> AuditDraft) async throws -> (sessions: Int, answers: Int) {
        try await transaction { s in
            let sessions = try await s.query(
                "DELETE FROM sessions WHERE expires_at <= $1 RETURNING token_hash", [.int(Int64(now.timeIntervalSince1970))]
            ).count
            let answers = try await s.query(
                "DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING key", [.text(Rows.timestamp(now.addingTimeInterval(-86_400)))]
            ).count
            if sessions + answers > 0 { try await AuditLog.append([audit(sessions, answers)], at: now, in: s) }
            return (sessions, answers)
        }
    }

    public func retentionSetting(of org: Organisationsnummer) async throws -> RetentionSetting? {
        try await read { try await RetentionRows.setting(org, in: $0) }
    }

    /// Sets an organisation's retention period and decision (the operator's), audited.
    public func setRetention(_ setting: RetentionSetting, of org: Organisationsnummer, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            guard try await Organisations.find(org, in: s) != nil else { throw OrganisationError.unknown(org) }
            try await RetentionRows.setSetting(org, setting, in: s)
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    /// What a run would remove as of `today` (one organisation, or all); audited per line by
    /// the caller's `audit`.
    public func retentionPlan(for org: Organisationsnummer?, today: Day, audit: @Sendable (RetentionPlan.Line) -> AuditDraft?, at now: Date) async throws
        -> RetentionPlan
    {
        try await transaction { s in
            let plan = try await RetentionRows.plan(for: org, today: today, in: s)
            try await AuditLog.append(plan.lines.compactMap(audit), at: now, in: s)
            return plan
        }
    }

    /// Removes everything due as of `today`, whole or not at all: the plan is made again in the
    /// same transaction, `beforeCommit` is given every registration removed (the removal list
    /// beside the key), and each organisation's entry records its counts.
    public func retentionRun(
        for org: Organisationsnummer?, today: Day, beforeCommit: @Sendable ([PersonParty]) throws -> Void,
        audit: @Sendable (RetentionPlan.Line, Removal) -> AuditDraft?, at now: Date
    ) async throws -> [(RetentionPlan.Line, Removal)] {
        try await transaction { s in
            // Removes many registrations: one bulk writer of them at a time, before any row lock
            // (``PackedFactsMigration/writersLock``).
            try await s.lock(PackedFactsMigration.writersLock)
            let plan = try await RetentionRows.plan(for: org, today: today, in: s)
            var done: [(RetentionPlan.Line, Removal)] = []
            var removed: [PersonParty] = []
            for line in plan.lines {
                let registrations = line.due.map { PersonParty(person: $0, org: line.organisation.value) }
                let removal = line.setting == nil ? Removal() : try await RetentionRows.remove(registrations, today: today, in: s)
                try await RetentionRows.noteEffect(removal, of: line.organisation.value, today: today, in: s)
                removed += registrations
                done.append((line, removal))
            }
            try await AuditLog.append(done.compactMap(audit), at: now, in: s)
            try beforeCommit(removed)
            return done
        }
    }

    /// Erases one registration (the operator's, citing the organisation's decision), as
    /// retention removes it. `nil` when the organisation holds no registration of the person,
    /// whoever else does.
    public func erase(
        _ person: Personnummer, of org: Organisationsnummer, today: Day, beforeCommit: @Sendable ([PersonParty]) throws -> Void,
        audit: @Sendable (Removal) -> AuditDraft, at now: Date
    ) async throws -> Removal? {
        try await transaction { s in
            // A bulk writer of registrations too: its removal locks the registration from the
            // packing trigger before it deletes it, and an import of the same registration
            // would lock them the other way (``PackedFactsMigration/writersLock``).
            try await s.lock(PackedFactsMigration.writersLock)
            let registration = PersonParty(person: person.value, org: org.value)
            let removal = try await RetentionRows.remove([registration], today: today, in: s)
            guard removal.registrations == 1 else { return nil }
            try await RetentionRows.noteEffect(removal, of: org.value, today: today, in: s)
            try await AuditLog.append([audit(removal)], at: now, in: s)
            try beforeCommit([registration])
            return removal
        }
    }
}

/// The registrations retention and erasure removed, kept beside the audit key and never in
/// the database or a backup (SPEC §2): one line per registration, the HMAC under the audit key
/// of `org:person`, so that a restore can remove them again (issue 24) while the file names
/// nobody to someone without the key.
public struct RemovalList: Sendable {
    public let path: String
    let key: AuditKey

    public init(path: String, key: AuditKey) {
        self.path = path
        self.key = key
    }

    /// The line of one registration.
    public func line(_ registration: PersonParty) -> String {
        Rows.hex(HMAC<SHA256>.authenticationCode(for: Array("removed:\(registration.org):\(registration.person)".utf8), using: key.key))
    }

    /// Appends the lines and flushes them to the disk before returning (the database commits
    /// after: a list naming a registration whose removal then failed only removes, at a
    /// restore, what was due or erased anyway). Created with mode 0600.
    public func append(_ registrations: [PersonParty]) throws {
        guard !registrations.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        guard fd >= 0 else { throw RemovalListError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(registrations.map { line($0) + "\n" }.joined().utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw RemovalListError(path: path, reason: String(cString: strerror(errno))) }
            written += n
        }
        guard fsync(fd) == 0 else { throw RemovalListError(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Every line in the file (empty when there is none).
    public func lines() throws -> Set<String> {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else { throw RemovalListError(path: path, reason: "unreadable") }
        return Set(String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init))
    }
}

public struct RemovalListError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write the removal list \(path) (kept beside the audit key): \(reason)" }
}

extension SamsparStore {
    /// What a record of processing counts of one controller (issue 23, part 3): how many people
    /// it holds, and the parties its valid consents name on `day`, with how many people each.
    public func processingCounts(of org: Organisationsnummer, on day: Day) async throws -> (registrations: Int, recipients: [(Organisationsnummer, Int)]) {
        try await read { s in
            let registrations = Int(
                try await s.query("SELECT count(*) AS n FROM registrations WHERE org_number = $1", [.int(org.value)]).first?["n"].int ?? 0)
            let recipients = try await s.query(
                """
                SELECT party, count(DISTINCT person_id) AS n FROM consents
                WHERE org_number = $1 AND withdrawn_on IS NULL AND valid_from <= $2 AND (valid_until IS NULL OR valid_until >= $2)
                GROUP BY party ORDER BY party
                """, [.int(org.value), .int(Int64(day.ordinal))]
            ).compactMap { row -> (Organisationsnummer, Int)? in
                guard let party = row["party"].int, let n = row["n"].int else { return nil }
                return (Organisationsnummer(storedValue: party), Int(n))
            }
            return (registrations, recipients)
        }
    }
}
