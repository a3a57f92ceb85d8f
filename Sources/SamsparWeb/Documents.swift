import SamsparDomain
import SamsparStore

/// The API's JSON for what the store loads (STYLE §5: rows are not API types). Field names
/// are the OpenAPI document's.
enum Documents {
    static func participant(_ v: ParticipantView) -> JSONValue {
        var members: [(String, JSONValue)] = [("personId", .string(v.person.description))]
        if let d = v.details {
            members += [
                ("givenName", text(d.givenName)), ("familyName", text(d.familyName)), ("sex", .string(d.sex.rawValue)),
                ("municipality", .string(d.municipality.description)), ("firstPermitDate", day(d.firstPermitDate)),
                ("registeredOn", day(d.registeredOn)), ("exitedOn", day(d.exitedOn)), ("exitReason", text(d.exitReason)),
                ("upperSecondaryCompleted", .bool(d.upperSecondaryCompleted)), ("educationLevel", text(d.educationLevel)),
                ("registeredBy", org(v.registeredBy)),
            ]
        }
        members.append(("access", .string(v.access == .full ? "full" : "ownRecordsOnly")))
        members.append(
            (
                "events",
                .array(
                    v.events.map { e in
                        .object([
                            ("agreement", text(e.value.agreement)), ("track", .string(e.value.track)), ("event", .string(e.value.kind.rawValue)),
                            ("date", day(e.value.date)), ("reason", text(e.value.reason)), ("recordedBy", org(e.recordedBy)),
                        ])
                    })
            ))
        members.append(
            (
                "statuses",
                .array(
                    v.statuses.map { s in
                        .object([("status", .string(s.value.status.rawValue)), ("date", day(s.value.date)), ("recordedBy", org(s.recordedBy))])
                    })
            ))
        members.append(
            (
                "activities",
                .array(
                    v.activities.map { a in
                        .object([
                            ("activity", .string(a.value.activity.rawValue)), ("start", day(a.value.start)), ("end", day(a.value.end)),
                            ("hoursPerWeek", a.value.hoursPerWeek.map { .double($0) } ?? .null), ("provider", text(a.value.provider)),
                            ("recordedBy", org(a.recordedBy)),
                        ])
                    })
            ))
        if v.access == .full { members.append(("consents", .array(v.consents.map(consent)))) }
        return .object(members)
    }

    static func consent(_ c: Consent) -> JSONValue {
        .object([
            ("id", .int(Int(c.id))), ("party", .string(c.party.description)), ("validFrom", day(c.validFrom)), ("validUntil", day(c.validUntil)),
            ("withdrawnOn", day(c.withdrawnOn)), ("recordedBy", .string(c.recordedBy.description)),
        ])
    }

    private static func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    private static func day(_ d: Day?) -> JSONValue { d.map { .string($0.description) } ?? .null }
    private static func org(_ o: Organisationsnummer?) -> JSONValue { o.map { .string($0.description) } ?? .null }
}
