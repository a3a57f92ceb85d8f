/// The agreement's life (issue 9, parts 3 and 4): what is missing before the parties can
/// sign it in Samspår, and its status on a day.
extension Agreement {
    /// A party's notice that it ends the agreement, from `date`.
    public struct Termination: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        public var date: Day

        public init(orgNumber: Organisationsnummer, date: Day) {
            self.orgNumber = orgNumber
            self.date = date
        }
    }

    /// The status on a day, with the period it is in.
    public struct Lifecycle: Sendable, Equatable {
        public var status: Status
        /// The first and last day of the period in force (nil before `validFrom` and for a draft).
        public var periodStart: Day?
        public var periodEnd: Day?
        /// The last day the agreement holds, once a termination is recorded.
        public var lastDay: Day?

        public init(status: Status, periodStart: Day? = nil, periodEnd: Day? = nil, lastDay: Day? = nil) {
            self.status = status
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.lastDay = lastDay
        }
    }

    /// Every party has signed (and the document does not call itself a draft).
    public var signedByAll: Bool {
        let signed = Set(signatures.map(\.orgNumber))
        return status != .draft && !parties.isEmpty && parties.allSatisfy { signed.contains($0.orgNumber) }
    }

    /// The first day of period `k` (0 is the first): counted from `validFrom` each time, so a
    /// 31 January start keeps its day where the month has it ("ett år i taget").
    func periodStart(_ k: Int) -> Day { validFrom.adding(months: k * periodMonths) }

    /// The period (index) that `day` falls in; `day` is on or after `validFrom`.
    func period(of day: Day) -> Int {
        var k = max(0, (day.year - validFrom.year) * 12 / max(1, periodMonths) - 1)
        while periodStart(k + 1) <= day { k += 1 }
        while k > 0 && periodStart(k) > day { k -= 1 }
        return k
    }

    /// SPEC-less rule of issue 9, part 4: `draft` until every party has signed; `signed` until
    /// `validFrom`; then `active`, renewing by itself one period at a time, until a party records
    /// a termination: it is `expired` after the last day of the period in which the
    /// termination's date falls (a date before `validFrom` ends it with the first period).
    public func lifecycle(on day: Day) -> Lifecycle {
        guard signedByAll else { return Lifecycle(status: .draft) }
        let lastDay = termination.map { t in periodStart(period(of: max(t.date, validFrom)) + 1).adding(days: -1) }
        guard day >= validFrom else { return Lifecycle(status: .signed, lastDay: lastDay) }
        if let lastDay, day > lastDay { return Lifecycle(status: .expired, lastDay: lastDay) }
        let k = period(of: day)
        return Lifecycle(status: .active, periodStart: periodStart(k), periodEnd: periodStart(k + 1).adding(days: -1), lastDay: lastDay)
    }

    /// What is missing before the parties can sign in Samspår (issue 9, part 3), in the
    /// document's order. Empty: nothing blocks signing. (An agreement signed elsewhere and
    /// imported keeps the checks of ``parse(json:)``.)
    public var missingForSigning: [AgreementProblem] {
        var missing: [AgreementProblem] = []
        for party in parties where (party.signatory ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            missing.append(.init(path: "parties.\(party.orgNumber)", reason: "\(party.name) has no signatory"))
        }
        if (purpose ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            missing.append(.init(path: "purpose", reason: "the purpose is empty"))
        }
        for part in Agreement.requiredModelParts where (modelParts[part] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            missing.append(.init(path: "modelParts.\(part)", reason: "this part of the local model is empty"))
        }
        if tracks.count < 3 { missing.append(.init(path: "tracks", reason: "at least three local tracks are needed, there are \(tracks.count)")) }
        for track in tracks where track.kind == .vocational && track.ssyk.isEmpty {
            missing.append(.init(path: "tracks.\(track.code)", reason: "the vocational track \(track.name) has no occupation (SSYK 2012)"))
        }
        for track in tracks where track.responsible == nil {
            missing.append(.init(path: "tracks.\(track.code).responsible", reason: "the track \(track.name) has no responsible party"))
        }
        for perspective in Agreement.requiredPerspectives
        where (perspectives[perspective] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            missing.append(.init(path: "perspectives.\(perspective)", reason: "this perspective has no written assessment"))
        }
        if costs.isEmpty { missing.append(.init(path: "costs", reason: "the economic consequences have no cost line")) }
        return missing
    }
}

