import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The agreement's life over the API and the pages alike (issue 9, parts 2, 3 and 5):
/// drafting, the completeness check, a party's signature and a revision. Each is one function
/// here that both the JSON routes and the agreement pages call; each writes its audit entry
/// in the same transaction as its change.
enum AgreementLife {
    /// The error with the page text that says it (`agreementError.<key>`) and its field.
    static func tagged(_ error: APIError, _ key: String, field: String? = nil) -> APIError {
        var e = error
        e.pageText = "agreementError." + key
        e.field = field
        return e
    }

    /// Saves a draft for the principal's organisation, which must be a party of it (and of
    /// the agreement as it stands). A new agreement's id must be unused.
    static func saveDraft(_ agreement: Agreement, new: Bool = false, _ principal: Principal, channel: String, _ s: Services) async throws
        -> AgreementImportResult
    {
        guard agreement.isDraft else {
            throw APIError.invalid(
                "a draft has the status draft / ett utkast har status utkast", problems: [.init(line: 0, column: "status", reason: "must be draft")])
        }
        if new, !(try await s.store.agreementVersions(id: agreement.id)).isEmpty {
            throw APIError.conflict(AgreementStoreError.exists(agreement.id).description)
        }
        do {
            return try await s.store.saveAgreementDraft(
                agreement, at: s.now(), editor: .coordinator(principal.organisation),
                audit: { s.draft(principal, "agreement", person: nil, channel: channel, detail: "\($0.id) version \($0.version) draft saved") })
        } catch let error as AgreementStoreError {
            throw refusal(error, channel: channel)
        }
    }

