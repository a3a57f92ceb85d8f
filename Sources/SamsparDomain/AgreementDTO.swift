import Foundation

/// The JSON document exactly as written (SPEC §4); validated into ``Agreement``.
struct AgreementDTO: Decodable {
    /// The keys a document may have, by object: a misspelt key would otherwise be ignored and
    /// its default used in silence (`maxEstablishmentDays` → 730).
    private indirect enum Shape: Sendable {
        case object([String: Shape])
        case array(Shape)
        case leaf
    }

    private static let shape: Shape = .object([
        "id": .leaf, "title": .leaf, "area": .leaf, "purpose": .leaf, "validFrom": .leaf, "periodMonths": .leaf, "nextRevision": .leaf,
        "overallGoal": .object(["maxEstablishmentDays": .leaf]),
        "targetGroups": .object([
            "a": .object(["monthsSinceFirstPermit": .leaf]), "b": .object(["minAge": .leaf, "maxAge": .leaf, "withoutUpperSecondary": .leaf]),
        ]),
        "parties": .array(.object(["orgNumber": .leaf, "name": .leaf, "kind": .leaf, "municipalityCode": .leaf, "signatory": .leaf, "title": .leaf])),
        "tracks": .array(
            .object([
                "code": .leaf, "name": .leaf, "kind": .leaf, "ssyk": .leaf, "genderGoal": .object(["sex": .leaf, "minShare": .leaf]),
                "responsible": .leaf,
            ])),
        "modelParts": .object(Dictionary(uniqueKeysWithValues: Agreement.requiredModelParts.map { ($0, Shape.leaf) })),
        "signatures": .array(.object(["orgNumber": .leaf, "place": .leaf, "date": .leaf, "name": .leaf, "title": .leaf])),
        "status": .leaf,
        "termination": .object(["orgNumber": .leaf, "date": .leaf]),
        "coordinator": .object(["name": .leaf, "title": .leaf, "orgNumber": .leaf, "email": .leaf, "phone": .leaf]),
        "decisions": .array(.object(["orgNumber": .leaf, "body": .leaf, "date": .leaf, "decision": .leaf])),
        "grants": .array(
            .object([
                "orgNumber": .leaf, "round": .leaf, "purpose": .leaf, "basis": .leaf, "applied": .leaf, "granted": .leaf, "decisionDate": .leaf,
                "reportDue": .leaf, "reportedOn": .leaf,
            ])),
        "perspectives": .object(Dictionary(uniqueKeysWithValues: Agreement.requiredPerspectives.map { ($0, Shape.leaf) })),
        "costs": .array(.object(["track": .leaf, "orgNumber": .leaf, "year": .leaf, "amount": .leaf, "source": .leaf, "spent": .leaf])),
        "subGoals": .object(["recruitment": .leaf, "acceptance": .leaf, "completion": .leaf, "outcome": .leaf]),
        "texts": .object(Dictionary(uniqueKeysWithValues: Agreement.Texts.keys.map { ($0, Shape.leaf) })),
        "timePlan": .array(.object(["date": .leaf, "milestone": .leaf])),
    ])

    /// Every key of the document that the format does not have, by path.
    static func unknownKeys(in data: Data) -> [AgreementProblem] {
        // What the decoder read and this cannot is refused, never let through unchecked.
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            return [
                .init(
                    path: "$", reason: "the document cannot be checked for misspelt keys: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
            ]
        }
        var problems: [AgreementProblem] = []
        func walk(_ value: Any, _ shape: Shape, _ path: String) {
            switch shape {
            case .leaf: return
            case .array(let element):
                guard let items = value as? [Any] else { return }
                for (i, item) in items.enumerated() { walk(item, element, "\(path)[\(i)]") }
            case .object(let members):
                guard let object = value as? [String: Any] else { return }
                for key in object.keys.sorted() {
                    let keyPath = path.isEmpty ? key : "\(path).\(key)"
                    if let inner = members[key] {
                        walk(object[key]!, inner, keyPath)
                    } else {
                        problems.append(.init(path: keyPath, reason: "is not a key of an agreement document (misspelt?)"))
                    }
                }
            }
        }
        walk(root, shape, "")
        return problems
    }

    struct Goal: Decodable { var maxEstablishmentDays: Int? }
    struct Groups: Decodable {
        struct A: Decodable { var monthsSinceFirstPermit: Int? }
        struct B: Decodable {
            var minAge: Int?
            var maxAge: Int?
            var withoutUpperSecondary: Bool?
        }
        var a: A?
        var b: B?
    }
    struct Party: Decodable {
        var orgNumber: String
        var name: String
        var kind: String
        var municipalityCode: String?
        var signatory: String?
        var title: String?
    }
    struct Track: Decodable {
        struct Goal: Decodable {
            var sex: String
            var minShare: Double
        }
        var code: String
        var name: String
        var kind: String
        var ssyk: [String]?
        var genderGoal: Goal?
        var responsible: String?
    }
    struct Signature: Decodable {
        var orgNumber: String
        var place: String?
        var date: String
        var name: String
        var title: String?
    }
    var id: String
    var title: String
    var area: String?
    var purpose: String?
    var validFrom: String
    var periodMonths: Int?
    var nextRevision: String?
    var overallGoal: Goal?
    var targetGroups: Groups?
    var parties: [Party]
    var tracks: [Track]
    var modelParts: [String: String]?
    var signatures: [Signature]?
    var status: String?
    var termination: TerminationDTO?
    var coordinator: CoordinatorDTO?
    var decisions: [DecisionDTO]?
    var grants: [GrantDTO]?
    var perspectives: [String: String]?
    var costs: [CostDTO]?
    var subGoals: SubGoalsDTO?
    var texts: [String: String]?
    var timePlan: [MilestoneDTO]?
    struct MilestoneDTO: Decodable {
        var date: String
        var milestone: String
    }
    struct CoordinatorDTO: Decodable {
        var name: String
        var title: String?
        var orgNumber: String?
        var email: String?
        var phone: String?
    }
    struct DecisionDTO: Decodable {
        var orgNumber: String
        var body: String
        var date: String
        var decision: String
    }
    struct GrantDTO: Decodable {
        var orgNumber: String
        var round: String?
        var purpose: String
        var basis: Int?
        var applied: Int
        var granted: Int?
        var decisionDate: String?
        var reportDue: String?
        var reportedOn: String?
    }
    struct CostDTO: Decodable {
        var track: String?
        var orgNumber: String
        var year: Int
        var amount: Int
        var source: String
        var spent: Int?
    }
    struct SubGoalsDTO: Decodable {
        var recruitment: Double?
        var acceptance: Double?
        var completion: Double?
        var outcome: Double?
    }
    struct TerminationDTO: Decodable {
        var orgNumber: String
        var date: String
    }
}
