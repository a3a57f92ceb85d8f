/// An *överenskommelse* (SPEC §2), as imported from its JSON document (SPEC §4).
///
/// Built only through ``Agreement/parse(json:)``, which validates every field and reports
/// every problem at once, each with its JSON path.
public struct Agreement: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, Equatable { case draft, signed, active, expired }

    public struct Party: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        public var name: String
        public var kind: OrganisationKind
        public var municipalityCode: Kommunkod?
        public var signatory: String?
        public var title: String?

        public init(
            orgNumber: Organisationsnummer, name: String, kind: OrganisationKind, municipalityCode: Kommunkod? = nil, signatory: String? = nil,
            title: String? = nil
        ) {
            self.orgNumber = orgNumber
            self.name = name
            self.kind = kind
            self.municipalityCode = municipalityCode
            self.signatory = signatory
            self.title = title
        }
    }

    public struct Track: Sendable, Equatable {
        public var code: String
        public var name: String
        public var kind: TrackKind
        public var ssyk: [SSYKCode]
        public var genderGoal: GenderGoal?
        /// The party responsible for the track (issue 9, part 2).
        public var responsible: Organisationsnummer?

        public init(
            code: String, name: String, kind: TrackKind, ssyk: [SSYKCode] = [], genderGoal: GenderGoal? = nil, responsible: Organisationsnummer? = nil
        ) {
            self.code = code
            self.name = name
            self.kind = kind
            self.ssyk = ssyk
            self.genderGoal = genderGoal
            self.responsible = responsible
        }
    }

    public struct GenderGoal: Sendable, Equatable {
        public var sex: Sex
        public var minShare: Double

        public init(sex: Sex, minShare: Double) {
            self.sex = sex
            self.minShare = minShare
        }
    }

    public struct Signature: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        public var place: String?
        public var date: Day
        public var name: String
        public var title: String?

        public init(orgNumber: Organisationsnummer, place: String?, date: Day, name: String, title: String?) {
            self.orgNumber = orgNumber
            self.place = place
            self.date = date
            self.name = name
            self.title = title
        }
    }

    /// Target-group rules; SPEC §3's defaults are 36 months and 16–24 years.
    public struct TargetGroups: Sendable, Equatable {
        public var monthsSinceFirstPermit: Int = 36
        public var minAge: Int = 16
        public var maxAge: Int = 24
        public init() {}

        /// In target group A on at least one day of `from … through` (SPEC §3: first permit
        /// date ≤ d ≤ first permit date + the months).
        public func inA(firstPermit: Day, from: Day, through: Day) -> Bool {
            from <= through && firstPermit <= through && firstPermit.adding(months: monthsSinceFirstPermit) >= from
        }

        /// In target group B on at least one day of `from … through` (SPEC §3: aged `minAge`
        /// to `maxAge` in full years, upper-secondary education not completed).
        public func inB(birth: Day, upperSecondaryCompleted: Bool, from: Day, through: Day) -> Bool {
            guard from <= through, !upperSecondaryCompleted else { return false }
            let first = birth.adding(years: minAge)
            let last = birth.adding(years: maxAge + 1).adding(days: -1)
            return first <= through && last >= from
        }
    }

    public var id: String
    public var title: String
    public var area: String?
    public var purpose: String?
    public var validFrom: Day
    public var periodMonths: Int
    public var nextRevision: Day?
    public var maxEstablishmentDays: Int
    public var targetGroups: TargetGroups
    public var parties: [Party]
    public var tracks: [Track]
    public var modelParts: [String: String]
    public var signatures: [Signature]
    public var status: Status
    /// A party's notice of termination (issue 9): the agreement then ends with the period in
    /// which the date falls.
    public var termination: Termination? = nil
    /// Issue 9, parts 1 and 2: the preparation and what the draft carries beside the model.
    public var coordinator: Coordinator? = nil
    public var decisions: [Decision] = []
    public var grants: [Grant] = []
    /// A written assessment per perspective (``requiredPerspectives``).
    public var perspectives: [String: String] = [:]
    public var costs: [CostLine] = []
    public var subGoals = SubGoalTargets()
    /// The parties' own wording per section (issue 26, SPEC §4).
    public var texts = Texts()
    /// Dated milestones for the decision memo (issue 26); optional.
    public var timePlan: [Milestone] = []

    public init(
        id: String, title: String, area: String?, purpose: String?, validFrom: Day, periodMonths: Int, nextRevision: Day?, maxEstablishmentDays: Int,
        targetGroups: TargetGroups, parties: [Party], tracks: [Track], modelParts: [String: String], signatures: [Signature], status: Status
    ) {
        self.id = id
        self.title = title
        self.area = area
        self.purpose = purpose
        self.validFrom = validFrom
        self.periodMonths = periodMonths
        self.nextRevision = nextRevision
        self.maxEstablishmentDays = maxEstablishmentDays
        self.targetGroups = targetGroups
        self.parties = parties
        self.tracks = tracks
        self.modelParts = modelParts
        self.signatures = signatures
        self.status = status
    }

    /// The kommunkoder of the municipalities that are parties: the report's population.
    public var municipalities: [Kommunkod] {
        parties.compactMap(\.municipalityCode).sorted()
    }

    /// The five parts of the local model the Dua model requires (SPEC §2).
    public static let requiredModelParts = ["skillsNeed", "targetGroup", "organisation", "tracks", "youth"]
}

public enum OrganisationKind: String, Sendable, Codable, CaseIterable {
    case municipality
    case employmentService = "employment_service"
    case coordinationAssociation = "coordination_association"
    case region
    case other
}

public enum TrackKind: String, Sendable, Codable, CaseIterable {
    case vocational, education, other
}
