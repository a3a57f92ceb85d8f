import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// Participants one at a time. Single records are written through the same importer as
/// bulk files (a one-row file), so one set of rules validates both and decides who may
/// write what.
enum ParticipantRoutes {
    /// JSON field ↔ CSV column (SPEC §4), per kind. The API speaks camelCase.
    static let fields: [ImportKind: [(json: String, column: String)]] = [
        .participants: [
            ("personId", "person_id"), ("givenName", "given_name"), ("familyName", "family_name"), ("sex", "sex"), ("municipality", "municipality"),
            ("firstPermitDate", "first_permit_date"), ("registeredOn", "registered_on"), ("exitedOn", "exited_on"), ("exitReason", "exit_reason"),
            ("upperSecondaryCompleted", "upper_secondary_completed"), ("educationLevel", "education_level"),
        ],
        .events: [("personId", "person_id"), ("track", "track"), ("event", "event"), ("date", "date"), ("reason", "reason"), ("agreement", "agreement")],
        .statuses: [("personId", "person_id"), ("status", "status"), ("date", "date")],
        .activities: [
            ("personId", "person_id"), ("activity", "activity"), ("start", "start"), ("end", "end"), ("hoursPerWeek", "hours_per_week"),
            ("provider", "provider"),
        ],
    ]

