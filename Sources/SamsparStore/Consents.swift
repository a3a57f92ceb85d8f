import Foundation
import SamsparDomain

extension Rows {
    // MARK: Consent (SPEC §2): recorded by the party whose records it opens

    /// The consents of `person` recorded by `parties` (the records a viewer may see).
    static func consents(of person: Personnummer, recordedBy parties: [Organisationsnummer], in s: any SQLSession) async throws -> [Consent] {
        guard !parties.isEmpty else { return [] }
        return try await s.query(
            """
            SELECT id, person_id, org_number, party, valid_from, valid_until, withdrawn_on FROM consents
            WHERE person_id = $1 AND org_number IN (\((2...parties.count + 1).map { "$\($0)" }.joined(separator: ","))) ORDER BY id
            """,
            // Bound, not written into the text: one statement per count of parties, which
            // SQLite's read path prepares once and reuses (issue 27).
            [.int(person.value)] + parties.map { .int($0.value) }
        ).compactMap { row in
            guard let id = row["id"].int, let party = org(row["party"]), let from = day(row["valid_from"]), let by = org(row["org_number"])
            else { return nil }
            return Consent(
                id: id, person: person, party: party, validFrom: from, validUntil: day(row["valid_until"]), withdrawnOn: day(row["withdrawn_on"]),
                recordedBy: by)
        }
    }

    /// Records that `person` lets `party` see `organisation`'s records of them. `nil` when
    /// `organisation` has not registered the person (then, to it, they do not exist).
    static func giveConsent(
        person: Personnummer, organisation: Organisationsnummer, party: Organisationsnummer, validFrom: Day, validUntil: Day?, now: Date,
        in s: any SQLSession
    ) async throws -> Int64? {
        guard try await hasRegistered(person, organisation: organisation, in: s) else { return nil }
        let rows = try await s.query(
            """
            INSERT INTO consents (person_id, org_number, party, valid_from, valid_until, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """,
            [
                .int(person.value), .int(organisation.value), .int(party.value), .int(Int(validFrom.ordinal)),
                validUntil.map { .int(Int($0.ordinal)) } ?? .null, .text(timestamp(now)),
            ])
        return rows.first?["id"].int
    }

    /// Withdraws one of `organisation`'s consents of `person` from `day`, by the rule of
    /// ``Consent/withdrawalRefusal(on:today:)``; `nil` when there is no such consent.
    static func withdrawConsent(
        id: Int64, person: Personnummer, organisation: Organisationsnummer, on day: Day, today: Day, in s: any SQLSession
    ) async throws -> WithdrawalOutcome {
        let own = Mutant.flips("sql.withdraw.own") ? "($3 = $3 OR 1 = 1)" : "org_number = $3"
        guard
            let consent = try await s.query(
                "SELECT id, person_id, org_number, party, valid_from, valid_until, withdrawn_on FROM consents WHERE id = $1 AND person_id = $2 AND \(own)",
                [.int(id), .int(person.value), .int(organisation.value)]
            ).compactMap({ row -> Consent? in
                guard let id = row["id"].int, let party = org(row["party"]), let from = Rows.day(row["valid_from"]), let by = org(row["org_number"])
                else { return nil }
                return Consent(
                    id: id, person: person, party: party, validFrom: from, validUntil: Rows.day(row["valid_until"]),
                    withdrawnOn: Rows.day(row["withdrawn_on"]), recordedBy: by)
            }).first
        else { return .noSuchConsent }
        if let refusal = consent.withdrawalRefusal(on: day, today: today) { return .refused(refusal) }
        if consent.withdrawnOn == day { return .unchanged }
        _ = try await s.query("UPDATE consents SET withdrawn_on = $1 WHERE id = $2", [.int(Int(day.ordinal)), .int(id)])
        return .withdrawn
    }
}

/// What became of a withdrawal.
public enum WithdrawalOutcome: Sendable, Equatable {
    case withdrawn
    /// The same date as recorded already.
    case unchanged
    case refused(WithdrawalRefusal)
    case noSuchConsent
}
