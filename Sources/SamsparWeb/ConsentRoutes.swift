import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The API's consent routes: each parses the request, asks ``ConsentOperations``, and renders
/// its answer.
enum ConsentRoutes {
    struct Give: Decodable {
        var party: String
        var validFrom: String?
        var validUntil: String?
    }

    struct Withdraw: Decodable {
        var date: String?
    }

    static func list(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ConsentOperations.Act.read.authorize(context.principal, on: context.channel(request), person: try? context.parameter(.person))
        let consents = try await ConsentOperations.list(try context.parameter(.person), caller, s)
        return JSONResponse.make(.object([("items", .array(consents.map(Documents.consent)))]))
    }

    static func give(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ConsentOperations.Act.give.authorize(context.principal, on: context.channel(request), person: try? context.parameter(.person))
        let person = try context.parameter(.person)
        let (body, bytes) = try await Body.json(Give.self, request)
        let idempotency = try Idempotency(request, caller, body: bytes, status: .created)
        if let replay = try await idempotency?.replay(s) { return replay }
        let consent = try await ConsentOperations.give(
            ["party": body.party, "validFrom": body.validFrom, "validUntil": body.validUntil].compactMapValues { $0 }, person: person,
            idempotency: idempotency, caller, s)
        return JSONResponse.make(Documents.consent(consent), status: .created)
    }

    static func withdraw(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ConsentOperations.Act.withdraw.authorize(context.principal, on: context.channel(request), person: try? context.parameter(.person))
        let person = try context.parameter(.person)
        let id = try context.parameter(.consent)
        let bytes = try await Body.jsonBytes(request)
        var day = s.today
        if !bytes.isEmpty {
            guard let body = try? JSONDecoder().decode(Withdraw.self, from: Data(bytes)) else {
                throw APIError.badRequest("the body must be {\"date\": \"YYYY-MM-DD\"}")
            }
            if let text = body.date {
                do { day = try Day(plausibleISO: text) } catch {
                    throw APIError.invalid("the withdrawal was not saved", problems: [.init(line: 0, column: "date", reason: error.description)])
                }
            }
        }
        try await ConsentOperations.withdraw(id, person: person, on: day, caller, s)
        return JSONResponse.make(.object([("id", .int(Int(id))), ("withdrawnOn", .string(day.description))]))
    }
}
