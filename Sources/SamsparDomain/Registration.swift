/// One party's registration of a person (SPEC §2, *Registrations*): the attributes as that
/// party knows them, the party, its kind, and when the registration last changed.
public struct Registration: Sendable, Equatable {
    public var record: ParticipantRecord
    public var party: Organisationsnummer
    /// The party's kind in the organisation registry; `nil` when it is not there.
    public var partyKind: OrganisationKind?
    /// Larger is more recent (the store's change counter).
    public var changed: Int64
    /// The party's own reference to a protected registration (SPEC §2, *Protected identity*):
    /// what its pages link with instead of the identity number. `nil` when it is not marked,
    /// and in what another party gets.
    public var protectedRef: String?
    /// True when what is protected was taken out before the viewer got it (another party's
    /// protected registration, seen under consent): its name, home municipality and exit
    /// reason are gone, and its records' providers and reasons.
    public var withheld = false

    public init(record: ParticipantRecord, party: Organisationsnummer, partyKind: OrganisationKind?, changed: Int64, protectedRef: String? = nil) {
        self.record = record
        self.party = party
        self.partyKind = partyKind
        self.changed = changed
        self.protectedRef = protectedRef
    }

    public var person: Personnummer { record.person }
    /// Whether the party marked its registration as protected (also when what it protects was
    /// already withheld from the viewer).
    public var isProtected: Bool { protectedRef != nil || withheld }
}

/// A registration with the events and status changes its party recorded.
public struct RegisteredFacts: Sendable {
    public var registration: Registration
    public var events: [TrackEventFact]
    public var statuses: [StatusFact]

    public init(registration: Registration, events: [TrackEventFact] = [], statuses: [StatusFact] = []) {
        self.registration = registration
        self.events = events
        self.statuses = statuses
    }
}

extension RegisteredFacts {
    /// The facts as they stood on `day`: the events and status changes dated after it left out.
    /// The stores apply the same cut when they load for one day; a page that needs several
    /// days (the dashboard's quarters) loads once for the last and cuts here.
    public func asOf(_ day: Day) -> RegisteredFacts {
        // Most facts have nothing later (the quarters' closes cut 35 quarters from one read):
        // then the arrays are shared, not copied.
        guard events.contains(where: { $0.date > day }) || statuses.contains(where: { $0.date > day }) else { return self }
        var facts = self
        facts.events.removeAll { $0.date > day }
        facts.statuses.removeAll { $0.date > day }
        return facts
    }
}

extension RegisteredFacts {
    /// The two halves of a report's read (each person whole in one of them) as one array in
    /// identity-number order, so that the report input need not sort it (issue 27: every
    /// report, and each of a close's five or six, sorted the concatenated halves again). Two
    /// halves each in order are merged in one pass; otherwise they are joined and sorted.
    /// Either way each person's registrations keep the order they were read in.
    public static func inPersonOrder(_ a: [RegisteredFacts], _ b: [RegisteredFacts] = []) -> [RegisteredFacts] {
        // By index: a zip of the two would copy (and retain) every element to compare two numbers.
        func sorted(_ x: [RegisteredFacts]) -> Bool {
            var i = x.startIndex + 1
            while i < x.endIndex {
                if x[i - 1].registration.record.person > x[i].registration.record.person { return false }
                i += 1
            }
            return true
        }
        if b.isEmpty && sorted(a) { return a }
        guard sorted(a), sorted(b) else {
            var all = a + b
            all.sort { $0.registration.person < $1.registration.person }
            return all
        }
        var result: [RegisteredFacts] = []
        result.reserveCapacity(a.count + b.count)
        var (i, j) = (a.startIndex, b.startIndex)
        while i < a.endIndex, j < b.endIndex {
            if b[j].registration.person < a[i].registration.person {
                result.append(b[j])
                j += 1
            } else {
                result.append(a[i])
                i += 1
            }
        }
        result.append(contentsOf: a[i...])
        result.append(contentsOf: b[j...])
        return result
    }
}

/// How the figures count one person from several parties' registrations (SPEC §2): once,
/// from the union of the registrations that exist at `asOf` and all their dated records.
public enum Registrations {
    /// The precedence of a party's kind where registrations disagree: the municipality first,
    /// then Arbetsförmedlingen, then any other.
    public static func rank(_ kind: OrganisationKind?) -> Int {
        switch kind {
        case .municipality?: 0
        case .employmentService?: 1
        default: 2
        }
    }