extension Agreement {
    /// What the coordinator's start page reminds of (issue 9, part 5).
    public enum Reminder: Sendable, Equatable {
        /// The next revision is within 60 days, or has passed without a new version.
        case revisionDue(Day)
        /// These parties have not signed.
        case signatureMissing([Organisationsnummer])
        /// A grant's use must be reported back by this day (within 60 days, or overdue).
        case grantReportDue(Organisationsnummer, Day)
    }

    /// Decision written down: a revision date that has passed stays a reminder (a revision
    /// overdue is due); the reminder ends when a new version sets the next date.
    public func reminders(on day: Day) -> [Reminder] {
        var reminders: [Reminder] = []
        if let revision = nextRevision, revision - day <= 60 { reminders.append(.revisionDue(revision)) }
        let signed = Set(signatures.map(\.orgNumber))
        let unsigned = parties.map(\.orgNumber).filter { !signed.contains($0) }
        if !unsigned.isEmpty { reminders.append(.signatureMissing(unsigned)) }
        for grant in grants where grant.reportedOn == nil {
            if let due = grant.reportDue, due - day <= 60 { reminders.append(.grantReportDue(grant.orgNumber, due)) }
        }
        return reminders
    }
}

/// Why a party's signature was not recorded (issue 9, part 3).
public enum SigningError: Error, Equatable, CustomStringConvertible {
    /// The newest version is signed by every party already; a change needs a revision.
    case notADraft
    case notAParty(Organisationsnummer)
    case alreadySigned(Organisationsnummer)
    /// The completeness check is not empty.
    case incomplete([AgreementProblem])
    case emptyName
    /// A signature dated after the day it is recorded.
    case futureDate(Day)

    public var description: String {
        switch self {
        case .notADraft: "the agreement is signed by every party; start a revision to change it"
        case .notAParty(let n): "\(n) is not a party to the agreement"
        case .alreadySigned(let n): "\(n) has signed this version already"
        case .incomplete(let missing): "the agreement cannot be signed while something is missing: " + missing.map(\.description).joined(separator: "; ")
        case .emptyName: "the signature needs the signatory's name"
        case .futureDate(let day): "a signature cannot be dated after today (\(day))"
        }
    }
}

extension Agreement {
    /// A draft can be edited and signed; once every party has signed it cannot.
    public var isDraft: Bool { status == .draft }

    /// The agreement with `signature` added (issue 9, part 3): only while it is a draft, only
    /// by a party that has not signed, and only once nothing is missing. The last party's
    /// signature makes it `signed`.
    public func signing(_ signature: Signature, today: Day) throws(SigningError) -> Agreement {
        guard parties.contains(where: { $0.orgNumber == signature.orgNumber }) else { throw .notAParty(signature.orgNumber) }
        guard isDraft else { throw .notADraft }
        guard signature.date <= today else { throw .futureDate(today) }
        guard !signatures.contains(where: { $0.orgNumber == signature.orgNumber }) else { throw .alreadySigned(signature.orgNumber) }
        guard signature.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false else { throw .emptyName }
        let missing = missingForSigning
        guard Mutant.decide("agreement.signIncomplete", missing.isEmpty) else { throw .incomplete(missing) }
        var signed = self
        signed.signatures.append(signature)
        let names = Set(signed.signatures.map(\.orgNumber))
        if parties.allSatisfy({ names.contains($0.orgNumber) }) { signed.status = .signed }
        return signed
    }

    /// The draft as saved over `previous` (issue 9, part 3): signatures are recorded only by
    /// signing, so a saved draft keeps the signatures `previous` had, and only while what
    /// they signed is unchanged; any change to the text clears them, and every party signs
    /// again. Signatures in the saved document itself are not taken.
    public func savedOver(_ previous: Agreement?) -> Agreement {
        var saved = self
        saved.status = .draft
        saved.signatures = []
        guard let previous else { return saved }
        var before = previous
        before.status = .draft
        before.signatures = []
        if before == saved { saved.signatures = previous.signatures }
        return saved
    }

    /// A revision (issue 9, part 5): a new draft from this version, signatures cleared, to
    /// go through the same check and signing.
    public func revision() -> Agreement {
        var draft = self
        draft.signatures = []
        draft.status = .draft
        return draft
    }
}
