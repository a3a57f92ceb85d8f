import Foundation
import SamsparDomain
import SamsparStore

/// Reads of personal data that the API and the pages share: the same access decision (the
/// store's, through ``AccessSQL``) and the same audit entry, written once (issue 8: "a page
/// that shows personal data is audited like an API read").
enum Reads {
    /// The participant as the caller may see them, audited as a read naming every party whose
    /// records it showed; a refusal (audited) when they see nothing of the person.
    static func participant(_ principal: Principal, _ person: Personnummer, channel: String, _ s: Services) async throws -> ParticipantView {
        guard let view = try await s.store.participant(person, visibleTo: principal.organisation, on: s.today) else {
            throw APIError.refused(person, channel: channel)
        }
        try await s.auditBuffer.record([s.draft(principal, "read", person: person, channel: channel, subjects: view.parties)])
        return view
    }

    /// The acts on the caller's organisation's own records of the person (SPEC §2), audited.
    static func accessLog(_ principal: Principal, _ person: Personnummer, after: Int64, limit: Int, channel: String, _ s: Services) async throws
        -> [AuditEntry]
    {
        let own = principal.organisation
        guard let entries = try await s.store.accessLog(of: person, keptBy: own, after: after, limit: limit) else {
            throw APIError.refused(person, channel: channel)
        }
        try await s.auditBuffer.record([s.draft(principal, "read-access-log", person: person, channel: channel, subjects: [own])])
        return entries
    }

    /// The participant page's two reads, the person and the acts on the caller's own records
    /// of them (`nil` when the caller's organisation has not registered the person), audited
    /// in one commit as the two API reads are.
    static func participantPage(_ principal: Principal, _ person: Personnummer, channel: String, _ s: Services) async throws -> (
        ParticipantView, [AuditEntry]?
    ) {
        guard let view = try await s.store.participant(person, visibleTo: principal.organisation, on: s.today) else {
            throw APIError.refused(person, channel: channel)
        }
        let own = principal.organisation
        let log = try await s.store.accessLog(of: person, keptBy: own, after: 0, limit: 50, newestFirst: true)
        var drafts = [s.draft(principal, "read", person: person, channel: channel, subjects: view.parties)]
        if log != nil { drafts.append(s.draft(principal, "read-access-log", person: person, channel: channel, subjects: [own])) }
        try await s.auditBuffer.record(drafts)
        return (view, log)
    }

    /// People shown in a list (a search, "Att göra", an export, a drill-down): one audit entry
    /// each, naming the parties whose records the list drew on, before the list leaves.
    static func listed(
        _ principal: Principal, _ shown: [(person: Personnummer, parties: [Organisationsnummer])], action: String, channel: String, _ s: Services
    )
        async throws
    {
        try await s.auditBuffer.record(shown.map { s.draft(principal, action, person: $0.person, channel: channel, subjects: $0.parties) })
    }
}
