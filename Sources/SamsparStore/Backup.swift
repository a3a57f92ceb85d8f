import Foundation
import SamsparDomain

extension SamsparStore {
    /// The rows of one of the tables `db copy` and a backup copy (a backup's check after
    /// writing); `nil` for any other name.
    public func rowCount(_ table: String) async throws -> Int? {
        guard DatabaseCopy.tables.contains(where: { $0.name == table }) else { return nil }
        return try await read { try await $0.query("SELECT count(*) AS n FROM \(table)").first?["n"].int.map(Int.init) }
    }

    /// A restore's first step (SPEC §2, §5; issue 24): every registration whose line (`line`,
    /// the HMAC of ``RemovalList``) is on the removal list kept beside the audit key was weeded
    /// or erased after the backup was taken, and is removed again as retention removes it,
    /// whole or not at all, with one audit entry per organisation. The list already names them.
    public func removeListed(
        _ listed: Set<String>, line: @Sendable (PersonParty) -> String, today: Day,
        audit: @Sendable (Organisationsnummer, Removal) -> AuditDraft, at now: Date
    ) async throws -> [(Organisationsnummer, Removal)] {
        try await transaction { s in
            guard !listed.isEmpty else { return [] }
            let all = try await s.query("SELECT person_id, org_number FROM registrations ORDER BY org_number, person_id").compactMap {
                row -> PersonParty? in
                guard let person = row["person_id"].int, let org = row["org_number"].int else { return nil }
                return PersonParty(person: person, org: org)
            }
            var done: [(Organisationsnummer, Removal)] = []
            for (org, registrations) in Dictionary(grouping: all.filter { listed.contains(line($0)) }, by: \.org).sorted(by: { $0.key < $1.key }) {
                let removal = try await RetentionRows.remove(registrations, today: today, in: s)
                try await RetentionRows.noteEffect(removal, of: org, today: today, in: s)
                done.append((Organisationsnummer(storedValue: org), removal))
            }
            try await AuditLog.append(done.map { audit($0.0, $0.1) }, at: now, in: s)
            return done
        }
    }
}
