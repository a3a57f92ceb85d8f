import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The JSON routes of the agreement's life: each parses the request, asks
/// ``AgreementOperations``, and renders its answer.
enum AgreementLifeRoutes {
    static func putDraft(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.draft.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        let bytes = try await Body.jsonBytes(request)
        let agreement: Agreement
        do { agreement = try Agreement.parse(json: Data(bytes)) } catch {
            throw APIError.invalid(
                "the draft was not saved / utkastet sparades inte", problems: error.problems.map { ImportProblem(line: 0, column: $0.path, reason: $0.reason) })
        }
        guard agreement.id == id else { throw APIError.invalid("the document's id '\(agreement.id)' is not the id in the path ('\(id)')") }
        let result = try await AgreementOperations.saveDraft(agreement, caller, s)
        // The check of what was saved (signatures kept or cleared), not of what was sent.
        let saved = try await AgreementOperations.versions(id, caller, s).last?.agreement ?? agreement
        return JSONResponse.make(
            .object([("id", .string(result.id)), ("version", .int(result.version)), ("check", AgreementOperations.check(saved, s))]),
            status: result.change == .created ? .created : .ok)
    }

    static func check(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        guard let newest = try await AgreementOperations.versions(id, caller, s).last else { throw APIError.notFound("no such agreement / avtalet finns inte") }
        var members: [(String, JSONValue)] = [("id", .string(id)), ("version", .int(newest.version))]
        if case .object(let check) = AgreementOperations.check(newest.agreement, s) { members += check }
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
        let caller = try AgreementOperations.Act.sign.authorize(context.principal, on: context.channel(request))
        let (body, _) = try await Body.json(Sign.self, request)
        let (result, signed) = try await AgreementOperations.sign(
            id: try context.parameter(.agreement), place: body.place, date: body.date, name: body.name, title: body.title, text: body.text, caller, s)
        return JSONResponse.make(
            .object([("id", .string(result.id)), ("version", .int(result.version)), ("status", .string(signed.status.rawValue))]), status: .created)
    }

    struct Terminate: Decodable { var date: String }

    static func terminate(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.terminate.authorize(context.principal, on: context.channel(request))
        let (body, _) = try await Body.json(Terminate.self, request)
        let result = try await AgreementOperations.terminate(id: try context.parameter(.agreement), date: body.date, caller, s)
        return JSONResponse.make(.object([("id", .string(result.id)), ("version", .int(result.version)), ("status", .string("signed"))]), status: .created)
    }

    static func revise(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.revise.authorize(context.principal, on: context.channel(request))
        let result = try await AgreementOperations.revise(id: try context.parameter(.agreement), caller, s)
        return JSONResponse.make(.object([("id", .string(result.id)), ("version", .int(result.version)), ("status", .string("draft"))]), status: .created)
    }

    // MARK: Invitations (issue 18)

    /// The drafts the caller's organisation is invited to, with its standing.
    static func invitations(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.answerInvitation.authorize(context.principal, on: context.channel(request))
        let items = try await AgreementOperations.invitations(caller, s).map { stored, standing -> JSONValue in
            .object([
                ("id", .string(stored.agreement.id)), ("title", .string(stored.agreement.title)), ("version", .int(stored.version)),
                ("standing", .string(standing.rawValue)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items))]))
    }

    static func accept(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.answerInvitation.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        try await AgreementOperations.accept(id, caller, s)
        return JSONResponse.make(.object([("id", .string(id)), ("standing", .string("accepted"))]))
    }

    static func decline(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.answerInvitation.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        try await AgreementOperations.decline(id, caller, s)
        return JSONResponse.make(.object([("id", .string(id)), ("standing", .string("declined"))]))
    }

    static func deleteDraft(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AgreementOperations.Act.answerInvitation.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.agreement)
        try await AgreementOperations.deleteDraft(id, caller, s)
        return JSONResponse.make(
            .object([("id", .string(id)), ("deletedVersions", .array(try await AgreementOperations.deletedVersions(id, caller, s).map { .int($0) }))]))
    }
}
