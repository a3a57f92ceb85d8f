import Foundation

/// The agreement's preparation and drafting (issue 9, parts 1 and 2): what the first seed's
/// nämnd decides before anything is signed, and what the parties write into the draft
/// beside the model parts. All of it is part of the agreement document (SPEC §4, grown).
extension Agreement {
    /// The person who holds the work together (*samordnare* of the collaboration).
    public struct Coordinator: Sendable, Equatable {
        public var name: String
        public var title: String?
        public var orgNumber: Organisationsnummer?
        public var email: String?
        public var phone: String?

        public init(name: String, title: String? = nil, orgNumber: Organisationsnummer? = nil, email: String? = nil, phone: String? = nil) {
            self.name = name
            self.title = title
            self.orgNumber = orgNumber
            self.email = email
            self.phone = phone
        }
    }

    /// A decision behind the agreement: which body of which party decided what, and when.
    public struct Decision: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        /// The deciding body: "Arbetsmarknadsnämnden", "Förbundsstyrelsen", …
        public var body: String
        public var date: Day
        public var decision: String

        public init(orgNumber: Organisationsnummer, body: String, date: Day, decision: String) {
            self.orgNumber = orgNumber
            self.body = body
            self.date = date
            self.decision = decision
        }
    }

    /// A grant application of a party: applied for, granted, and when the use of the money
    /// must be reported back.
    public struct Grant: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        /// The grant round whose cap table applies (``GrantRounds``), if any.
        public var round: String?
        /// What the money is for.
        public var purpose: String
        /// The round's basis, e.g. the number of newly arrived people aged 18–64 received.
        public var basis: Int?
        /// Kronor applied for.
        public var applied: Int
        /// Kronor granted, once decided.
        public var granted: Int?
        public var decisionDate: Day?
        /// The last day to report back the use of the grant.
        public var reportDue: Day?
        /// The day it was reported back (ends the reminder).
        public var reportedOn: Day?

        public init(
            orgNumber: Organisationsnummer, round: String? = nil, purpose: String, basis: Int? = nil, applied: Int, granted: Int? = nil,
            decisionDate: Day? = nil, reportDue: Day? = nil, reportedOn: Day? = nil
        ) {
            self.orgNumber = orgNumber
            self.round = round
            self.purpose = purpose
            self.basis = basis
            self.applied = applied
            self.granted = granted
            self.decisionDate = decisionDate
            self.reportDue = reportDue
            self.reportedOn = reportedOn
        }
    }

    /// Where the money of a cost line comes from (SPEC §2, the first seed).
    public enum FundingSource: String, Sendable, CaseIterable, Codable {
        case stateGrant = "state_grant"
        case municipalBudget = "municipal_budget"
        case employmentService = "employment_service"
        case coordinationAssociation = "coordination_association"
        case esf
        case other
    }

    /// One line of the economic consequences: a track's or the common cost of one party in
    /// one year, planned, and what was recorded as spent.
    public struct CostLine: Sendable, Equatable {
        /// The track's code, or nil for a common cost.
        public var track: String?
        public var orgNumber: Organisationsnummer
        public var year: Int
        /// Kronor planned.
        public var amount: Int
        public var source: FundingSource
        /// Kronor recorded as spent (the follow-up's "planned against spent").
        public var spent: Int?

        public init(track: String?, orgNumber: Organisationsnummer, year: Int, amount: Int, source: FundingSource, spent: Int? = nil) {
            self.track = track
            self.orgNumber = orgNumber
            self.year = year
            self.amount = amount
            self.source = source
            self.spent = spent
        }
    }

    /// The sub-goals' targets if the parties set them (shares in (0, 1]): recruitment at the
    /// agreement's level, the others met by each track.
    public struct SubGoalTargets: Sendable, Equatable {
        public var recruitment: Double?
        public var acceptance: Double?
        public var completion: Double?
        public var outcome: Double?
        public init(recruitment: Double? = nil, acceptance: Double? = nil, completion: Double? = nil, outcome: Double? = nil) {
            self.recruitment = recruitment
            self.acceptance = acceptance
            self.completion = completion
            self.outcome = outcome
        }
        public var isEmpty: Bool { recruitment == nil && acceptance == nil && completion == nil && outcome == nil }
    }

    /// The three perspectives the first seed asks the nämnd to weigh, each assessed in writing.
    public static let requiredPerspectives = ["genderEquality", "childRights", "publicHealth"]

    /// Planned kronor per party and per source, and in all (issue 9, part 2).
    public struct CostTotals: Sendable, Equatable {
        public var byParty: [(Organisationsnummer, Int)]
        public var bySource: [(FundingSource, Int)]
        public var total: Int
        public var spent: Int

        public static func == (l: CostTotals, r: CostTotals) -> Bool {
            l.byParty.map(\.0) == r.byParty.map(\.0) && l.byParty.map(\.1) == r.byParty.map(\.1) && l.bySource.map(\.0) == r.bySource.map(\.0)
                && l.bySource.map(\.1) == r.bySource.map(\.1) && l.total == r.total && l.spent == r.spent
        }
    }

    /// Totals of the cost lines (of `year` only when given): parties in the agreement's order,
    /// sources in ``FundingSource``'s order; a party or source without lines is left out.
    public func costTotals(year: Int? = nil) -> CostTotals {
        let lines = costs.filter { year == nil || $0.year == year }
        var byParty: [(Organisationsnummer, Int)] = []
        for party in parties {
            let sum = lines.filter { $0.orgNumber == party.orgNumber }.reduce(0) { $0 + $1.amount }
            if lines.contains(where: { $0.orgNumber == party.orgNumber }) { byParty.append((party.orgNumber, sum)) }
        }
        var bySource: [(FundingSource, Int)] = []
        for source in FundingSource.allCases where lines.contains(where: { $0.source == source }) {
            bySource.append((source, lines.filter { $0.source == source }.reduce(0) { $0 + $1.amount }))
        }
        return CostTotals(
            byParty: byParty, bySource: bySource, total: lines.reduce(0) { $0 + $1.amount }, spent: lines.reduce(0) { $0 + ($1.spent ?? 0) })
    }

    /// Each grant whose amount applied for is above its round's cap, with the cap.
    public func grantsOverCap(_ rounds: GrantRounds) -> [(grant: Grant, cap: Int)] {
        grants.compactMap { g in
            guard let id = g.round, let basis = g.basis, let cap = rounds.cap(round: id, basis: basis), g.applied > cap else { return nil }
            return (g, cap)
        }
    }
}

