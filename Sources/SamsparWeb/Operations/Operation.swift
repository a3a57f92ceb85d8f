import Foundation
import SamsparDomain
import SamsparStore

/// The operations layer (issue 16): for every act of Samspår, one place decides who may do it,
/// what the store is asked, what the audit log records and how a refusal reads. The API's
/// routes, the pages and the command line only adapt it: they parse what came in, ask the
/// concern's operations, and render the answer.
///
/// By concern, one file each:
/// - ``ParticipantOperations``: participants and their records, one at a time and in files;
/// - ``ConsentOperations``: consent given and withdrawn;
/// - ``FigureOperations``: reports, the dashboard's drill-downs and publications;
/// - ``AgreementOperations``: agreements, their drafts, signatures, revisions and notices;
/// - ``AccountOperations``: users, API tokens and sessions;
/// - ``OrganisationOperations``: the operator's organisation registry;
/// - ``AuditOperations``: the auditor's search and verification, and every refusal.
///
/// An act runs for a ``Caller``, and only this layer makes one: from a signed-in principal
/// whose role the concern's rule allows (``RoleRule/authorize(_:on:person:)``), or for the
/// operator at the command line (``Caller/operator(_:on:)``). `OperationsLintTests` holds the
/// rest of the code to that: no role decision and no audit entry outside `Operations/`.
enum Operations {}

/// Where an act came in, as the audit log names it: a route's method and pattern, as the
/// router matched it (`GET /api/v1/participants/{personId}`, `POST /deltagare/ny`), or a
/// command of the operator's (`samspar user add`). Never typed by hand beside the route.
public struct Channel: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    private init(_ text: String) { description = text }

    /// A route: `METHOD PATTERN`, the pattern as registered (no concrete identity number).
    static func route(method: String, pattern: String) -> Channel { Channel("\(method) \(pattern)") }

    /// A command of the command line, by its words after `samspar`.
    public static func command(_ words: String) -> Channel { Channel("samspar " + words) }
}

/// An act whose rule is a role's (each concern's `Act` table): which roles may do it, and how
/// a refusal names it.
protocol RoleRule: Sendable {
    var rule: (Role) -> Bool { get }
    /// How a refusal names the act ("read participants").
    var what: String { get }
}

extension RoleRule {
    /// The caller, when their role may do this act; otherwise the refusal (audited, naming
    /// `person` when the act has one).
    func authorize(_ principal: Principal?, on channel: Channel, person: Personnummer? = nil) throws -> Caller {
        try Caller.granted(rule, what, to: principal, on: channel, person: person)
    }

    /// Whether `principal` may do this act (what a page offers them).
    func allows(_ principal: Principal?) -> Bool { principal.map { rule($0.role) } ?? false }
}

/// Who does an act, and through which door; granted by the operations layer's decision.
public struct Caller: Sendable {
    enum Who: Sendable {
        /// A signed-in person or a case system's token.
        case principal(Principal)
        /// The operator at the command line: the operating-system user.
        case `operator`(String)
    }

    let who: Who
    public let channel: Channel

    private init(_ who: Who, _ channel: Channel) {
        self.who = who
        self.channel = channel
    }

    /// The signed-in principal; `nil` for the operator.
    var principal: Principal? {
        if case .principal(let p) = who { return p }
        return nil
    }

    /// The organisation the caller acts for; `nil` for the operator, who acts for none and may
    /// act on any (SPEC §5).
    var organisation: Organisationsnummer? { principal?.organisation }

    /// The operator at the command line (SPEC §5): whoever may run `samspar` on the database
    /// may do every act of its commands; each is audited with the operating-system user.
    public static func `operator`(_ name: String, on channel: Channel) -> Caller { Caller(.operator(name), channel) }

    /// The signed-in principal, whoever they are (acts every role may do); `401` otherwise.
    static func signedIn(_ principal: Principal?, on channel: Channel) throws -> Caller {
        guard let principal else { throw APIError.unauthenticated }
        return Caller(.principal(principal), channel)
    }

    /// The principal, when their role may do `what` by `rule`; otherwise `401`, or a `403`
    /// that goes into the audit log as a refusal (naming `person`, when the act has one).
    /// `scripts/mutants` turns each channel's decision around on its own ("route:CHANNEL").
    static func granted(_ rule: (Role) -> Bool, _ what: String, to principal: Principal?, on channel: Channel, person: Personnummer? = nil) throws
        -> Caller
    {
        guard let principal else { throw APIError.unauthenticated }
        guard Mutant.decide("route:" + channel.description, rule(principal.role)) else {
            var error = APIError.forbidden("the role \(principal.role.rawValue) may not \(what) / rollen \(principal.role.rawValue) saknar behörighet")
            error.refusal = .init(person: person, reason: "the role \(principal.role.rawValue) may not \(what)", channel: channel.description)
            throw error
        }
        return Caller(.principal(principal), channel)
    }

    /// The audit entry of an act of this caller.
    func entry(_ action: String, person: Personnummer? = nil, detail: String = "", subjects: [Organisationsnummer] = []) -> AuditDraft {
        entry(action, person: person, detail: detail, registrations: person.map { p in subjects.map { PersonParty(person: p.value, org: $0.value) } } ?? [])
    }

    /// The audit entry of an act of this caller, naming the registrations it touched.
    func entry(_ action: String, person: Personnummer? = nil, detail: String = "", registrations: [PersonParty]) -> AuditDraft {
        switch who {
        case .principal(let p):
            AuditDraft(
                actor: p.actor, role: p.role.rawValue, organisation: p.organisation, action: action, person: person, channel: channel.description,
                detail: detail, subjects: registrations)
        case .operator(let name):
            AuditDraft(
                actor: "cli:\(name)", role: "operator", organisation: nil, action: action, person: person, channel: channel.description, detail: detail,
                subjects: registrations)
        }
    }

    /// A refusal of this caller's act, worded for the audit log (``AuditOperations/recordRefusal(_:principal:_:)``).
    func refusal(person: Personnummer? = nil, _ reason: String) -> APIError.Refusal {
        .init(person: person, reason: reason, channel: channel.description)
    }

    /// "Not found" for a person the caller may not see or change: byte for byte the answer
    /// for a person who does not exist, and an audit entry that says it was refused.
    func refused(_ person: Personnummer?, message: String = "not found / hittades inte") -> APIError {
        var error = APIError.notFound(message)
        error.refusal = refusal(person: person, "not theirs or does not exist")
        return error
    }
}