    /// One value of a record's JSON object.
    enum Field: Decodable {
        case null, bool(Bool), number(Double), text(String), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else if let s = try? c.decode(String.self) {
                self = .text(s)
            } else {
                self = .other
            }
        }
    }

    /// A JSON object of strings (and, for two fields, a boolean or a number) as one CSV row.
    static func row(_ kind: ImportKind, _ body: [UInt8], person: Personnummer?, year: Int) throws -> (csv: [UInt8], person: Personnummer) {
        guard let object = try? JSONDecoder().decode([String: Field].self, from: Data(body)) else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        let mapping = fields[kind]!
        var header: [String] = []
        var cells: [String?] = []
        var problems: [ImportProblem] = []
        for (json, column) in mapping {
            var value: String?
            switch object[json] {
            case nil, .null?: value = nil
            case .text(let text)?: value = text
            case .bool(let flag)? where json == "upperSecondaryCompleted": value = flag ? "yes" : "no"
            case .number(let number)? where json == "hoursPerWeek": value = String(number)
            default:
                problems.append(.init(line: 0, column: json, reason: json == "upperSecondaryCompleted" ? "must be true or false" : "must be a string"))
            }
            if json == "personId", let person {
                if let value, (try? Personnummer(value, currentYear: year)) != person {
                    problems.append(.init(line: 0, column: json, reason: "is not the participant in the path"))
                }
                value = person.description
            }
            header.append(column)
            cells.append(value)
        }
        guard problems.isEmpty else { throw APIError.invalid("the record was not saved / posten sparades inte", problems: problems) }
        guard let id = cells[0], let parsed = try? Personnummer(id, currentYear: year) else {
            throw APIError.invalid(
                "the record was not saved / posten sparades inte",
                problems: [.init(line: 0, column: "personId", reason: cells[0] == nil ? "is required" : "is not a valid personnummer or samordningsnummer")])
        }
        let text = CSVLine.format(header) + "\n" + CSVLine.format(cells) + "\n"
        return (Array(text.utf8), parsed)
    }

    /// Writes one record through the importer, for the caller's organisation, with its audit
    /// entry (and idempotent answer) in the same transaction.
    static func write(
        _ kind: ImportKind, body: [UInt8], person pathPerson: Personnummer?, action: String, status: HTTPResponse.Status, _ request: Request,
        _ context: AppContext, _ s: Services, principal: Principal
    ) async throws -> Response {
        let (csv, person) = try row(kind, body, person: pathPerson, year: s.today.year)
        let idempotency = try Idempotency(request, principal: principal, body: body)
        if let replay = try await idempotency?.replay(s) { return replay }
        let channel = context.channel(request)
        let now = s.now()
        let answer: JSONValue = .object([("personId", .string(person.description)), ("saved", .string(kind.rawValue))])
        do {
            _ = try await s.store.importFile(
                kind, from: .bytes(csv), currentYear: s.today.year,
                scope: ImportScope(
                    organisation: principal.organisation.value, today: s.today,
                    beforeCommit: { session, _ in
                        try await AuditLog.append([s.draft(principal, action, person: person, channel: channel, detail: kind.rawValue)], at: now, in: session)
                        try await idempotency?.save(status: status, body: answer, now: now, in: session)
                    }), progress: nil)
        } catch let error as ImportError {
            let names = Dictionary(uniqueKeysWithValues: fields[kind]!.map { ($0.column, $0.json) })
            throw APIError.invalid(
                "the record was not saved / posten sparades inte",
                problems: error.problems.map { ImportProblem(line: 0, column: names[$0.column] ?? $0.column, reason: $0.reason) })
        }
        return JSONResponse.make(answer, status: status)
    }

    static func create(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "register participants")
        let body = try await Body.bytes(request, limit: Limits.jsonBody)
        return try await write(.participants, body: body, person: nil, action: "create", status: .created, request, context, s, principal: principal)
    }

    static func update(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "change participants")
        let person = try context.personParameter(year: s.today.year)
        // Only the registering organisation changes a participant; to anyone else they do not exist.
        let (exists, owner) = try await s.store.read { try await Registry.owner(of: person, in: $0) }
        guard exists, owner == principal.organisation else { throw APIError.notFound() }
        let body = try await Body.bytes(request, limit: Limits.jsonBody)
        return try await write(.participants, body: body, person: person, action: "update", status: .ok, request, context, s, principal: principal)
    }

    static func record(_ kind: ImportKind, _ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "record \(kind.rawValue)")
        let person = try context.personParameter(year: s.today.year)
        let body = try await Body.bytes(request, limit: Limits.jsonBody)
        return try await write(kind, body: body, person: person, action: "record", status: .created, request, context, s, principal: principal)
    }

    /// SPEC §6: the participant as the caller may see them, `404` whether or not they exist
    /// otherwise. The read is in the audit log before the answer leaves.
    static func get(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "read participants")
        let person = try context.personParameter(year: s.today.year)
        let today = s.today
        let viewer = principal.organisation
        let view = try await s.store.read { session -> ParticipantView? in
            let (access, owner) = try await Registry.access(of: viewer, to: person, on: today, in: session)
            return try await Registry.participant(person, access: access, owner: owner, viewer: viewer, in: session)
        }
        guard let view else { throw APIError.notFound() }
        try await s.auditBuffer.record([s.draft(principal, "read", person: person, channel: context.channel(request))])
        return JSONResponse.make(Documents.participant(view))
    }

    static func search(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "search participants")
        let query = request.uri.queryParameters
        var wanted: Personnummer?
        if let text = query.get("personId") {
            guard let parsed = try? Personnummer(text, currentYear: s.today.year) else {
                throw APIError.badRequest("personId is not a valid personnummer or samordningsnummer")
            }
            wanted = parsed
        }
        let person = wanted
        let name = query.get("name").map { String($0) }
        let limit = try intParameter(query.get("limit"), "limit", default: 50, range: 1...100)
        let offset = try intParameter(query.get("offset"), "offset", default: 0, range: 0...10_000_000)
        let today = s.today
        let viewer = principal.organisation
        let found = try await s.store.read {
            try await Registry.searchParticipants(viewer: viewer, person: person, name: name, on: today, limit: limit, offset: offset, in: $0)
        }
        let channel = context.channel(request)
        try await s.auditBuffer.record(found.map { s.draft(principal, "search", person: $0.person, channel: channel) })
        let items = found.map { f -> JSONValue in
            .object([
                ("personId", .string(f.person.description)), ("givenName", f.givenName.map { .string($0) } ?? .null),
                ("familyName", f.familyName.map { .string($0) } ?? .null), ("municipality", .string(f.municipality.description)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items)), ("limit", .int(limit)), ("offset", .int(offset))]))
    }

    /// Who has looked at or changed this participant: for the organisation they belong to.
    static func accessLog(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "read the access log")
        let person = try context.personParameter(year: s.today.year)
        let query = request.uri.queryParameters
        let after = try intParameter(query.get("after"), "after", default: 0, range: 0...Int.max)
        let limit = try intParameter(query.get("limit"), "limit", default: 100, range: 1...1000)
        let entries = try await s.store.read { session -> [AuditEntry]? in
            let (exists, owner) = try await Registry.owner(of: person, in: session)
            guard exists, owner == principal.organisation else { return nil }
            return try await AuditLog.search(.init(person: person, after: Int64(after), limit: limit), in: session)
        }
        guard let entries else { throw APIError.notFound() }
        try await s.auditBuffer.record([s.draft(principal, "read-access-log", person: person, channel: context.channel(request))])
        return JSONResponse.make(.object([("items", .array(entries.map(AuditRoutes.document)))]))
    }

    static func intParameter(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

// MARK: - Consent

enum ConsentRoutes {
    struct Give: Decodable {
        var party: String
        var validFrom: String?
        var validUntil: String?
    }

    struct Withdraw: Decodable {
        var date: String?
    }

    static func list(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "read consent")
        let person = try context.personParameter(year: s.today.year)
        let today = s.today
        let consents = try await s.store.read { session -> [Consent]? in
            guard try await Registry.access(of: principal.organisation, to: person, on: today, in: session).access == .full else { return nil }
            return try await Registry.consents(of: person, in: session)
        }
        guard let consents else { throw APIError.notFound() }
        try await s.auditBuffer.record([s.draft(principal, "read", person: person, channel: context.channel(request), detail: "consents")])
        return JSONResponse.make(.object([("items", .array(consents.map(Documents.consent)))]))
    }

    /// Records a consent the participant gave. Only the organisation they belong to records it.
    static func give(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "record consent")
        let person = try context.personParameter(year: s.today.year)
        let (body, bytes) = try await Body.json(Give.self, request)
        var problems: [ImportProblem] = []
        let party = try? Organisationsnummer(body.party)
        if party == nil { problems.append(.init(line: 0, column: "party", reason: "is not a valid organisationsnummer")) }
        if party == principal.organisation { problems.append(.init(line: 0, column: "party", reason: "is your own organisation, which needs no consent")) }
        var from = s.today
        var until: Day?
        if let text = body.validFrom {
            do { from = try Day(iso: text) } catch { problems.append(.init(line: 0, column: "validFrom", reason: error.description)) }
        }
        if let text = body.validUntil {
            do { until = try Day(iso: text) } catch { problems.append(.init(line: 0, column: "validUntil", reason: error.description)) }
        }
        if let until, until < from { problems.append(.init(line: 0, column: "validUntil", reason: "is before validFrom")) }
        guard problems.isEmpty, let party else { throw APIError.invalid("the consent was not saved / samtycket sparades inte", problems: problems) }
        let (validFrom, validUntil) = (from, until)
        let idempotency = try Idempotency(request, principal: principal, body: bytes)
        if let replay = try await idempotency?.replay(s) { return replay }
        let now = s.now()
        let channel = context.channel(request)
        let document = try await s.store.transaction { session -> JSONValue? in
            let (exists, owner) = try await Registry.owner(of: person, in: session)
            guard exists, owner == principal.organisation else { return nil }
            let id = try await Registry.giveConsent(
                person: person, party: party, validFrom: validFrom, validUntil: validUntil, recordedBy: principal.organisation, now: now, in: session)
            try await AuditLog.append(
                [s.draft(principal, "consent", person: person, channel: channel, detail: "consent \(id) for \(party)")], at: now, in: session)
            let document = Documents.consent(
                Consent(
                    id: id, person: person, party: party, validFrom: validFrom, validUntil: validUntil, withdrawnOn: nil, recordedBy: principal.organisation))
            try await idempotency?.save(status: .created, body: document, now: now, in: session)
            return document
        }
        guard let document else { throw APIError.notFound() }
        return JSONResponse.make(document, status: .created)
    }

    static func withdraw(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "withdraw consent")
        let person = try context.personParameter(year: s.today.year)
        guard let id = context.parameters.get("consentId").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        let bytes = try await Body.bytes(request, limit: Limits.jsonBody)
        var day = s.today
        if !bytes.isEmpty {
            guard let body = try? JSONDecoder().decode(Withdraw.self, from: Data(bytes)) else {
                throw APIError.badRequest("the body must be {\"date\": \"YYYY-MM-DD\"}")
            }
            if let text = body.date {
                do { day = try Day(iso: text) } catch {
                    throw APIError.invalid("the withdrawal was not saved", problems: [.init(line: 0, column: "date", reason: error.description)])
                }
            }
        }
        let now = s.now()
        let channel = context.channel(request)
        let withdrawnOn = day
        let outcome = try await s.store.transaction { session -> Bool? in
            let (exists, owner) = try await Registry.owner(of: person, in: session)
            guard exists, owner == principal.organisation else { return nil }
            guard try await Registry.withdrawConsent(id: id, person: person, on: withdrawnOn, in: session) else { return false }
            try await AuditLog.append(
                [s.draft(principal, "withdraw", person: person, channel: channel, detail: "consent \(id) from \(withdrawnOn)")], at: now, in: session)
            return true
        }
        guard let outcome, outcome else { throw APIError.notFound("no such consent that is not already withdrawn / samtycket finns inte") }
        return JSONResponse.make(.object([("id", .int(Int(id))), ("withdrawnOn", .string(day.description))]))
    }
}

