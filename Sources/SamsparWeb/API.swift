import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// The JSON API under `/api/v1` (SPEC §6 and issue 4). Every route is registered through
/// ``API/add(_:_:_:)``, which also records it in ``API/routes`` so a test can hold the
/// OpenAPI document to exactly this list.
struct API {
    let services: Services
    let router: Router<AppContext>
    private(set) var routes: [(method: HTTPRequest.Method, path: String)] = []

    typealias Handler = @Sendable (Request, AppContext) async throws -> Response

    mutating func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        routes.append((method, path))
        router.on(RouterPath(path), method: method, use: handler)
    }

    mutating func registerAll() {
        let s = services
        add(.post, "/api/v1/session") { try await SessionRoutes.signIn($0, $1, s) }
        add(.get, "/api/v1/session") { try await SessionRoutes.current($0, $1, s) }
        add(.delete, "/api/v1/session") { try await SessionRoutes.signOut($0, $1, s) }

        add(.get, "/api/v1/agreements") { try await AgreementRoutes.list($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}") { try await AgreementRoutes.get($0, $1, s) }
        add(.put, "/api/v1/agreements/{id}") { try await AgreementRoutes.put($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/report") { try await AgreementRoutes.report($0, $1, s) }
        add(.put, "/api/v1/agreements/{id}/draft") { try await AgreementLifeRoutes.putDraft($0, $1, s) }
        add(.delete, "/api/v1/agreements/{id}/draft") { try await AgreementLifeRoutes.deleteDraft($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/draft/accept") { try await AgreementLifeRoutes.accept($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/draft/decline") { try await AgreementLifeRoutes.decline($0, $1, s) }
        add(.get, "/api/v1/invitations") { try await AgreementLifeRoutes.invitations($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/check") { try await AgreementLifeRoutes.check($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/signatures") { try await AgreementLifeRoutes.sign($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/revisions") { try await AgreementLifeRoutes.revise($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/termination") { try await AgreementLifeRoutes.terminate($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/document") { try await AgreementRoutes.document($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/published") { try await AgreementRoutes.publications($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/published") { try await AgreementRoutes.publish($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/published/{publicationId}") { try await AgreementRoutes.publication($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/closes") { try await AgreementRoutes.closes($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/closes/{quarter}") { try await AgreementRoutes.close($0, $1, s) }

        add(.get, "/api/v1/participants") { try await ParticipantRoutes.search($0, $1, s) }
        add(.post, "/api/v1/participants") { try await ParticipantRoutes.create($0, $1, s) }
        add(.get, "/api/v1/participants/{personId}") { try await ParticipantRoutes.get($0, $1, s) }
        add(.put, "/api/v1/participants/{personId}") { try await ParticipantRoutes.update($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/events") { try await ParticipantRoutes.record(.events, $0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/statuses") { try await ParticipantRoutes.record(.statuses, $0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/activities") { try await ParticipantRoutes.record(.activities, $0, $1, s) }
        add(.get, "/api/v1/participants/{personId}/consents") { try await ConsentRoutes.list($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/consents") { try await ConsentRoutes.give($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/consents/{consentId}/withdraw") { try await ConsentRoutes.withdraw($0, $1, s) }
        add(.get, "/api/v1/participants/{personId}/access-log") { try await ParticipantRoutes.accessLog($0, $1, s) }

        add(.post, "/api/v1/imports/{kind}") { try await ImportRoutes.importFile($0, $1, s) }

        add(.get, "/api/v1/audit") { try await AuditRoutes.search($0, $1, s) }
        add(.get, "/api/v1/audit/verify") { try await AuditRoutes.verify($0, $1, s) }
        add(.get, "/api/v1/audit/extract") { try await AuditRoutes.extract($0, $1, s) }

        add(.get, "/api/v1/disagreements") { try await ParticipantRoutes.disagreements($0, $1, s) }

        add(.get, "/api/v1/users") { try await AccountRoutes.users($0, $1, s) }
        add(.post, "/api/v1/users") { try await AccountRoutes.addUser($0, $1, s) }
        add(.post, "/api/v1/users/{userId}/disable") { try await AccountRoutes.setDisabled(true, $0, $1, s) }
        add(.post, "/api/v1/users/{userId}/enable") { try await AccountRoutes.setDisabled(false, $0, $1, s) }
        add(.post, "/api/v1/users/{userId}/password") { try await AccountRoutes.resetPassword($0, $1, s) }
        add(.get, "/api/v1/tokens") { try await AccountRoutes.tokens($0, $1, s) }
        add(.post, "/api/v1/tokens") { try await AccountRoutes.createToken($0, $1, s) }
        add(.delete, "/api/v1/tokens/{tokenId}") { try await AccountRoutes.revokeToken($0, $1, s) }
    }
}
