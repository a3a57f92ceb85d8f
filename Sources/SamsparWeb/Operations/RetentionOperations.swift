import Foundation
import SamsparDomain
import SamsparStore

/// Retention and erasure (SPEC §2 *Personal data over time*, issue 22). The operator sets each
/// organisation's period and decision, plans and runs retention, and erases a registration
/// made in error; every act is audited under the organisation it concerns, so that the
/// organisation's auditor sees it in their share of the log. No entry names a removed person.
public enum RetentionOperations {
    /// Only the operator weeds and erases: an organisation's own users never remove records
    /// from a log other parties and the auditor rely on.
    static func mayRemove(_ caller: Caller) -> Bool {
        Mutant.decide("retention.operatorOnly", caller.organisation == nil)
    }

    /// The longest decision reference kept (a diary number and a paragraph, not a text).
    public static let maxDecisionLength = 200

    public static func setRetention(years: Int, decision: String, of org: Organisationsnummer, _ caller: Caller, _ s: Services) async throws {
        guard mayRemove(caller) else { throw APIError.forbidden("retention is set by the operator only") }
        guard Retention.periods.contains(years) else {
            throw APIError.invalid(
                "--retention-years \(years) is not a number of years from \(Retention.periods.lowerBound) to \(Retention.periods.upperBound)")
        }
        let reference = decision.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reference.isEmpty, reference.count <= maxDecisionLength, !reference.contains(where: \.isNewline) else {
            throw APIError.invalid("--retention-decision must name the decision (gallringsbeslut) on one line of at most \(maxDecisionLength) characters")
        }
        try await s.store.setRetention(
            RetentionSetting(years: years, decision: reference), of: org,
            audit: caller.entry("retention-setting", detail: "\(org): \(RetentionSetting(years: years, decision: reference))", registrations: [marker(org)]),
            at: s.now())
    }

    /// What a run would remove as of `today`; changes nothing but the log (one entry per
    /// organisation, which its auditor sees).
    public static func plan(for org: Organisationsnummer?, today: Day, _ caller: Caller, _ s: Services) async throws -> RetentionPlan {
        guard mayRemove(caller) else { throw APIError.forbidden("retention is planned by the operator only") }
        return try await s.store.retentionPlan(
            for: org, today: today,
            audit: { line in
                caller.entry("retention-plan", detail: "\(line.organisation) as of \(today): \(describe(line))", registrations: [marker(line.organisation)])
            }, at: s.now())
    }

    /// Removes everything due as of `today`, whole or not at all; each removed registration is
    /// first added to the removal list beside the audit key.
    public static func run(
        for org: Organisationsnummer?, today: Day, removalList: RemovalList, _ caller: Caller, _ s: Services
    ) async throws -> [(RetentionPlan.Line, Removal)] {
        guard mayRemove(caller) else { throw APIError.forbidden("retention is run by the operator only") }
        return try await s.store.retentionRun(
            for: org, today: today, beforeCommit: { try removalList.append($0) },
            audit: { line, removal in
                guard let setting = line.setting else { return nil }
                return caller.entry(
                    "retention-run",
                    detail: "\(line.organisation) as of \(today), \(setting): removed \(removal.summary)",
                    registrations: [marker(line.organisation)])
            }, at: s.now())
    }

    /// What the installation keeps only for a while goes with every run: expired sessions and
    /// stored idempotent answers older than 24 hours.
    public static func forgetExpired(_ caller: Caller, _ s: Services) async throws -> (sessions: Int, answers: Int) {
        guard mayRemove(caller) else { throw APIError.forbidden("retention is run by the operator only") }
        return try await s.store.forgetExpired(
            now: s.now(),
            audit: { caller.entry("forget-expired", detail: "\($0) expired sessions, \($1) stored answers older than 24 hours") })
    }

    /// Erases `person`'s registration at `org`, citing `reason`. `nil` when the organisation
    /// holds none: the same answer whether or not another party holds the person, and an
    /// entry that says nothing was erased (naming nobody).
    public static func erase(
        _ person: Personnummer, of org: Organisationsnummer, reason: String, removalList: RemovalList, _ caller: Caller, _ s: Services
    ) async throws -> Removal? {
        guard mayRemove(caller) else { throw APIError.forbidden("a registration is erased by the operator only") }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty, why.count <= maxDecisionLength, !why.contains(where: \.isNewline) else {
            throw APIError.invalid("--reason must cite the organisation's decision on one line of at most \(maxDecisionLength) characters")
        }
        let removal = try await s.store.erase(
            person, of: org, today: s.today, beforeCommit: { try removalList.append($0) },
            audit: { caller.entry("erase", detail: "\(org): one registration erased (\($0.summary)); reason: \(why)", registrations: [marker(org)]) },
            at: s.now())
        if removal == nil {
            try await s.store.appendAudit(
                [caller.entry("erase", detail: "\(org): nothing erased (no such registration); reason: \(why)", registrations: [marker(org)])],
                at: s.now())
        }
        return removal
    }

    /// An entry about an organisation as a whole names it as a subject with person 0 (as the
    /// joint figures do), so that its auditor's share of the log includes it.
    static func marker(_ org: Organisationsnummer) -> PersonParty { PersonParty(person: 0, org: org.value) }

    /// One plan line in words, as the log and the command line give it.
    public static func describe(_ line: RetentionPlan.Line) -> String {
        guard let setting = line.setting else { return "no retention decision: nothing is ever removed" }
        let parts = line.parts.map { "\($0.count) \($0.kind)" + ($0.oldest.map { " (oldest \($0))" } ?? "") }
        return "\(setting): due \(parts.joined(separator: ", "))"
    }
}