/// The cap tables of the state grant's rounds, kept as data (issue 9, part 1): a later round
/// replaces or adds a file, not code. The bundled `grant-rounds.json` holds Dua's 2017 round
/// for drafting an agreement.
public struct GrantRounds: Sendable, Equatable {
    public struct Bracket: Sendable, Equatable {
        public var from: Int
        /// Inclusive; nil for "and more".
        public var through: Int?
        public var cap: Int
    }

    public struct Round: Sendable, Equatable {
        public var id: String
        public var title: String
        public var basis: String
        public var brackets: [Bracket]
    }

    public var rounds: [Round]

    /// The cap of `round` for a basis (nil: no such round, or no bracket holds the basis).
    public func cap(round id: String, basis: Int) -> Int? {
        rounds.first { $0.id == id }?.brackets.first { basis >= $0.from && basis <= ($0.through ?? Int.max) }?.cap
    }

    public func round(_ id: String) -> Round? { rounds.first { $0.id == id } }

    private struct DTO: Decodable {
        struct R: Decodable {
            struct B: Decodable {
                var from: Int
                var through: Int?
                var cap: Int
            }
            var id: String
            var title: String
            var basis: String
            var brackets: [B]
        }
        var rounds: [R]
    }

    /// Reads a cap-table file: brackets ascending from 0 without gaps or overlaps, the last
    /// one open or closed, caps positive.
    public static func parse(json data: Data) throws(AgreementError) -> GrantRounds {
        let dto: DTO
        do { dto = try JSONDecoder().decode(DTO.self, from: data) } catch let error as DecodingError {
            throw AgreementError(problems: [AgreementProblem(decoding: error)])
        } catch { throw AgreementError(problems: [.init(path: "$", reason: "not a JSON document")]) }
        var problems: [AgreementProblem] = []
        var ids = Set<String>()
        for (i, r) in dto.rounds.enumerated() {
            if r.id.isEmpty || !ids.insert(r.id).inserted { problems.append(.init(path: "rounds[\(i)].id", reason: "'\(r.id)' is empty or used twice")) }
            var next = 0
            for (j, b) in r.brackets.enumerated() {
                let path = "rounds[\(i)].brackets[\(j)]"
                if b.from != next { problems.append(.init(path: "\(path).from", reason: "\(b.from) should be \(next): brackets run from 0 without gaps")) }
                if let through = b.through, through < b.from { problems.append(.init(path: "\(path).through", reason: "\(through) is below from")) }
                if b.cap <= 0 { problems.append(.init(path: "\(path).cap", reason: "\(b.cap) is not a positive amount")) }
                for (name, value) in [("from", b.from), ("through", b.through ?? 0), ("cap", b.cap)] where value > 10_000_000_000 {
                    problems.append(.init(path: "\(path).\(name)", reason: "\(value) is more than ten thousand million"))
                }
                if b.through == nil && j != r.brackets.count - 1 {
                    problems.append(.init(path: "\(path).through", reason: "only the last bracket may be open"))
                }
                next = min(b.through ?? 10_000_000_000, 10_000_000_000) + 1
            }
            if r.brackets.isEmpty { problems.append(.init(path: "rounds[\(i)].brackets", reason: "a round needs its brackets")) }
        }
        guard problems.isEmpty else { throw AgreementError(problems: problems) }
        return GrantRounds(
            rounds: dto.rounds.map { r in
                Round(id: r.id, title: r.title, basis: r.basis, brackets: r.brackets.map { Bracket(from: $0.from, through: $0.through, cap: $0.cap) })
            })
    }

    /// The bundled rounds (Dua 2017). `samspar serve --grant-rounds FILE` uses another file.
    public static let bundled: GrantRounds = {
        guard let url = Bundle.module.url(forResource: "grant-rounds", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url), let rounds = try? parse(json: data)
        else { fatalError("the bundled grant-rounds.json is missing or invalid (a build defect)") }
        return rounds
    }()
}
