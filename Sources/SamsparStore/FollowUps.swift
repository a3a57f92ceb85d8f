import Foundation
import SamsparDomain

extension SamsparStore {
    /// The activities the follow-up counts (issue 9, part 7): those the agreement's municipal
    /// parties registered on their own registrations dated on or before `asOf`, of people
    /// whose home municipality (in that registration) is a party, overlapping `year` up to
    /// `asOf`. Decision: the volume is the municipalities' own (their *kommuninsats*), so no
    /// other party's registration widens or narrows it.
    public func activitySpans(for agreement: Agreement, year: Int, asOf: Day) async throws -> [ActivitySpan] {
        let municipal = agreement.parties.filter { $0.kind == .municipality && $0.municipalityCode != nil }
        guard !municipal.isEmpty else { return [] }
        let first = Int(Day.firstOfYear(year).ordinal)
        let last = Int(min(Day.lastOfYear(year), asOf).ordinal)
        guard first <= last else { return [] }
        // Only integers go into the statement's text; they come from validated numbers.
        let orgs = municipal.map { String($0.orgNumber.value) }.joined(separator: ", ")
        let codes = municipal.compactMap { $0.municipalityCode.map { String($0.value) } }.joined(separator: ", ")
        let sql = """
            SELECT a.person_id, a.org_number, a.kind, a.start, a.end_date, a.hours_per_week
            FROM activities a JOIN registrations r ON r.person_id = a.person_id AND r.org_number = a.org_number
            WHERE a.org_number IN (\(orgs)) AND r.municipality IN (\(codes)) AND r.registered_on <= $1
              AND a.start <= $2 AND (a.end_date IS NULL OR a.end_date >= $3)
            ORDER BY a.person_id, a.kind, a.start, a.org_number
            """
        return try await read { s in
            try await s.query(sql, [.int(Int(asOf.ordinal)), .int(last), .int(first)]).compactMap { row in
                guard let person = row["person_id"].int, let kind = row["kind"].text, let start = row["start"].int else { return nil }
                return ActivitySpan(
                    person: person, kind: kind, start: Day(ordinal: Int32(start)), end: row["end_date"].int.map { Day(ordinal: Int32($0)) },
                    hoursPerWeek: row["hours_per_week"].real, party: row["org_number"].int ?? 0)
            }
        }
    }

    /// The activities of ``activitySpans(for:year:asOf:)`` for every year from `firstYear`
    /// through `asOf`'s, each with its registration's date, for quarters' closes to cut from
    /// (``CloseSnapshot/cut(_:to:)``).
    func datedActivitySpans(for agreement: Agreement, from firstYear: Int, asOf: Day) async throws -> [(span: ActivitySpan, registeredOn: Day)] {
        let municipal = agreement.parties.filter { $0.kind == .municipality && $0.municipalityCode != nil }
        guard !municipal.isEmpty else { return [] }
        let first = Int(Day.firstOfYear(firstYear).ordinal)
        let last = Int(asOf.ordinal)
        guard first <= last else { return [] }
        // Only integers go into the statement's text; they come from validated numbers.
        let orgs = municipal.map { String($0.orgNumber.value) }.joined(separator: ", ")
        let codes = municipal.compactMap { $0.municipalityCode.map { String($0.value) } }.joined(separator: ", ")
        let sql = """
            SELECT a.person_id, a.org_number, a.kind, a.start, a.end_date, a.hours_per_week, r.registered_on
            FROM activities a JOIN registrations r ON r.person_id = a.person_id AND r.org_number = a.org_number
            WHERE a.org_number IN (\(orgs)) AND r.municipality IN (\(codes)) AND r.registered_on <= $1
              AND a.start <= $2 AND (a.end_date IS NULL OR a.end_date >= $3)
            ORDER BY a.person_id, a.kind, a.start, a.org_number
            """
        return try await read { s in
            // Columns by position, as the statement lists them.
            // Closes read agreements two at a time, one per core: three processes for one read
            // (the plan PostgreSQL chose) cost 0.45 s of CPU nationally, one 0.2 s (issue 27).
            try await s.inOneProcess()
            var spans: [(span: ActivitySpan, registeredOn: Day)] = []
            try await s.forEachRow(sql, [.int(last), .int(last), .int(first)]) { row in
                guard let person = row.int(0), let kind = row.text(2), let start = row.int(3), let registered = row.int(6) else { return }
                let span = ActivitySpan(
                    person: person, kind: kind, start: Day(ordinal: Int32(start)), end: row.int(4).map { Day(ordinal: Int32($0)) },
                    hoursPerWeek: row.real(5), party: row.int(1) ?? 0)
                spans.append((span, Day(ordinal: Int32(registered))))
            }
            return spans
        }
    }

    /// The report with its follow-up (issue 9, part 7).
    public func followUp(agreementID: String, year: Int, asOf: Day) async throws -> (Report, StoredAgreement, FollowUp) {
        let (report, stored) = try await report(agreementID: agreementID, year: year, asOf: asOf)
        let spans = try await activitySpans(for: stored.agreement, year: year, asOf: asOf)
        return (report, stored, FollowUp(report: report, agreement: stored.agreement, activities: spans))
    }
}
