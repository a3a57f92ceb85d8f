extension Agreement {
    /// The agreement as the JSON document of SPEC §4 (what `parse(json:)` reads back).
    public var document: JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("title", .string(title)), ("area", optional(area)), ("purpose", optional(purpose)),
            ("validFrom", .string(validFrom.description)), ("periodMonths", .int(periodMonths)),
            ("nextRevision", optional(nextRevision?.description)),
            ("overallGoal", .object([("maxEstablishmentDays", .int(maxEstablishmentDays))])),
            (
                "targetGroups",
                .object([
                    ("a", .object([("monthsSinceFirstPermit", .int(targetGroups.monthsSinceFirstPermit))])),
                    ("b", .object([("minAge", .int(targetGroups.minAge)), ("maxAge", .int(targetGroups.maxAge)), ("withoutUpperSecondary", .bool(true))])),
                ])
            ),
        ]
        members.append(
            (
                "parties",
                .array(
                    parties.map { p in
                        .object([
                            ("orgNumber", .string(p.orgNumber.description)), ("name", .string(p.name)), ("kind", .string(p.kind.rawValue)),
                            ("municipalityCode", optional(p.municipalityCode?.description)), ("signatory", optional(p.signatory)), ("title", optional(p.title)),
                        ])
                    })
            ))
        members.append(
            (
                "tracks",
                .array(
                    tracks.map { t in
                        .object([
                            ("code", .string(t.code)), ("name", .string(t.name)), ("kind", .string(t.kind.rawValue)),
                            ("ssyk", .array(t.ssyk.map { .string($0.code) })),
                            ("genderGoal", t.genderGoal.map { .object([("sex", .string($0.sex.rawValue)), ("minShare", .double($0.minShare))]) } ?? .null),
                            ("responsible", optional(t.responsible?.description)),
                        ])
                    })
            ))
        members.append(("modelParts", .object(modelParts.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        members.append(
            (
                "signatures",
                .array(
                    signatures.map { s in
                        .object([
                            ("orgNumber", .string(s.orgNumber.description)), ("place", optional(s.place)), ("date", .string(s.date.description)),
                            ("name", .string(s.name)), ("title", optional(s.title)),
                        ])
                    })
            ))
        members.append(("status", .string(status.rawValue)))
        if let termination {
            members.append(
                ("termination", .object([("orgNumber", .string(termination.orgNumber.description)), ("date", .string(termination.date.description))])))
        }
        func int(_ i: Int?) -> JSONValue { i.map(JSONValue.int) ?? .null }
        func double(_ d: Double?) -> JSONValue { d.map(JSONValue.double) ?? .null }
        if let c = coordinator {
            members.append(
                (
                    "coordinator",
                    .object([
                        ("name", .string(c.name)), ("title", optional(c.title)), ("orgNumber", optional(c.orgNumber?.description)),
                        ("email", optional(c.email)),
                        ("phone", optional(c.phone)),
                    ])
                ))
        }
        members.append(
            (
                "decisions",
                .array(
                    decisions.map { d in
                        .object([
                            ("orgNumber", .string(d.orgNumber.description)), ("body", .string(d.body)), ("date", .string(d.date.description)),
                            ("decision", .string(d.decision)),
                        ])
                    })
            ))
        members.append(
            (
                "grants",
                .array(
                    grants.map { g in
                        .object([
                            ("orgNumber", .string(g.orgNumber.description)), ("round", optional(g.round)), ("purpose", .string(g.purpose)),
                            ("basis", int(g.basis)),
                            ("applied", .int(g.applied)), ("granted", int(g.granted)), ("decisionDate", optional(g.decisionDate?.description)),
                            ("reportDue", optional(g.reportDue?.description)), ("reportedOn", optional(g.reportedOn?.description)),
                        ])
                    })
            ))
        members.append(("perspectives", .object(perspectives.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        members.append(
            (
                "costs",
                .array(
                    costs.map { c in
                        .object([
                            ("track", optional(c.track)), ("orgNumber", .string(c.orgNumber.description)), ("year", .int(c.year)), ("amount", .int(c.amount)),
                            ("source", .string(c.source.rawValue)), ("spent", int(c.spent)),
                        ])
                    })
            ))
        members.append(
            (
                "subGoals",
                .object([
                    ("recruitment", double(subGoals.recruitment)), ("acceptance", double(subGoals.acceptance)),
                    ("completion", double(subGoals.completion)), ("outcome", double(subGoals.outcome)),
                ])
            ))
        // Only the sections the parties worded themselves, in the document's order.
        members.append(("texts", .object(Texts.keys.compactMap { key in texts[key].map { (key, JSONValue.string($0)) } })))
        members.append(
            ("timePlan", .array(timePlan.map { .object([("date", .string($0.date.description)), ("milestone", .string($0.milestone))]) })))
        return .object(members)
    }
}
