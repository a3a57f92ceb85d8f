import Foundation
import SamsparDomain
import SamsparStore

/// The audit log (SPEC §1, issue 7): the auditor's search and verification, and the one place
/// every refusal is written down. An auditor sees the acts of their own organisation's users
/// and tokens and every act on their organisation's records; their own searches are in the
/// log too.
public enum AuditOperations {
    /// The acts on the audit log, each with the role rule that allows it (SPEC §1).
    enum Act: RoleRule {
        case search, verify

        var rule: (Role) -> Bool { \.readsAuditLog }

        var what: String {
            switch self {
            case .search: "read the audit log"
            case .verify: "verify the audit log"
            }
        }
    }

    /// The auditor's search (the API's and the page's): the entries their organisation may
    /// see, and in the log the search itself, one entry naming every person it showed (as
    /// registrations of the auditor's organisation: each appears in that person's access log),
    /// so that the auditor's own reads do not bury everything else (issue 19).
    /// `protectedOnly`: only entries that touched a registration the auditor's own
    /// organisation marked protected (SPEC §2: the auditor sees every look at a protected person).
    static func search(_ query: AuditLog.Query, protectedOnly: Bool = false, _ caller: Caller, _ s: Services) async throws -> [AuditEntry] {
        var q = query
        q.visibleTo = caller.organisation
        q.protectedOf = protectedOnly ? caller.organisation : nil
        let entries = try await s.store.searchAudit(q)
        let people = Set(entries.compactMap(\.draft.person)).sorted()
        let shown = caller.organisation.map { org in people.map { PersonParty(person: $0.value, org: org.value) } } ?? []
        try await s.auditBuffer.record([
            caller.entry("audit-search", person: q.person, detail: "\(entries.count) entries, \(people.count) people", registrations: shown)
        ])
        return entries
    }

    /// Walks the chain, and records that it was walked.
    static func verify(_ caller: Caller, _ s: Services) async throws -> AuditLog.Verification {
        let result = try await s.store.verifyAudit()
        try await s.auditBuffer.record([caller.entry("audit-verify")])
        return result
    }

    /// The operator's walk of the chain (`samspar audit verify`), with a head kept elsewhere
    /// to find entries cut off the end. Not itself audited: it reads no personal data, and a
    /// check of the log must not change what it checks.
    public static func verifyChain(head: AuditLog.Head?, _ caller: Caller, _ s: Services) async throws -> AuditLog.Verification {
        try await s.store.verifyAudit(head: head)
    }

    /// The chain's length and head hash (`samspar audit head`), to keep somewhere else.
    public static func head(_ caller: Caller, _ s: Services) async throws -> AuditLog.Head {
        try await s.store.auditHead()
    }

    /// An act of the operator on the whole database (`samspar db copy`), in its own commit
    /// before the act begins.
    /// `samspar audit rekey` (SPEC §5, issue 24): after the audit key was lost, the operator
    /// chains the log anew with a new key (the store's); the `audit-rekey` entry records the
    /// reason and the old head. Returns the old head and the new one.
    public static func rekey(reason: String, _ caller: Caller, _ s: Services) async throws -> (old: AuditLog.Head, new: AuditLog.Head) {
        guard Mutant.decide("audit.rekeyOperatorOnly", caller.principal == nil) else {
            throw APIError.forbidden("a new audit chain is started by the operator")
        }
        let old = try await s.store.rekeyAudit(caller.entry("audit-rekey", detail: "a new key after the old was lost: \(reason)"), at: s.now())
        return (old, try await s.store.auditHead())
    }

    public static func recordAct(_ action: String, detail: String, _ caller: Caller, _ s: Services) async throws {
        try await s.store.appendAudit([caller.entry(action, detail: detail)], at: s.now())
    }

    /// Every refused read or write is in the audit log before the refusal leaves (issue 7),
    /// whether the API, a page or a file refused it: who, which person, why, and where.
    static func recordRefusal(_ error: APIError, principal: Principal?, _ s: Services) async throws {
        guard let refusal = error.refusal, let principal else { return }
        try await s.auditBuffer.record([
            AuditDraft(
                actor: principal.actor, role: principal.role.rawValue, organisation: principal.organisation, action: "refused", person: refusal.person,
                channel: refusal.channel, detail: refusal.reason)
        ])
    }
}