    /// True when `a` comes before `b`: by kind, then the one changed most recently; the lower
    /// organisation number breaks a remaining tie, so the order is total.
    public static func precedes(_ a: Registration, _ b: Registration) -> Bool {
        let (ra, rb) = (rank(a.partyKind), rank(b.partyKind))
        if ra != rb { return ra < rb }
        if a.changed != b.changed { return a.changed > b.changed }
        return a.party.value < b.party.value
    }

    /// The person as the figures see them on `asOf`, or `nil` when no registration exists yet:
    /// - `registered_on` is the earliest;
    /// - exited only when every registration has an exit on or before `asOf`, on the latest;
    /// - every other attribute from the first registration in precedence order that has a
    ///   value for it (a sex derived from the identity number is not a value).
    public static func merge(_ registrations: [Registration], asOf: Day) -> ParticipantRecord? {
        let existing = registrations.filter { $0.record.registeredOn <= asOf }.sorted(by: precedes)
        guard let first = existing.first else { return nil }
        var merged = first.record
        merged.registeredOn = existing.map(\.record.registeredOn).min()!
        let exits = existing.map { $0.record.exitedOn.flatMap { $0 <= asOf ? $0 : nil } }
        merged.exitedOn = exits.contains(nil) ? nil : exits.compactMap { $0 }.max()
        merged.exitReason = merged.exitedOn == nil ? nil : existing.lazy.compactMap(\.record.exitReason).first
        merged.givenName = existing.lazy.compactMap(\.record.givenName).first
        merged.familyName = existing.lazy.compactMap(\.record.familyName).first
        merged.explicitSex = existing.lazy.compactMap(\.record.explicitSex).first
        merged.educationLevel = existing.lazy.compactMap(\.record.educationLevel).first
        return merged
    }

    /// Status changes of one person from several parties: where parties record different
    /// statuses on the same date, the status of the party first in precedence order counts.
    public static func statuses(_ facts: [RegisteredFacts]) -> [StatusFact] {
        if facts.count == 1 { return facts[0].statuses }
        var seen = Set<Day>()
        var result: [StatusFact] = []
        for f in facts.sorted(by: { precedes($0.registration, $1.registration) }) {
            for s in f.statuses where seen.insert(s.date).inserted { result.append(s) }
        }
        return result.sorted { $0.date < $1.date }
    }

    /// The report's input from every party's registrations and records, each person once.
    /// Registrations dated after `asOf` do not exist for the report, nor do their records.
    ///
    /// A close makes five or six reports from one snapshot (issue 27), so the common cases
    /// copy nothing they need not: facts already cut to `asOf` and in person order are taken
    /// as they are, and a person with one registration is merged without building a group.
    public static func reportInput(_ all: [RegisteredFacts], asOf: Day) -> ReportInput {
        var facts = all
        if !all.indices.allSatisfy({ all[$0].registration.record.registeredOn <= asOf }) {
            facts = all.filter { $0.registration.record.registeredOn <= asOf }
        }
        facts = RegisteredFacts.inPersonOrder(facts)
        var input = ReportInput(participants: [], events: [], statuses: [])
        input.participants.reserveCapacity(facts.count)
        input.events.reserveCapacity(facts.reduce(0) { $0 + $1.events.count })
        var start = 0
        while start < facts.count {
            var end = start + 1
            while end < facts.count && facts[end].registration.person == facts[start].registration.person { end += 1 }
            append(person: facts[start..<end], asOf: asOf, to: &input)
            start = end
        }
        return input
    }

