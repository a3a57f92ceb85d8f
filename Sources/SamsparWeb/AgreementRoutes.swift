import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The API's agreement and report routes: each parses the request, asks
/// ``AgreementOperations`` or ``FigureOperations``, and renders its answer.
enum AgreementRoutes {
    static func list(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let items = try await AgreementOperations.list(caller, s).map { stored -> JSONValue in
            .object([
                ("id", .string(stored.agreement.id)), ("title", .string(stored.agreement.title)), ("version", .int(stored.version)),
                ("validFrom", .string(stored.agreement.validFrom.description)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items))]))
    }

    static func get(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        let (stored, count) = try await AgreementOperations.version(id, request.uri.queryParameters.get("version").map { String($0) }, caller, s)
        let standing = try await AgreementOperations.standing(id, caller, s)
        return JSONResponse.make(
            .object([
                ("version", .int(stored.version)), ("versions", .int(count)), ("agreement", stored.agreement.document),
                ("deletedVersions", .array(try await AgreementOperations.deletedVersions(id, caller, s).map { .int($0) })),
                ("draftStanding", standing.map { .string($0.rawValue) } ?? .null),
            ]))
    }

    /// The agreement as its signed document (issue 9, part 6): the same HTML as the command
    /// line and the agreement page.
    static func document(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let (stored, _) = try await AgreementOperations.version(
            try context.parameter(.agreement), request.uri.queryParameters.get("version").map { String($0) }, caller, s)
        return .html(AgreementDocument.html(stored, stylesheet: SiteURL.documentStylesheet.path))
    }

    /// A closed quarter to publish: `quarter`, or (as before closes) a `year` and an `asOf`
    /// that is the last day of one of its quarters.
    struct Publish: Decodable {
        var quarter: String?
        var year: Int?
        var asOf: String?
    }

    static func publish(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try FigureOperations.Act.publish.authorize(context.principal, on: context.channel(request))
        let (body, _) = try await Body.json(Publish.self, request)
        let quarter = try FigureOperations.quarter(named: body.quarter, year: body.year, asOf: body.asOf)
        let published = try await FigureOperations.publish(id: try context.parameter(.agreement), quarter: quarter, caller, s)
        return JSONResponse.make(publicationSummary(published.report), status: published.made ? .created : .ok)
    }

    /// The stored closes (SPEC §6): each with the hash of the form this caller reads.
    static func closes(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let (list, unsuppressed) = try await FigureOperations.closes(try context.parameter(.agreement), caller, s)
        let items: [JSONValue] = list.map { c in
            .object([
                ("quarter", .string(c.quarter.description)), ("year", .int(c.year)), ("asOf", .string(c.asOf.description)),
                ("agreementVersion", .int(c.agreementVersion)), ("suppressed", .bool(!unsuppressed)),
                ("contentHash", .string(c.form(suppressed: !unsuppressed).hash)), ("madeAt", .string(c.madeAt)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items))]))
    }

    /// One close in the caller's form, byte for byte as stored; its SHA-256 is the ETag.
    static func close(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let (_, document, hash) = try await FigureOperations.close(try context.parameter(.agreement), quarter: try context.parameter(.quarter), caller, s)
        var response = JSONResponse.text(document, contentType: "application/json; charset=utf-8")
        response.headers[.eTag] = "\"\(hash)\""
        return response
    }

    static func publicationSummary(_ p: PublishedReport) -> JSONValue {
        .object([
            ("id", .int(Int(p.id))), ("agreement", .string(p.agreementID)), ("year", .int(p.year)), ("asOf", .string(p.asOf.description)),
            ("agreementVersion", .int(p.agreementVersion)), ("contentHash", .string(p.contentHash)), ("publishedAt", .string(p.publishedAt)),
            ("publishedBy", .string(p.publishedBy)), ("organisation", .string(p.organisation.description)),
            ("quarter", p.quarter.map { .string($0.description) } ?? .null),
        ])
    }

    static func publications(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let list = try await FigureOperations.publications(try context.parameter(.agreement), caller, s)
        return JSONResponse.make(.object([("items", .array(list.map(publicationSummary)))]))
    }

    /// The published document, byte for byte as it was published; its SHA-256 is the ETag.
    static func publication(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        // A number that is not one is "no such publication", as for one that does not exist.
        let number = (try? context.parameter(.publication)) ?? -1
        let p = try await FigureOperations.publication(number, of: try context.parameter(.agreement), caller, s)
        var response = JSONResponse.text(p.document, contentType: "application/json; charset=utf-8")
        response.headers[.eTag] = "\"\(p.contentHash)\""
        return response
    }

    static func put(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.importOrRevise.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        let bytes = try await Body.jsonBytes(request)
        let agreement: Agreement
        do {
            agreement = try Agreement.parse(json: Data(bytes))
        } catch {
            throw APIError.invalid(
                "the agreement was not imported / avtalet lästes inte in",
                problems: error.problems.map { ImportProblem(line: 0, column: $0.path, reason: $0.reason) })
        }
        guard agreement.id == id else { throw APIError.invalid("the document's id '\(agreement.id)' is not the id in the path ('\(id)')") }
        let result = try await AgreementOperations.importDocument(agreement, document: Data(bytes), caller, s)
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

    /// SPEC §5's document with the figures the caller may see live and their `scope` (SPEC §6).
    static func report(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        let query = request.uri.queryParameters
        guard let yearText = query.get("year"), let year = Int(yearText), (1900...2200).contains(year) else {
            throw APIError.badRequest("year is required: a year such as 2019")
        }
        var asOf = s.today
        if let text = query.get("asOf") {
            do { asOf = try Day(plausibleISO: text) } catch { throw APIError.badRequest("asOf: \(error.description)") }
        }
        var asked = false
        if let text = query.get("suppress") {
            guard let flag = Bool(text) else { throw APIError.badRequest("suppress must be true or false") }
            asked = flag
        }
        let (report, stored, scope) = try await FigureOperations.report(id, year: year, asOf: asOf, caller, s)
        var shown = ShownReport(report, suppression: FigureOperations.suppression(asked: asked, s), agreementVersion: stored.version)
        shown.scope = scope.rawValue
        return JSONResponse.make(shown.json)
    }
}