// MARK: - Audit

enum AuditRoutes {
    static func document(_ e: AuditEntry) -> JSONValue {
        .object([
            ("seq", .int(Int(e.seq))), ("at", .string(e.at)), ("actor", .string(e.draft.actor)), ("role", .string(e.draft.role)),
            ("organisation", e.draft.organisation.map { .string($0.description) } ?? .null), ("action", .string(e.draft.action)),
            ("personId", e.draft.person.map { .string($0.description) } ?? .null), ("channel", .string(e.draft.channel)),
            ("detail", .string(e.draft.detail)), ("hash", .string(e.hash)),
        ])
    }

    static func search(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.require(\.readsAuditLog, "read the audit log")
        let query = request.uri.queryParameters
        var q = AuditLog.Query()
        if let text = query.get("personId") {
            guard let person = try? Personnummer(text, currentYear: s.today.year) else { throw APIError.badRequest("personId is not valid") }
            q.person = person
        }
        if let text = query.get("organisation") {
            guard let org = try? Organisationsnummer(text) else { throw APIError.badRequest("organisation is not a valid organisationsnummer") }
            q.organisation = org
        }
        q.actor = query.get("actor").map { String($0) }
        q.action = query.get("action").map { String($0) }
        q.after = Int64(try ParticipantRoutes.intParameter(query.get("after"), "after", default: 0, range: 0...Int.max))
        q.limit = try ParticipantRoutes.intParameter(query.get("limit"), "limit", default: 100, range: 1...1000)
        let query2 = q
        let entries = try await s.store.read { try await AuditLog.search(query2, in: $0) }
        return JSONResponse.make(.object([("items", .array(entries.map(document)))]))
    }

