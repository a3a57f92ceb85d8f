import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain

/// Every error the API returns: `{"error": {"code": "…", "message": "…"}}` (SPEC §6), with a
/// stable `code` for programs and a message for people. Rejected bulk files and records add
/// `errors`, one per bad row or field.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var problems: [ImportProblem] = []
    /// The problems were cut to ``ProblemCap``'s bounds: the answer states them (`truncated`).
    public var problemsCapped = false
    public var headers: HTTPFields = [:]
    /// Set when the error refuses an access decision: the refusal goes into the audit log
    /// (who, which person, why) before the answer leaves (issue 7).
    var refusal: Refusal?
    /// For pages: which of their texts says this error in the reader's language (not sent by
    /// the API, whose `code` stays one of the stable set).
    var pageText: String? = nil
    /// For pages: the form field the error belongs to.
    var field: String? = nil
    /// For pages: a value the page text names (`%@`).
    var pageArgument: String? = nil
    /// The domain's or the store's own words for the refusal (English), which the command line
    /// says as it always has (the API's `message` is worded for its clients).
    public var reason: String? = nil

    struct Refusal: Sendable {
        var person: Personnummer?
        var reason: String
        var channel: String
    }

    public var description: String { message }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var members: [(String, JSONValue)] = [("error", .object([("code", .string(code)), ("message", .string(message))]))]
        if !problems.isEmpty {
            members.append(
                (
                    "errors",
                    .array(
                        problems.map { p in
                            .object([("line", .int(p.line)), ("column", .string(p.column)), ("reason", .string(p.reason))])
                        })
                ))
        }
        if problemsCapped {
            members.append(
                ("truncated", .object([("maxProblems", .int(ProblemCap.maxProblems)), ("maxBytes", .int(ProblemCap.maxBytes))])))
        }
        var response = JSONResponse.make(.object(members), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: "bad_request", message: message) }
    static func invalid(_ message: String, problems: [ImportProblem] = []) -> APIError {
        APIError(status: .unprocessableContent, code: "invalid", message: message, problems: problems)
    }
    static func notFound(_ message: String = "not found / hittades inte") -> APIError { APIError(status: .notFound, code: "not_found", message: message) }
    static let unauthenticated = APIError(
        status: .unauthorized, code: "unauthenticated",
        message: "sign in or send an API token (Authorization: Bearer …) / logga in eller skicka en API-token")
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, code: "forbidden", message: message) }
    static func conflict(_ message: String) -> APIError { APIError(status: .conflict, code: "conflict", message: message) }
}

/// JSON responses, compact, UTF-8.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.utf8(pretty: false))))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
