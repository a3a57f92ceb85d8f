import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

// MARK: - Agreements and reports

enum AgreementRoutes {
    static func list(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let items = try await s.store.agreements().map { stored -> JSONValue in
            .object([
                ("id", .string(stored.agreement.id)), ("title", .string(stored.agreement.title)), ("version", .int(stored.version)),
                ("validFrom", .string(stored.agreement.validFrom.description)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items))]))
    }

    static func get(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let versions = try await s.store.agreementVersions(id: id)
        var chosen = versions.last
        if let text = request.uri.queryParameters.get("version") {
            guard let number = Int(text) else { throw APIError.badRequest("version must be a whole number") }
            chosen = versions.first { $0.version == number }
        }
        guard let stored = chosen else { throw APIError.notFound("no such agreement or version / avtalet finns inte") }
        return JSONResponse.make(
            .object([("version", .int(stored.version)), ("versions", .int(versions.count)), ("agreement", stored.agreement.document)]))
    }

    /// The version asked for (`?version=N`), or the newest.
    static func chosenVersion(_ request: Request, _ context: AppContext, _ s: Services) async throws -> StoredAgreement {
        let id = context.parameters.get("id") ?? ""
        let versions = try await s.store.agreementVersions(id: id)
        var chosen = versions.last
        if let text = request.uri.queryParameters.get("version") {
            guard let number = Int(text) else { throw APIError.badRequest("version must be a whole number") }
            chosen = versions.first { $0.version == number }
        }
        guard let stored = chosen else { throw APIError.notFound("no such agreement or version / avtalet finns inte") }
        return stored
    }

    /// The agreement as its signed document (issue 9, part 6): the same HTML as the command
    /// line and the agreement page.
    static func document(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let stored = try await chosenVersion(request, context, s)
        return .html(AgreementDocument.html(stored, stylesheet: SiteURL.documentStylesheet.path))
    }

    struct Publish: Decodable {
        var year: Int
        var asOf: String?
    }

    /// Publishes the year's follow-up (issue 9, part 7): a coordinator of a party; suppressed,
    /// as it goes to the parties' boards; stored with its content hash and never changed.
    static func publish(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "publish follow-up reports", request)
        let (body, _) = try await Body.json(Publish.self, request)
        let published = try await publish(
            id: context.parameters.get("id") ?? "", year: body.year, asOf: body.asOf, principal, channel: context.channel(request), s)
        return JSONResponse.make(publicationSummary(published), status: .created)
    }

    static func publish(id: String, year: Int, asOf text: String?, _ principal: Principal, channel: String, _ s: Services) async throws
        -> PublishedReport
    {
        guard (1900...2200).contains(year) else {
            throw APIError.invalid("nothing was published", problems: [.init(line: 0, column: "year", reason: "must be a year such as 2018")])
        }
        var asOf = s.today
        if let text {
            do { asOf = try Day(plausibleISO: text) } catch {
                throw APIError.invalid("nothing was published", problems: [.init(line: 0, column: "asOf", reason: error.description)])
            }
        }
        // What is published must be what the data can say: not as of a day still to come, nor
        // before the year begins (the same label must never name two documents by design).
        guard asOf <= s.today, asOf >= Day.firstOfYear(year) else {
            throw APIError.invalid(
                "nothing was published", problems: [.init(line: 0, column: "asOf", reason: "must be from \(year)-01-01 through today, \(s.today)")])
        }
        guard let inForce = try await s.store.agreement(id: id, inForceOn: min(Day.lastOfYear(year), asOf)) else {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
        // Only a coordinator of a party to the version in force publishes its follow-up, and
        // only of an agreement every party has signed (a draft may still change under it).
        guard Mutant.decide("publish.party", inForce.agreement.parties.contains(where: { $0.orgNumber == principal.organisation })) else {
            var refusal = APIError.forbidden("your organisation is not a party to \(id) / din organisation är inte part i avtalet")
            refusal.refusal = .init(person: nil, reason: "not a party to \(id)", channel: channel)
            throw refusal
        }
        guard inForce.agreement.signedByAll else {
            throw APIError.conflict("no version of \(id) is signed by every party: a draft is not published / ett utkast publiceras inte")
        }
        let (year, day) = (year, asOf)
        return try await s.store.publishReport(
            agreementID: id, year: year, asOf: day, suppression: s.suppression, by: principal.actor, organisation: principal.organisation,
            audit: { s.draft(principal, "publish", person: nil, channel: channel, detail: "\(id) \(year) as of \(day): \($0.contentHash)") }, at: s.now())
    }

    static func publicationSummary(_ p: PublishedReport) -> JSONValue {
        .object([
            ("id", .int(Int(p.id))), ("agreement", .string(p.agreementID)), ("year", .int(p.year)), ("asOf", .string(p.asOf.description)),
            ("agreementVersion", .int(p.agreementVersion)), ("contentHash", .string(p.contentHash)), ("publishedAt", .string(p.publishedAt)),
            ("publishedBy", .string(p.publishedBy)), ("organisation", .string(p.organisation.description)),
        ])
    }

    static func publications(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let list = try await s.store.publishedReports(agreementID: context.parameters.get("id") ?? "")
        return JSONResponse.make(.object([("items", .array(list.map(publicationSummary)))]))
    }

    /// The published document, byte for byte as it was published; its SHA-256 is the ETag.
    static func publication(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        guard let number = context.parameters.get("publicationId").flatMap({ Int64($0) }),
            let p = try await s.store.publishedReport(agreementID: context.parameters.get("id") ?? "", id: number)
        else { throw APIError.notFound("no such publication / publiceringen finns inte") }
        var response = JSONResponse.text(p.document, contentType: "application/json; charset=utf-8")
        response.headers[.eTag] = "\"\(p.contentHash)\""
        return response
    }

    static func put(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "import or revise agreements", request)
        let id = context.parameters.get("id") ?? ""
        let bytes = try await Body.bytes(request, limit: Limits.jsonBody)
        let agreement: Agreement
        do {
            agreement = try Agreement.parse(json: Data(bytes))
        } catch {
            throw APIError.invalid(
                "the agreement was not imported / avtalet lästes inte in",
                problems: error.problems.map { ImportProblem(line: 0, column: $0.path, reason: $0.reason) })
        }
        guard agreement.id == id else { throw APIError.invalid("the document's id '\(agreement.id)' is not the id in the path ('\(id)')") }
        let now = s.now()
        let channel = context.channel(request)
        let result: AgreementImportResult
        do {
            // A coordinator works on their own organisation's agreements only, and never
            // changes the registry (SPEC §2).
            result = try await s.store.importAgreement(
                agreement, document: Data(bytes), importedAt: now, editor: .coordinator(principal.organisation),
                audit: { s.draft(principal, "agreement", person: nil, channel: channel, detail: "\($0.id) version \($0.version)") })
        } catch let error as AgreementStoreError {
            // One mapping of the store's refusals to answers, shared with the agreement's life.
            throw AgreementLife.refusal(error, channel: channel)
        }
        let change: String =
            switch result.change {
            case .created: "created"
            case .revised: "revised"
            case .unchanged: "unchanged"
            }
        return JSONResponse.make(
            .object([("id", .string(result.id)), ("version", .int(result.version)), ("change", .string(change))]),
            status: result.change == .created ? .created : .ok)
    }

    /// SPEC §5's document. Roles without access to individual data always get it suppressed.
    static func report(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let query = request.uri.queryParameters
        guard let yearText = query.get("year"), let year = Int(yearText), (1900...2200).contains(year) else {
            throw APIError.badRequest("year is required: a year such as 2019")
        }
        var asOf = s.today
        if let text = query.get("asOf") {
            do { asOf = try Day(plausibleISO: text) } catch { throw APIError.badRequest("asOf: \(error.description)") }
        }
        var suppress = !principal.role.seesUnsuppressedReports
        if let text = query.get("suppress") {
            guard let flag = Bool(text) else { throw APIError.badRequest("suppress must be true or false") }
            suppress = suppress || flag
        }
        let (report, stored): (Report, StoredAgreement)
        do {
            (report, stored) = try await s.store.report(agreementID: id, year: year, asOf: asOf)
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
        let document = ReportDocument(report: report, suppression: suppress ? s.suppression : nil, agreementVersion: stored.version)
        return JSONResponse.make(document.json)
    }
}