    static func verify(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.require(\.readsAuditLog, "verify the audit log")
        let result = try await s.store.read { try await AuditLog.verify(in: $0) }
        return JSONResponse.make(
            .object([("intact", .bool(result.problem == nil)), ("entries", .int(result.entries)), ("problem", result.problem.map { .string($0) } ?? .null)]))
    }
}

// MARK: - Users and tokens

enum AccountRoutes {
    struct NewUser: Decodable {
        var email: String
        var organisation: String
        var role: String
        var password: String
    }

    struct NewToken: Decodable {
        var organisation: String
        var name: String
    }

    static func users(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.require(\.managesAccounts, "manage users")
        let users = try await s.store.read { try await Registry.users(in: $0) }
        return JSONResponse.make(
            .object([
                (
                    "items",
                    .array(
                        users.map { u in
                            .object([
                                ("id", .int(Int(u.id))), ("email", .string(u.email)), ("organisation", .string(u.organisation.description)),
                                ("role", .string(u.role.rawValue)), ("disabled", .bool(u.disabled)),
                            ])
                        })
                )
            ]))
    }

    static func addUser(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage users")
        let (body, _) = try await Body.json(NewUser.self, request)
        let (email, org, role) = try UserInput.validate(email: body.email, organisation: body.organisation, role: body.role, password: body.password)
        let hash = Services.hashPassword(body.password, cost: s.bcryptCost)
        let now = s.now()
        let channel = context.channel(request)
        let id: Int64
        do {
            id = try await s.store.transaction { session in
                let id = try await Registry.addUser(email: email, organisation: org, role: role, passwordHash: hash, now: now, in: session)
                try await AuditLog.append(
                    [s.draft(principal, "add-user", person: nil, channel: channel, detail: "\(email) \(role.rawValue) \(org)")], at: now, in: session)
                return id
            }
        } catch let error as RegistryError {
            throw APIError.conflict(error.description)
        }
        return JSONResponse.make(
            .object([("id", .int(Int(id))), ("email", .string(email)), ("organisation", .string(org.description)), ("role", .string(role.rawValue))]),
            status: .created)
    }

