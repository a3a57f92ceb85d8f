import Crypto
import Foundation
import SamsparDomain

/// The row-at-a-time data of `samspar serve`: accounts, sessions, API tokens, consent, one
/// participant at a time, idempotency keys. Written once over ``SQLSession``, so both engines
/// run the same statements; every function takes the session of an open transaction, so a
/// write and its audit entry commit together.
public enum Registry {
    // MARK: Accounts

    public struct User: Sendable, Equatable {
        public var id: Int64
        public var email: String
        public var organisation: Organisationsnummer
        public var role: Role
        public var passwordHash: String
        public var disabled: Bool
    }

    public static func addUser(
        email: String, organisation: Organisationsnummer, role: Role, passwordHash: String, now: Date, in s: any SQLSession
    ) async throws -> Int64 {
        let existing = try await s.query("SELECT id FROM users WHERE email = $1", [.text(email)])
        if !existing.isEmpty { throw RegistryError.conflict("a user with the e-mail address \(email) already exists") }
        let rows = try await s.query(
            "INSERT INTO users (email, org_number, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            [.text(email), .int(organisation.value), .text(role.rawValue), .text(passwordHash), .text(timestamp(now))])
        return rows.first?["id"].int ?? 0
    }

    public static func user(email: String, in s: any SQLSession) async throws -> User? {
        try await s.query(
            "SELECT id, email, org_number, role, password_hash, disabled FROM users WHERE email = $1", [.text(email)]
        ).first.flatMap(user)
    }

    public static func users(in s: any SQLSession) async throws -> [User] {
        try await s.query("SELECT id, email, org_number, role, password_hash, disabled FROM users ORDER BY email").compactMap(user)
    }

    private static func user(_ row: SQLRow) -> User? {
        guard let id = row["id"].int, let email = row["email"].text, let org = row["org_number"].int,
            let role = row["role"].text.flatMap(Role.init(rawValue:)), let hash = row["password_hash"].text
        else { return nil }
        return User(
            id: id, email: email, organisation: Organisationsnummer(storedValue: org), role: role, passwordHash: hash,
            disabled: row["disabled"].int == 1)
    }

    // MARK: Sessions (stored, so that several instances share them)

    public struct Session: Sendable {
        public var user: User
        public var csrfToken: String
        public var expiresAt: Int64
    }

    public static func createSession(userID: Int64, secret: String, csrfToken: String, now: Date, lifetime: TimeInterval, in s: any SQLSession) async throws {
        try await s.query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            [.text(digest(secret)), .int(userID), .text(csrfToken), .text(timestamp(now)), .int(Int64(now.timeIntervalSince1970 + lifetime))])
    }

    public static func session(secret: String, now: Date, in s: any SQLSession) async throws -> Session? {
        let rows = try await s.query(
            """
            SELECT u.id, u.email, u.org_number, u.role, u.password_hash, u.disabled, s.csrf_token, s.expires_at
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1
            """, [.text(digest(secret))])
        guard let row = rows.first, let user = user(row), !user.disabled, let expires = row["expires_at"].int,
            expires > Int64(now.timeIntervalSince1970), let csrf = row["csrf_token"].text
        else { return nil }
        return Session(user: user, csrfToken: csrf, expiresAt: expires)
    }

    public static func deleteSession(secret: String, in s: any SQLSession) async throws {
        try await s.query("DELETE FROM sessions WHERE token_hash = $1", [.text(digest(secret))])
    }

    // MARK: API tokens (stored as SHA-256: a token is 256 random bits, so a slow hash adds nothing)

    public struct Token: Sendable, Equatable {
        public var id: Int64
        public var organisation: Organisationsnummer
        public var name: String
        public var createdAt: String
        public var revokedAt: String?
    }

