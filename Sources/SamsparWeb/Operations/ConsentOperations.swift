import Foundation
import SamsparDomain
import SamsparStore

/// Consent (*samtycke*, SPEC §2): who may read, record and withdraw it, what the store is
/// asked, what the audit log records, and how a refusal reads. Only an organisation that
/// registered the person records a consent, and it opens that organisation's records alone.
enum ConsentOperations {
    /// The acts on consent, each with the role rule that allows it (SPEC §1).
    enum Act: RoleRule {
        case read, give, withdraw

        var rule: (Role) -> Bool {
            switch self {
            case .read: \.readsParticipants
            case .give, .withdraw: \.writesParticipants
            }
        }

        var what: String {
            switch self {
            case .read: "read consent"
            case .give: "record consent"
            case .withdraw: "withdraw consent"
            }
        }
    }

    /// The consents the caller may see of the person, audited as a read of the parties whose
    /// consents it showed.
    static func list(_ person: Personnummer, _ caller: Caller, _ s: Services) async throws -> [Consent] {
        guard let viewer = caller.organisation, let (consents, parties) = try await s.store.consents(of: person, visibleTo: viewer, on: s.today) else {
            throw caller.refused(person)
        }
        try await s.auditBuffer.record([caller.entry("read", person: person, detail: "consents", subjects: parties)])
        return consents
    }

    /// Validates and records a consent the participant gave (the API's and the page's):
    /// `party` (required), `validFrom` (default today), `validUntil`. It opens the caller's
    /// organisation's records of them to `party`.
    static func give(
        _ body: [String: String], person: Personnummer, idempotency: Idempotency? = nil, _ caller: Caller, _ s: Services
    ) async throws -> Consent {
        guard let own = caller.organisation else { throw caller.refused(person) }
        var problems: [ImportProblem] = []
        let party = try? Organisationsnummer(body["party"] ?? "")
        if party == nil { problems.append(.init(line: 0, column: "party", reason: "is not a valid organisationsnummer")) }
        if party == own { problems.append(.init(line: 0, column: "party", reason: "is your own organisation, which needs no consent")) }
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
        let consent: Consent?
        do {
            consent = try await s.store.giveConsent(
                person, by: own, to: party, from: validFrom, until: validUntil,
                audit: { caller.entry("consent", person: person, detail: "consent \($0) for \(party)", subjects: [own]) }, at: s.now(),
                idempotency: idempotency?.answer { Documents.consent($0) })
        } catch IdempotencyError.concurrent {
            throw Idempotency.concurrent
        } catch is OrganisationError {
            throw APIError.invalid(
                "the consent was not saved / samtycket sparades inte",
                problems: [.init(line: 0, column: "party", reason: "is not an organisation in the registry")])
        }
        guard let consent else { throw caller.refused(person) }
        return consent
    }

    /// Withdraws one of the caller's organisation's consents from `day` (the API's and the
    /// page's): dated from the consent's first day through today, and moved only earlier
    /// (`422` at `date` otherwise, SPEC §2).
    static func withdraw(_ id: Int64, person: Personnummer, on day: Day, _ caller: Caller, _ s: Services) async throws {
        guard let own = caller.organisation else { throw caller.refused(person) }
        let outcome = try await s.store.withdrawConsent(
            id, of: person, by: own, on: day, today: s.today,
            audit: caller.entry("withdraw", person: person, detail: "consent \(id) from \(day)", subjects: [own]), at: s.now())
        switch outcome {
        case nil: throw caller.refused(person)
        case .noSuchConsent?: throw APIError.notFound("no such consent / samtycket finns inte")
        case .refused(let refusal)?:
            var error = APIError.invalid(
                "the withdrawal was not saved / återkallelsen sparades inte", problems: [.init(line: 0, column: "date", reason: refusal.description)])
            error.field = "date"
            throw error
        case .withdrawn?, .unchanged?: return
        }
    }
}