    static func tokens(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.require(\.managesAccounts, "manage API tokens")
        let tokens = try await s.store.read { try await Registry.tokens(in: $0) }
        return JSONResponse.make(.object([("items", .array(tokens.map(tokenDocument)))]))
    }

    static func tokenDocument(_ t: Registry.Token) -> JSONValue {
        .object([
            ("id", .int(Int(t.id))), ("organisation", .string(t.organisation.description)), ("name", .string(t.name)), ("createdAt", .string(t.createdAt)),
            ("revokedAt", t.revokedAt.map { .string($0) } ?? .null),
        ])
    }

    static func createToken(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage API tokens")
        let (body, _) = try await Body.json(NewToken.self, request)
        guard let org = try? Organisationsnummer(body.organisation) else {
            throw APIError.invalid(
                "the token was not created", problems: [.init(line: 0, column: "organisation", reason: "is not a valid organisationsnummer")])
        }
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
            throw APIError.invalid("the token was not created", problems: [.init(line: 0, column: "name", reason: "must have 1 to 100 characters")])
        }
        let secret = Services.newSecret()
        let now = s.now()
        let channel = context.channel(request)
        let id = try await s.store.transaction { session in
            let id = try await Registry.createToken(organisation: org, name: name, secret: secret, now: now, in: session)
            try await AuditLog.append(
                [s.draft(principal, "create-token", person: nil, channel: channel, detail: "token \(id) '\(name)' for \(org)")], at: now, in: session)
            return id
        }
        return JSONResponse.make(
            .object([("id", .int(Int(id))), ("organisation", .string(org.description)), ("name", .string(name)), ("token", .string(secret))]), status: .created)
    }

    static func revokeToken(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage API tokens")
        guard let id = context.parameters.get("tokenId").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        let now = s.now()
        let channel = context.channel(request)
        let revoked = try await s.store.transaction { session in
            guard try await Registry.revokeToken(id: id, now: now, in: session) else { return false }
            try await AuditLog.append([s.draft(principal, "revoke-token", person: nil, channel: channel, detail: "token \(id)")], at: now, in: session)
            return true
        }
        await s.tokenCache.removeAll()
        guard revoked else { throw APIError.notFound("no such live token / token finns inte") }
        return Response(status: .noContent)
    }
}

/// The checks on a new account, shared by the API and `samspar user add`.
public enum UserInput {
    public static func validate(email: String, organisation: String, role: String, password: String) throws(APIError) -> (
        String, Organisationsnummer, Role
    ) {
        var problems: [ImportProblem] = []
        let email = email.lowercased().trimmingCharacters(in: .whitespaces)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || email.count > 254
            || email.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 32 } ?? false })
        {
            problems.append(.init(line: 0, column: "email", reason: "is not an e-mail address"))
        }
        let org = try? Organisationsnummer(organisation)
        if org == nil { problems.append(.init(line: 0, column: "organisation", reason: "is not a valid organisationsnummer")) }
        let parsedRole = Role(rawValue: role)
        if parsedRole == nil || parsedRole == .system {
            problems.append(
                .init(line: 0, column: "role", reason: "must be one of caseworker, coordinator, analyst, auditor, admin (case systems get API tokens)"))
        }
        if let reason = Services.checkPassword(password) { problems.append(.init(line: 0, column: "password", reason: reason)) }
        guard problems.isEmpty, let org, let parsedRole else {
            throw APIError.invalid("the user was not added / användaren lades inte till", problems: problems)
        }
        return (email, org, parsedRole)
    }
}