    public static func createToken(organisation: Organisationsnummer, name: String, secret: String, now: Date, in s: any SQLSession) async throws -> Int64 {
        let rows = try await s.query(
            "INSERT INTO api_tokens (org_number, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            [.int(organisation.value), .text(name), .text(digest(secret)), .text(timestamp(now))])
        return rows.first?["id"].int ?? 0
    }

    /// The live token with this secret, if any.
    public static func token(secret: String, in s: any SQLSession) async throws -> Token? {
        try await s.query(
            "SELECT id, org_number, name, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            [.text(digest(secret))]
        ).first.flatMap(token)
    }

    public static func tokens(in s: any SQLSession) async throws -> [Token] {
        try await s.query("SELECT id, org_number, name, created_at, revoked_at FROM api_tokens ORDER BY id").compactMap(token)
    }

    /// Revokes a token; false when there is no such live token.
    public static func revokeToken(id: Int64, now: Date, in s: any SQLSession) async throws -> Bool {
        let rows = try await s.query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id", [.text(timestamp(now)), .int(id)])
        return !rows.isEmpty
    }

    private static func token(_ row: SQLRow) -> Token? {
        guard let id = row["id"].int, let org = row["org_number"].int, let name = row["name"].text, let created = row["created_at"].text
        else { return nil }
        return Token(id: id, organisation: Organisationsnummer(storedValue: org), name: name, createdAt: created, revokedAt: row["revoked_at"].text)
    }

    // MARK: Consent

    public static func consents(of person: Personnummer, in s: any SQLSession) async throws -> [Consent] {
        try await s.query(
            "SELECT id, person_id, party, valid_from, valid_until, withdrawn_on, recorded_by FROM consents WHERE person_id = $1 ORDER BY id",
            [.int(person.value)]
        ).compactMap { row in
            guard let id = row["id"].int, let party = row["party"].int, let from = row["valid_from"].int, let by = row["recorded_by"].int
            else { return nil }
            return Consent(
                id: id, person: person, party: Organisationsnummer(storedValue: party), validFrom: Day(ordinal: Int32(from)),
                validUntil: row["valid_until"].int.map { Day(ordinal: Int32($0)) }, withdrawnOn: row["withdrawn_on"].int.map { Day(ordinal: Int32($0)) },
                recordedBy: Organisationsnummer(storedValue: by))
        }
    }

    public static func giveConsent(
        person: Personnummer, party: Organisationsnummer, validFrom: Day, validUntil: Day?, recordedBy: Organisationsnummer, now: Date,
        in s: any SQLSession
    ) async throws -> Int64 {
        let rows = try await s.query(
            """
            INSERT INTO consents (person_id, party, valid_from, valid_until, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """,
            [
                .int(person.value), .int(party.value), .int(Int(validFrom.ordinal)), validUntil.map { .int(Int($0.ordinal)) } ?? .null,
                .int(recordedBy.value), .text(timestamp(now)),
            ])
        return rows.first?["id"].int ?? 0
    }

    public static func withdrawConsent(id: Int64, person: Personnummer, on day: Day, in s: any SQLSession) async throws -> Bool {
        let rows = try await s.query(
            "UPDATE consents SET withdrawn_on = $1 WHERE id = $2 AND person_id = $3 AND withdrawn_on IS NULL RETURNING id",
            [.int(Int(day.ordinal)), .int(id), .int(person.value)])
        return !rows.isEmpty
    }

    // MARK: Participants

    /// The organisation a participant belongs to, and whether they exist at all.
    public static func owner(of person: Personnummer, in s: any SQLSession) async throws -> (exists: Bool, owner: Organisationsnummer?) {
        let rows = try await s.query("SELECT \(RecordOwnership.ownerSQL("p")) AS owner FROM participants p WHERE p.person_id = $1", [.int(person.value)])
        guard let row = rows.first else { return (false, nil) }
        return (true, row["owner"].int.map(Organisationsnummer.init(storedValue:)))
    }

    /// What `viewer` may see of `person` today (``ParticipantAccess``); `.none` also when the
    /// person does not exist.
    public static func access(of viewer: Organisationsnummer, to person: Personnummer, on day: Day, in s: any SQLSession) async throws -> (
        access: ParticipantAccess, owner: Organisationsnummer?
    ) {
        let (exists, owner) = try await self.owner(of: person, in: s)
        guard exists else { return (.none, nil) }
        if owner == viewer { return (.full, owner) }
        let consents = try await consents(of: person, in: s)
        let own = try await s.query(
            """
            SELECT 1 AS x FROM track_events WHERE person_id = $1 AND recorded_by = $2
            UNION ALL SELECT 1 FROM status_changes WHERE person_id = $1 AND recorded_by = $2
            UNION ALL SELECT 1 FROM activities WHERE person_id = $1 AND recorded_by = $2
            LIMIT 1
            """, [.int(person.value), .int(viewer.value)])
        return (ParticipantAccess.decide(viewer: viewer, owner: owner, consents: consents, hasOwnRecords: !own.isEmpty, on: day), owner)
    }

    /// The participant as `access` lets them be seen: everything, or only the records the
    /// viewer's organisation made (no name, no other party's records). `nil` for `.none`.
    public static func participant(
        _ person: Personnummer, access: ParticipantAccess, owner: Organisationsnummer?, viewer: Organisationsnummer, in s: any SQLSession
    ) async throws -> ParticipantView? {
        guard access != .none else { return nil }
        let full = access == .full
        var view = ParticipantView(person: person, access: access, registeredBy: full ? owner : nil)
        let ownerFilter = full ? "" : " AND x.recorded_by = $2"
        let binds: [SQLValue] = full ? [.int(person.value)] : [.int(person.value), .int(viewer.value)]
        if full {
            let rows = try await s.query(
                """
                SELECT p.given_name, p.family_name, p.sex, p.sex_explicit, p.municipality, p.first_permit_date, p.registered_on, p.exited_on,
                       p.exit_reason, p.upper_secondary_completed, p.education_level
                FROM participants p WHERE p.person_id = $1
                """, [.int(person.value)])
            guard let r = rows.first, let permit = day(r["first_permit_date"]), let registered = day(r["registered_on"]) else { return nil }
            view.details = ParticipantRecord(
                person: person, givenName: r["given_name"].text, familyName: r["family_name"].text,
                explicitSex: r["sex_explicit"].int == 1 ? (r["sex"].int == 1 ? .male : .female) : nil,
                municipality: Kommunkod(storedValue: Int16(r["municipality"].int ?? 0)), firstPermitDate: permit, registeredOn: registered,
                exitedOn: day(r["exited_on"]), exitReason: r["exit_reason"].text, upperSecondaryCompleted: r["upper_secondary_completed"].int == 1,
                educationLevel: r["education_level"].text)
            view.consents = try await consents(of: person, in: s)
        }
        view.events = try await s.query(
            """
            SELECT t.agreement_id, t.code, x.kind, x.date, x.reason, x.recorded_by FROM track_events x JOIN tracks t ON t.id = x.track_id
            WHERE x.person_id = $1\(ownerFilter) ORDER BY x.date, t.code, x.kind
            """, binds
        ).compactMap { r in
            guard let kind = r["kind"].int.flatMap({ TrackEventKind(code: UInt8($0)) }), let date = day(r["date"]) else { return nil }
            return Recorded(
                EventRecord(person: person, track: r["code"].text ?? "", kind: kind, date: date, reason: r["reason"].text, agreement: r["agreement_id"].text),
                by: org(r["recorded_by"]))
        }
        view.statuses = try await s.query(
            "SELECT x.date, x.status, x.recorded_by FROM status_changes x WHERE x.person_id = $1\(ownerFilter) ORDER BY x.date", binds
        ).compactMap { r in
            guard let status = r["status"].int.flatMap({ Outcome(code: UInt8($0)) }), let date = day(r["date"]) else { return nil }
            return Recorded(StatusRecord(person: person, status: status, date: date), by: org(r["recorded_by"]))
        }
        view.activities = try await s.query(
            """
            SELECT x.kind, x.start, x.end_date, x.hours_per_week, x.provider, x.recorded_by FROM activities x
            WHERE x.person_id = $1\(ownerFilter) ORDER BY x.start, x.kind
            """, binds
        ).compactMap { r in
            guard let kind = r["kind"].text.flatMap(ActivityKind.init(rawValue:)), let start = day(r["start"]) else { return nil }
            return Recorded(
                ActivityRecord(
                    person: person, activity: kind, start: start, end: day(r["end_date"]), hoursPerWeek: r["hours_per_week"].real,
                    provider: r["provider"].text),
                by: org(r["recorded_by"]))
        }
        return view
    }

    /// One page of the participants `viewer` may see in full, found by identity number (exact)
    /// or by name (a case-insensitive part of the given or family name), ordered by identity number.
    public static func searchParticipants(
        viewer: Organisationsnummer, person: Personnummer?, name: String?, on day: Day, limit: Int, offset: Int, in s: any SQLSession
    ) async throws -> [(person: Personnummer, givenName: String?, familyName: String?, municipality: Kommunkod)] {
        var conditions = [
            "(\(RecordOwnership.ownerSQL("p")) = $1 OR \(RecordOwnership.consentSQL(person: "p.person_id", party: "$1", day: "$2")) = 1)"
        ]
        var binds: [SQLValue] = [.int(viewer.value), .int(Int(day.ordinal))]
        if let person {
            binds.append(.int(person.value))
            conditions.append("p.person_id = $\(binds.count)")
        }
        if let name, !name.isEmpty {
            binds.append(.text("%" + name.lowercased() + "%"))
            conditions.append("(lower(p.given_name) LIKE $\(binds.count) OR lower(p.family_name) LIKE $\(binds.count))")
        }
        binds.append(.int(limit))
        binds.append(.int(offset))
        let rows = try await s.query(
            """
            SELECT p.person_id, p.given_name, p.family_name, p.municipality FROM participants p
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY p.person_id LIMIT $\(binds.count - 1) OFFSET $\(binds.count)
            """, binds)
        return rows.compactMap { r in
            guard let id = r["person_id"].int else { return nil }
            return (Personnummer(storedValue: id), r["given_name"].text, r["family_name"].text, Kommunkod(storedValue: Int16(r["municipality"].int ?? 0)))
        }
    }

    // MARK: Idempotency keys

    public struct StoredResponse: Sendable, Equatable {
        public var fingerprint: String
        public var status: Int
        public var body: String

        public init(fingerprint: String, status: Int, body: String) {
            self.fingerprint = fingerprint
            self.status = status
            self.body = body
        }
    }

    public static func storedResponse(principal: String, key: String, in s: any SQLSession) async throws -> StoredResponse? {
        try await s.query("SELECT fingerprint, status, body FROM idempotency_keys WHERE principal = $1 AND key = $2", [.text(principal), .text(key)])
            .first.map { StoredResponse(fingerprint: $0["fingerprint"].text ?? "", status: Int($0["status"].int ?? 0), body: $0["body"].text ?? "") }
    }

    /// Stores the answer; false when another request with the same key stored one first
    /// (the caller then rolls its write back).
    public static func storeResponse(principal: String, key: String, response: StoredResponse, now: Date, in s: any SQLSession) async throws -> Bool {
        let rows = try await s.query(
            """
            INSERT INTO idempotency_keys (principal, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (principal, key) DO NOTHING RETURNING key
            """,
            [.text(principal), .text(key), .text(response.fingerprint), .int(response.status), .text(response.body), .text(timestamp(now))])
        return !rows.isEmpty
    }

    // MARK: Helpers

    public static func digest(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`, by arithmetic: a formatter per call costs more than
    /// the rest of an audited read.
    public static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let rest = millis - days * 86_400_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = rest % 1000
        let clock = "\(two(rest / 3_600_000)):\(two(rest / 60_000 % 60)):\(two(rest / 1000 % 60)).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)Z"
        return "\(Day(ordinal: Int32(days)).description)T\(clock)"
    }

    private static func day(_ v: SQLValue) -> Day? { v.int.map { Day(ordinal: Int32($0)) } }
    private static func org(_ v: SQLValue) -> Organisationsnummer? { v.int.map(Organisationsnummer.init(storedValue:)) }
}

/// One participant as a viewer may see them (``Registry/participant(_:access:owner:viewer:in:)``).
public struct ParticipantView: Sendable {
    public var person: Personnummer
    public var access: ParticipantAccess
    /// The organisation they belong to; only with full access.
    public var registeredBy: Organisationsnummer?
    /// Name, municipality, dates; only with full access.
    public var details: ParticipantRecord?
    public var events: [Recorded<EventRecord>] = []
    public var statuses: [Recorded<StatusRecord>] = []
    public var activities: [Recorded<ActivityRecord>] = []
    /// Only with full access.
    public var consents: [Consent] = []

    init(person: Personnummer, access: ParticipantAccess, registeredBy: Organisationsnummer?) {
        self.person = person
        self.access = access
        self.registeredBy = registeredBy
    }
}

/// A record and the organisation that made it (`nil`: imported with `samspar import`, which
/// speaks for the participant's home municipality).
public struct Recorded<Value: Sendable>: Sendable {
    public var value: Value
    public var recordedBy: Organisationsnummer?

    init(_ value: Value, by organisation: Organisationsnummer?) {
        self.value = value
        self.recordedBy = organisation
    }
}

public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case conflict(String)
    public var description: String {
        switch self {
        case .conflict(let m): m
        }
    }
}