    /// ``reportInput(_:asOf:)`` of the facts of `all` at `positions` (each once), without
    /// copying them: a close makes each registering party's own input from its agreement's
    /// facts (issue 27), and copying the kept facts was a tenth of the closes' time.
    public static func reportInput(_ all: [RegisteredFacts], at positions: [Int], asOf: Day) -> ReportInput {
        var order = positions.filter { all[$0].registration.record.registeredOn <= asOf }
        func person(_ k: Int) -> Int64 { all[order[k]].registration.record.person.value }
        if !order.indices.dropFirst().allSatisfy({ person($0 - 1) <= person($0) }) {
            order.sort { (all[$0].registration.record.person, $0) < (all[$1].registration.record.person, $1) }
        }
        var input = ReportInput(participants: [], events: [], statuses: [])
        input.participants.reserveCapacity(order.count)
        input.events.reserveCapacity(order.reduce(0) { $0 + all[$1].events.count })
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && person(end) == person(start) { end += 1 }
            if end == start + 1 {
                let i = order[start]
                append(only: all[i].registration, events: all[i].events, statuses: all[i].statuses[...], asOf: asOf, to: &input)
            } else {
                append(person: ArraySlice(order[start..<end].map { all[$0] }), asOf: asOf, to: &input)
            }
            start = end
        }
        return input
    }

    /// Appends one person to a report's input: the registrations of `person` (all of one
    /// person, each made by `asOf`, in any order) merged (``merge(_:asOf:)``), with all their events and their
    /// status changes (``statuses(_:)``); nothing when none of them exists by `asOf`. People
    /// must be appended in identity-number order. ``reportInput(_:asOf:)`` is this for each
    /// person; a read of every agreement's population calls it as each person is read
    /// (issue 27, part 3).
    public static func append(person: ArraySlice<RegisteredFacts>, asOf: Day, to input: inout ReportInput) {
        if person.count == 1 {
            // Each part read in place: `person.first` would copy the registration with its arrays.
            let i = person.startIndex
            append(only: person[i].registration, events: person[i].events, statuses: person[i].statuses[...], asOf: asOf, to: &input)
            return
        }
        guard let merged = merge(person.map(\.registration), asOf: asOf) else { return }
        append(merged, to: &input)
        for f in person { input.events.append(contentsOf: f.events) }
        input.statuses.append(contentsOf: statuses(Array(person)))
    }

    /// ``append(person:asOf:to:)`` of a person with one registration and its records (a read of
    /// every agreement's population appends each person from buffers it keeps, issue 27). The
    /// types are concrete: called from another module, a generic one is not specialized, and
    /// each element went through a witness table (the national read took 3.3 s, not 1.9).
    public static func append(
        only registration: Registration, events: [TrackEventFact], statuses: ArraySlice<StatusFact>, asOf: Day,
        to input: inout ReportInput
    ) {
        guard let merged = merge(registration, asOf: asOf) else { return }
        append(merged, to: &input)
        input.events.append(contentsOf: events)
        input.statuses.append(contentsOf: statuses)
    }

    private static func append(_ merged: ParticipantRecord, to input: inout ReportInput) {
        input.participants.append(
            ParticipantFacts(
                person: merged.person, sex: merged.sex, municipality: merged.municipality, firstPermitDate: merged.firstPermitDate,
                registeredOn: merged.registeredOn, exitedOn: merged.exitedOn, upperSecondaryCompleted: merged.upperSecondaryCompleted))
    }

    /// ``merge(_:asOf:)`` of one registration, without the arrays: the same rules, where
    /// "every registration" and "the first with a value" are this one.
    static func merge(_ only: Registration, asOf: Day) -> ParticipantRecord? {
        guard only.record.registeredOn <= asOf else { return nil }
        var merged = only.record
        merged.exitedOn = merged.exitedOn.flatMap { $0 <= asOf ? $0 : nil }
        if merged.exitedOn == nil { merged.exitReason = nil }
        return merged
    }

    /// The attributes on which registrations of one person disagree (for the coordinator's
    /// list of disagreements), each with every party's value, in precedence order. The dates
    /// of registration and exit are each party's own facts (they have their own rule), so
    /// they are not disagreements.
    public static func disagreements(_ registrations: [Registration]) -> [(attribute: String, values: [(party: Organisationsnummer, value: String)])] {
        let ordered = registrations.sorted(by: precedes)
        guard ordered.count > 1 else { return [] }
        let attributes: [(String, (ParticipantRecord) -> String?)] = [
            ("givenName", { $0.givenName }), ("familyName", { $0.familyName }), ("sex", { $0.explicitSex?.rawValue }),
            ("municipality", { $0.municipality == .withheld ? nil : $0.municipality.description }), ("firstPermitDate", { $0.firstPermitDate.description }),
            ("upperSecondaryCompleted", { $0.upperSecondaryCompleted ? "yes" : "no" }), ("educationLevel", { $0.educationLevel }),
        ]
        var result: [(attribute: String, values: [(party: Organisationsnummer, value: String)])] = []
        for (name, value) in attributes {
            let values = ordered.compactMap { r in value(r.record).map { (party: r.party, value: $0) } }
            if Set(values.map(\.value)).count > 1 { result.append((name, values)) }
        }
        return result
    }
}
