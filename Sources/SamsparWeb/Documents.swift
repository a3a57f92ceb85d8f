import SamsparDomain
import SamsparStore

/// The API's JSON for what the store loads (STYLE §5: rows are not API types). Field names
/// are the OpenAPI document's.
enum Documents {
    /// The participant as the caller may see them: the visible registrations together (the
    /// rules of SPEC §2), each registration as its party knows it, and every record marked
    /// with the party that made it.
    static func participant(_ v: ParticipantView) -> JSONValue {
        let d = v.merged
        var members: [(String, JSONValue)] = [("personId", .string(v.person.description))]
        members += attributes(d)
        // SPEC §2, protected identity: whether the caller's own registration is marked, and
        // whether its names were held back because no reason was given (`?reason=`).
        members += [("protected", .bool(v.isOwnProtected)), ("identityHidden", .bool(v.identityHidden))]
        members.append(
            (
                "registrations",
                .array(
                    v.registrations.map { r in
                        .object(
                            [("party", .string(r.party.description))] + attributes(r.record) + [
                                ("protected", .bool(r.isProtected)), ("withheld", .bool(r.withheld)),
                            ])
                    })
            ))
        members.append(
            (
                "events",
                .array(
                    v.events.map { e in
                        .object([
                            ("agreement", text(e.value.agreement)), ("track", .string(e.value.track)), ("event", .string(e.value.kind.rawValue)),
                            ("date", day(e.value.date)), ("reason", text(e.value.reason)), ("recordedBy", .string(e.recordedBy.description)),
                        ])
                    })
            ))
        members.append(
            (
                "statuses",
                .array(
                    v.statuses.map { s in
                        .object([
                            ("status", .string(s.value.status.rawValue)), ("date", day(s.value.date)), ("recordedBy", .string(s.recordedBy.description)),
                        ])
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
                            ("recordedBy", .string(a.recordedBy.description)),
                        ])
                    })
            ))
        members.append(("consents", .array(v.consents.map(consent))))
        return .object(members)
    }

    private static func attributes(_ d: ParticipantRecord) -> [(String, JSONValue)] {
        [
            ("givenName", text(d.givenName)), ("familyName", text(d.familyName)), ("sex", .string(d.sex.rawValue)),
            ("municipality", d.municipality == .withheld ? .null : .string(d.municipality.description)), ("firstPermitDate", day(d.firstPermitDate)),
            ("registeredOn", day(d.registeredOn)), ("exitedOn", day(d.exitedOn)), ("exitReason", text(d.exitReason)),
            ("upperSecondaryCompleted", .bool(d.upperSecondaryCompleted)), ("educationLevel", text(d.educationLevel)),
        ]
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