    /// A party's signature, as the principal's organisation.
    static func sign(
        id: String, place: String?, date: String, name: String, title: String?, text: String? = nil, _ principal: Principal, channel: String,
        _ s: Services
    ) async throws -> (AgreementImportResult, Agreement) {
        let day: Day
        do { day = try Day(plausibleISO: date) } catch {
            throw tagged(
                APIError.invalid(
                    "the agreement was not signed / avtalet undertecknades inte", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "badDate", field: "date")
        }
        let signature = Agreement.Signature(
            orgNumber: principal.organisation, place: place?.trimmed.nilIfEmpty, date: day, name: name.trimmed, title: title?.trimmed.nilIfEmpty)
        do {
            return try await s.store.signAgreement(
                id: id, signature: signature, today: s.today, at: s.now(), text: text,
                audit: { s.draft(principal, "agreement", person: nil, channel: channel, detail: "\($0.id) version \($0.version) signed") })
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        } catch let error as AgreementStoreError {
            throw refusal(error, channel: channel)
        } catch let error as SigningError {
            switch error {
            case .notAParty:
                var refusal = APIError.forbidden("\(error.description) / din organisation är inte part i avtalet")
                refusal.refusal = .init(person: nil, reason: error.description, channel: channel)
                throw refusal
            case .notADraft: throw tagged(APIError.conflict(error.description), "notADraft")
            case .alreadySigned: throw tagged(APIError.conflict(error.description), "alreadySigned")
            case .incomplete(let missing):
                throw tagged(
                    APIError.invalid(
                        "the agreement cannot be signed while something is missing / något saknas",
                        problems: missing.map { .init(line: 0, column: $0.path, reason: $0.reason) }), "incomplete")
            case .emptyName:
                throw tagged(
                    APIError.invalid(
                        "the agreement was not signed / avtalet undertecknades inte", problems: [.init(line: 0, column: "name", reason: "is empty")]),
                    "emptyName", field: "name")
            case .futureDate:
                throw tagged(
                    APIError.invalid(
                        "the agreement was not signed / avtalet undertecknades inte", problems: [.init(line: 0, column: "date", reason: error.description)]),
                    "futureDate", field: "date")
            }
        }
    }

    /// Starts a revision: a new draft version from the newest signed one.
    static func revise(id: String, _ principal: Principal, channel: String, _ s: Services) async throws -> AgreementImportResult {
        do {
            return try await s.store.reviseAgreement(
                id: id, at: s.now(), editor: .coordinator(principal.organisation),
                audit: { s.draft(principal, "agreement", person: nil, channel: channel, detail: "\($0.id) version \($0.version) revision started") })
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        } catch let error as AgreementStoreError {
            throw refusal(error, channel: channel)
        }
    }

    /// A party's notice of termination, as the principal's organisation.
    static func terminate(id: String, date: String, _ principal: Principal, channel: String, _ s: Services) async throws -> AgreementImportResult {
        let day: Day
        do { day = try Day(plausibleISO: date) } catch {
            throw tagged(
                APIError.invalid(
                    "no notice was recorded / ingen uppsägning registrerades", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "badDate", field: "date")
        }
        do {
            return try await s.store.terminateAgreement(
                id: id, termination: .init(orgNumber: principal.organisation, date: day), today: s.today, at: s.now(),
                editor: .coordinator(principal.organisation),
                audit: { s.draft(principal, "agreement", person: nil, channel: channel, detail: "\($0.id) version \($0.version) notice from \(day)") })
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        } catch let error as AgreementStoreError {
            throw refusal(error, channel: channel)
        }
    }

    static func refusal(_ error: AgreementStoreError, channel: String) -> APIError {
        switch error {
        case .notAParty, .notAPartyOfExisting:
            var refusal = APIError.forbidden("\(error.description) / din organisation är inte part i avtalet")
            refusal.refusal = .init(person: nil, reason: error.description, channel: channel)
            return refusal
        case .partyMismatch, .unknownParty:
            return APIError.invalid(
                "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "parties", reason: error.description)])
        case .draftOpen: return tagged(APIError.conflict(error.description), "draftOpen")
        case .exists: return tagged(APIError.conflict(error.description), "exists")
        case .notSigned: return tagged(APIError.conflict(error.description), "notSigned")
        case .terminated: return tagged(APIError.conflict(error.description), "terminated")
        case .signedVersion: return tagged(APIError.conflict(error.description), "signedVersion")
        case .textChanged: return tagged(APIError.conflict(error.description), "textChanged")
        case .signaturesBySigning:
            return tagged(
                APIError.invalid(
                    "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "parties", reason: error.description)]),
                "signaturesBySigning")
        case .dropsParty:
            return tagged(
                APIError.invalid(
                    "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "parties", reason: error.description)]),
                "dropsParty")
        case .noticeTooEarly(let day):
            var e = tagged(
                APIError.invalid(
                    "no notice was recorded / ingen uppsägning registrerades", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "noticeTooEarly", field: "date")
            e.pageArgument = day.description
            return e
        }
    }

    /// The completeness check and the grant warnings, as JSON.
    static func check(_ a: Agreement, _ s: Services) -> JSONValue {
        let life = a.lifecycle(on: s.today)
        let signed = Set(a.signatures.map(\.orgNumber))
        return .object([
            ("status", .string(life.status.rawValue)), ("draft", .bool(a.isDraft)), ("text", .string(a.textDigest)),
            ("missing", .array(a.isDraft ? a.missingForSigning.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) } : [])),
            ("unsigned", .array(a.parties.filter { !signed.contains($0.orgNumber) }.map { .string($0.orgNumber.description) })),
            (
                "grantWarnings",
                .array(
                    a.grantsOverCap(s.grantRounds).map {
                        .object([("orgNumber", .string($0.grant.orgNumber.description)), ("applied", .int($0.grant.applied)), ("cap", .int($0.cap))])
                    })
            ),
        ])
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// The JSON routes of the agreement's life.
enum AgreementLifeRoutes {
    static func putDraft(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "draft agreements", request)
        let id = context.parameters.get("id") ?? ""
        let bytes = try await Body.bytes(request, limit: Limits.jsonBody)
        let agreement: Agreement
        do { agreement = try Agreement.parse(json: Data(bytes)) } catch {
            throw APIError.invalid(
                "the draft was not saved / utkastet sparades inte", problems: error.problems.map { ImportProblem(line: 0, column: $0.path, reason: $0.reason) })
        }
        guard agreement.id == id else { throw APIError.invalid("the document's id '\(agreement.id)' is not the id in the path ('\(id)')") }
        let result = try await AgreementLife.saveDraft(agreement, principal, channel: context.channel(request), s)
        // The check of what was saved (signatures kept or cleared), not of what was sent.
        let saved = try await s.store.agreementVersions(id: id).last?.agreement ?? agreement
        return JSONResponse.make(
            .object([("id", .string(result.id)), ("version", .int(result.version)), ("check", AgreementLife.check(saved, s))]),
            status: result.change == .created ? .created : .ok)
    }

    static func check(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        guard let newest = try await s.store.agreementVersions(id: id).last else { throw APIError.notFound("no such agreement / avtalet finns inte") }
        var members: [(String, JSONValue)] = [("id", .string(id)), ("version", .int(newest.version))]
        if case .object(let check) = AgreementLife.check(newest.agreement, s) { members += check }
        return JSONResponse.make(.object(members))
    }

    struct Sign: Decodable {
        var place: String?
        var date: String
        var name: String
        var title: String?
        /// The `textDigest` (from `GET …/check`) of the text read; optional.
        var text: String?
    }

    static func sign(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "sign agreements", request)
        let (body, _) = try await Body.json(Sign.self, request)
        let (result, signed) = try await AgreementLife.sign(
            id: context.parameters.get("id") ?? "", place: body.place, date: body.date, name: body.name, title: body.title, text: body.text, principal,
            channel: context.channel(request), s)
        return JSONResponse.make(
            .object([("id", .string(result.id)), ("version", .int(result.version)), ("status", .string(signed.status.rawValue))]), status: .created)
    }

    struct Terminate: Decodable { var date: String }

    static func terminate(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "give notice of termination", request)
        let (body, _) = try await Body.json(Terminate.self, request)
        let result = try await AgreementLife.terminate(id: context.parameters.get("id") ?? "", date: body.date, principal, channel: context.channel(request), s)
        return JSONResponse.make(.object([("id", .string(result.id)), ("version", .int(result.version)), ("status", .string("signed"))]), status: .created)
    }

    static func revise(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "revise agreements", request)
        let result = try await AgreementLife.revise(id: context.parameters.get("id") ?? "", principal, channel: context.channel(request), s)
        return JSONResponse.make(.object([("id", .string(result.id)), ("version", .int(result.version)), ("status", .string("draft"))]), status: .created)
    }
}
