import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

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
        let principal = try context.require(\.readsParticipants, "read consent", request)
        let person = try context.personParameter(year: s.today.year)
        let today = s.today
        guard let (consents, parties) = try await s.store.consents(of: person, visibleTo: principal.organisation, on: today) else {
            throw APIError.refused(person, channel: context.channel(request))
        }
        try await s.auditBuffer.record([
            s.draft(principal, "read", person: person, channel: context.channel(request), detail: "consents", subjects: parties)
        ])
        return JSONResponse.make(.object([("items", .array(consents.map(Documents.consent)))]))
    }

    /// Records a consent the participant gave: it opens the caller's organisation's records of
    /// them to `party`. Only an organisation that registered the person records one.
    static func give(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "record consent", request)
        let person = try context.personParameter(year: s.today.year)
        let (body, bytes) = try await Body.json(Give.self, request)
        let idempotency = try Idempotency(request, principal: principal, body: bytes)
        if let replay = try await idempotency?.replay(s) { return replay }
        let consent = try await record(
            body: ["party": body.party, "validFrom": body.validFrom, "validUntil": body.validUntil].compactMapValues { $0 }, person: person, request, context,
            s,
            principal: principal, idempotency: idempotency)
        return JSONResponse.make(Documents.consent(consent), status: .created)
    }

    /// Validates and records a consent (the API's and the page's): `party` (required),
    /// `validFrom` (default today), `validUntil`.
    static func record(
        body: [String: String], person: Personnummer, _ request: Request, _ context: AppContext, _ s: Services, principal: Principal,
        idempotency: Idempotency? = nil
    ) async throws -> Consent {
        var problems: [ImportProblem] = []
        let party = try? Organisationsnummer(body["party"] ?? "")
        if party == nil { problems.append(.init(line: 0, column: "party", reason: "is not a valid organisationsnummer")) }
        if party == principal.organisation { problems.append(.init(line: 0, column: "party", reason: "is your own organisation, which needs no consent")) }
        var from = s.today
        var until: Day?
        if let text = body["validFrom"] {
            do { from = try Day(plausibleISO: text) } catch { problems.append(.init(line: 0, column: "validFrom", reason: error.description)) }
        }
        if let text = body["validUntil"] {
            do { until = try Day(plausibleISO: text) } catch { problems.append(.init(line: 0, column: "validUntil", reason: error.description)) }
        }
        if let until, until < from { problems.append(.init(line: 0, column: "validUntil", reason: "is before validFrom")) }
        guard problems.isEmpty, let party else { throw APIError.invalid("the consent was not saved / samtycket sparades inte", problems: problems) }
        let (validFrom, validUntil) = (from, until)
        let now = s.now()
        let channel = context.channel(request)
        let consent: Consent?
        do {
            consent = try await s.store.giveConsent(
                person, by: principal.organisation, to: party, from: validFrom, until: validUntil,
                audit: {
                    s.draft(principal, "consent", person: person, channel: channel, detail: "consent \($0) for \(party)", subjects: [principal.organisation])
                },
                at: now,
                beforeCommit: { session, consent in
                    try await idempotency?.save(status: .created, body: Documents.consent(consent), now: now, in: session)
                })
        } catch is OrganisationError {
            throw APIError.invalid(
                "the consent was not saved / samtycket sparades inte",
                problems: [.init(line: 0, column: "party", reason: "is not an organisation in the registry")])
        }
        guard let consent else { throw APIError.refused(person, channel: channel) }
        return consent
    }

    static func withdraw(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "withdraw consent", request)
        let person = try context.personParameter(year: s.today.year)
        guard let id = context.parameters.get("consentId").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        let bytes = try await Body.bytes(request, limit: Limits.jsonBody)
        var day = s.today
        if !bytes.isEmpty {
            guard let body = try? JSONDecoder().decode(Withdraw.self, from: Data(bytes)) else {
                throw APIError.badRequest("the body must be {\"date\": \"YYYY-MM-DD\"}")
            }
            if let text = body.date {
                do { day = try Day(plausibleISO: text) } catch {
                    throw APIError.invalid("the withdrawal was not saved", problems: [.init(line: 0, column: "date", reason: error.description)])
                }
            }
        }
        try await withdrawConsent(id, person: person, on: day, request, context, s, principal: principal)
        return JSONResponse.make(.object([("id", .int(Int(id))), ("withdrawnOn", .string(day.description))]))
    }

    /// Withdraws one of the caller's organisation's consents from `day` (the API's and the page's).
    static func withdrawConsent(
        _ id: Int64, person: Personnummer, on day: Day, _ request: Request, _ context: AppContext, _ s: Services, principal: Principal
    ) async throws {
        let now = s.now()
        let channel = context.channel(request)
        let own = principal.organisation
        let outcome = try await s.store.withdrawConsent(
            id, of: person, by: own, on: day,
            audit: s.draft(principal, "withdraw", person: person, channel: channel, detail: "consent \(id) from \(day)", subjects: [own]), at: now)
        guard let outcome else { throw APIError.refused(person, channel: channel) }
        guard outcome else { throw APIError.notFound("no such consent that is not already withdrawn / samtycket finns inte") }
    }
}
