import Foundation
import SamsparDomain
import SamsparWire

/// Every page of the web interface, once (issue 8; SwiftPackageIndex-Server's `SiteURL`).
/// A link is `SiteURL.participant(id).path`; the router registers the same case with its
/// parameter's placeholder (`SiteURL.participant(SiteURL.personKey).path`), so no path is
/// written twice. Paths are Swedish: people read them in the address bar.
enum SiteURL: Sendable {
    case home
    case signIn
    case signOut
    /// Signing in at an organisation's identity provider, and the provider's return (issue 25).
    case providerSignIn(String)
    case providerCallback(String)
    /// A person's own second factor and sessions (issue 25).
    case secondFactor
    case ownSessions
    case endSession(String)
    /// The admin's map of the provider's role claim to roles.
    case roleMap
    case language
    case accessibility
    case stylesheet
    case script
    case documentStylesheet
    case participants
    case participantsExport(String)
    case newParticipant
    case checkPersonnummer
    case participant(String)
    /// A protected person's page by the organisation's own reference (SPEC §2, issue 23).
    case protectedParticipant(String)
    /// The form that sets or removes the mark on a registration.
    case participantProtection(String)
    case participantRecord(String, RecordForm)
    case giveConsent(String)
    case withdrawConsent(String, String)
    case imports
    case importJob(String)
    case agreements
    case agreement(String)
    case agreementDocument(String)
    case agreementDocumentPDF(String)
    case agreementMemo(String)
    case agreementMemoPDF(String)
    case publicationDocument(String, String)
    case agreementCompare(String)
    case newAgreement
    case agreementEdit(String)
    case agreementEditPart(String, AgreementEditPage.Part)
    case agreementSign(String)
    case agreementRevise(String)
    case agreementTerminate(String)
    case agreementAccept(String)
    case agreementDecline(String)
    case agreementDelete(String)
    case occupations
    case dashboard(String)
    case dashboardPeople(String)
    case dashboardExport(String, String)
    case publish(String)
    case publication(String, String)
    case audit
    /// The register extract of one person: `html`, `pdf` or `json` (issue 23).
    case extract(String)
    /// The records of processing (issue 23): the organisation's as controller, the processor's.
    case processingRecord
    case processorRecord
    case accounts
    case addUser
    case userAction(String, String)
    case createToken
    case revokeToken(String)

    /// The kinds of record a participant's page has a form for.
    enum RecordForm: String, Sendable, CaseIterable {
        case events = "handelser"
        case statuses = "status"
        case activities = "aktiviteter"

        /// The kind of record the form writes.
        var kind: ImportKind {
            switch self {
            case .events: .events
            case .statuses: .statuses
            case .activities: .activities
            }
        }
    }

    static let personKey = "{personId}"
    static let idKey = "{id}"
    static let formatKey = "{format}"
    static let actionKey = "{action}"
    static let consentKey = "{consentId}"
    static let formKey = "{form}"
    static let orgKey = "{orgNumber}"

    var path: String {
        switch self {
        case .home: "/"
        case .signIn: "/logga-in"
        case .signOut: "/logga-ut"
        case .providerSignIn(let org): "/logga-in/idp/\(org)"
        case .providerCallback(let org): "/logga-in/idp/\(org)/callback"
        case .secondFactor: "/konto/tvastegsverifiering"
        case .ownSessions: "/konto/sessioner"
        case .endSession(let id): "/konto/sessioner/\(id)/avsluta"
        case .roleMap: "/konton/roller"
        case .language: "/sprak"
        case .accessibility: "/tillganglighet"
        case .stylesheet: "/static/samspar.css"
        case .script: "/static/samspar.js"
        case .documentStylesheet: "/static/dokument.css"
        case .participants: "/deltagare"
        case .participantsExport(let format): "/deltagare/export.\(format)"
        case .newParticipant: "/deltagare/ny"
        case .checkPersonnummer: "/deltagare/kontrollera"
        case .participant(let id): "/deltagare/\(id)"
        case .protectedParticipant(let ref): "/deltagare/skyddad/\(ref)"
        case .participantProtection(let id): "/deltagare/\(id)/skydd"
        case .participantRecord(let id, let form): "/deltagare/\(id)/\(form.rawValue)"
        case .giveConsent(let id): "/deltagare/\(id)/samtycken"
        case .withdrawConsent(let id, let consent): "/deltagare/\(id)/samtycken/\(consent)/aterkalla"
        case .imports: "/import"
        case .importJob(let id): "/import/jobb/\(id)"
        case .agreements: "/avtal"
        case .agreement(let id): "/avtal/\(id)"
        case .agreementDocument(let id): "/avtal/\(id)/dokument"
        case .agreementDocumentPDF(let id): "/avtal/\(id)/dokument.pdf"
        case .agreementMemo(let id): "/avtal/\(id)/tjansteskrivelse"
        case .agreementMemoPDF(let id): "/avtal/\(id)/tjansteskrivelse.pdf"
        case .publicationDocument(let id, let number): "/avtal/\(id)/publicerad/\(number).pdf"
        case .agreementCompare(let id): "/avtal/\(id)/jamfor"
        case .newAgreement: "/avtal/nytt"
        case .agreementEdit(let id): "/avtal/\(id)/redigera"
        case .agreementEditPart(let id, let part): "/avtal/\(id)/redigera/\(part.rawValue)"
        case .agreementSign(let id): "/avtal/\(id)/underteckna"
        case .agreementRevise(let id): "/avtal/\(id)/revidera"
        case .agreementTerminate(let id): "/avtal/\(id)/uppsagning"
        case .agreementAccept(let id): "/avtal/\(id)/inbjudan/anta"
        case .agreementDecline(let id): "/avtal/\(id)/inbjudan/avboj"
        case .agreementDelete(let id): "/avtal/\(id)/utkast/ta-bort"
        case .occupations: "/yrken"
        case .dashboard(let id): "/avtal/\(id)/uppfoljning"
        case .dashboardPeople(let id): "/avtal/\(id)/uppfoljning/personer"
        case .dashboardExport(let id, let format): "/avtal/\(id)/uppfoljning/export.\(format)"
        case .publish(let id): "/avtal/\(id)/uppfoljning/publicera"
        case .publication(let id, let number): "/api/v1/agreements/\(id)/published/\(number)"
        case .audit: "/granskning"
        case .extract(let format): "/granskning/utdrag.\(format)"
        case .processingRecord: "/granskning/behandlingar"
        case .processorRecord: "/granskning/behandlingar/bitrade"
        case .accounts: "/konton"
        case .addUser: "/konton/anvandare"
        case .userAction(let id, let action): "/konton/anvandare/\(id)/\(action)"
        case .createToken: "/konton/nycklar"
        case .revokeToken(let id): "/konton/nycklar/\(id)/aterkalla"
        }
    }

    /// The path with a query, its values percent-encoded.
    func with(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { "\(SiteURL.encode($0.0))=\(SiteURL.encode($0.1))" }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A path this site may send someone back to after signing in: local, not another host's.
    /// Only printable ASCII without a backslash: browsers drop tabs and line breaks and read
    /// `\\` as `/`, which would turn `/<TAB>/host` into another site's address.
    static func isLocal(_ target: String) -> Bool { ReturnAddress.isLocal(target) }
}
