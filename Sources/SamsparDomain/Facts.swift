/// The kinds of dated facts about one participant in one track (SPEC §2).
public enum TrackEventKind: String, Sendable, CaseIterable, Codable {
    case invited, attended, accepted, declined, started, completed, discontinued

    /// A small stable number, used as a bit index and as the stored value.
    public var code: UInt8 {
        switch self {
        case .invited: 0
        case .attended: 1
        case .accepted: 2
        case .declined: 3
        case .started: 4
        case .completed: 5
        case .discontinued: 6
        }
    }

    public init?(code: UInt8) {
        guard Int(code) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(code)]
    }
}

/// A participant's status (*utfall*) from a date on (SPEC §2).
public enum Outcome: String, Sendable, CaseIterable, Codable {
    case none, work
    case subsidizedWork = "subsidized_work"
    case studies

    /// Work with or without subsidy, or regular studies: what counts as *etablering*.
    public var isEstablished: Bool { self != .none }

    public var code: UInt8 {
        switch self {
        case .none: 0
        case .work: 1
        case .subsidizedWork: 2
        case .studies: 3
        }
    }

    public init?(code: UInt8) {
        guard Int(code) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(code)]
    }
}

/// What the report needs to know about one participant; loaded by the store.
public struct ParticipantFacts: Sendable, Equatable {
    public var person: Personnummer
    public var sex: Sex
    public var municipality: Kommunkod
    public var firstPermitDate: Day
    public var registeredOn: Day
    public var exitedOn: Day?
    public var upperSecondaryCompleted: Bool

    public init(
        person: Personnummer, sex: Sex? = nil, municipality: Kommunkod, firstPermitDate: Day,
        registeredOn: Day, exitedOn: Day? = nil, upperSecondaryCompleted: Bool
    ) {
        self.person = person
        self.sex = sex ?? person.sex
        self.municipality = municipality
        self.firstPermitDate = firstPermitDate
        self.registeredOn = registeredOn
        self.exitedOn = exitedOn
        self.upperSecondaryCompleted = upperSecondaryCompleted
    }

    /// Birth date from the identity number (SPEC §2).
    public var birthDate: Day { person.birthDate }
}

/// One track event of the report's agreement. `track` is the index of the track in
/// ``Agreement/tracks``: the store resolves codes so the rules work on small integers.
public struct TrackEventFact: Sendable, Equatable {
    public var person: Personnummer
    public var track: Int
    public var kind: TrackEventKind
    public var date: Day

    public init(person: Personnummer, track: Int, kind: TrackEventKind, date: Day) {
        self.person = person
        self.track = track
        self.kind = kind
        self.date = date
    }
}

/// One status change.
public struct StatusFact: Sendable, Equatable {
    public var person: Personnummer
    public var status: Outcome
    public var date: Day

    public init(person: Personnummer, status: Outcome, date: Day) {
        self.person = person
        self.status = status
        self.date = date
    }
}

/// Everything a report is computed from. The store may hand over more than is needed
/// (facts dated after `asOf`, participants of other municipalities): the rules ignore them.
public struct ReportInput: Sendable {
    public var participants: [ParticipantFacts]
    public var events: [TrackEventFact]
    public var statuses: [StatusFact]

    public init(participants: [ParticipantFacts], events: [TrackEventFact], statuses: [StatusFact]) {
        self.participants = participants
        self.events = events
        self.statuses = statuses
    }
}
