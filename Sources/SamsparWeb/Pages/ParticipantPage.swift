import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

extension ParticipantPages {
    struct Attribute: Sendable {
        var label: String
        var value: String
    }

    struct TimelineItem: Sendable {
        var date: String
        var kind: String
        var text: String
        var party: String
        var own: Bool
    }

    struct ConsentRow: Sendable {
        var party: String
        var from: String
        var until: String
        var state: String
        var recordedBy: String
        var withdraw: String?
    }

    struct LogRow: Sendable {
        var at: String
        var who: String
        var organisation: String
        var action: String
        var channel: String
    }

    struct RegistrationRow: Sendable {
        var party: String
        var registeredOn: String
        var exitedOn: String
    }

    struct DetailModel: Sendable {
        var person: String
        var name: String
        var attributes: [Attribute]
        var registrations: [RegistrationRow]
        var timeline: [TimelineItem]
        var consents: [ConsentRow]
        var forms: [FormModel]
        var log: [LogRow]?
        var ownRegistration: Bool
        var canWrite: Bool
        /// What needs doing for the person (issue 19): the reasons of *Att göra*, at the top.
        var attention: [String] = []
        var hasAttention = false
        /// The reader's own organisation protected the person and no reason was given: no
        /// name, no number, no forms (their addresses hold the number), and the form that asks
        /// for a reason (SPEC §2).
        var hidden = false
        var reveal: FormModel?
        /// The reader's own organisation protected the person: what the page says about it.
        var protectedNotice: String?
        /// The form that sets or removes the mark (the reader's own registration, shown).
        var protection: FormModel?
        /// The page's heading: the name, else the identity number (or "Skyddad identitet").
        /// A stored value: swift-mustache takes an empty text for true in a section.
        var heading = ""
    }

    static func show(_ r: PageRequest) async throws -> Response {
        try await show(r, state: nil)
    }

    static func show(_ r: PageRequest, state: FormState?) async throws -> Response {
        let caller = try ParticipantOperations.Act.read.authorize(r.principal, on: r.channel, person: try? r.context.parameter(.person))
        return try await detail(r, caller, person: try r.context.parameter(.person), reason: nil, state: state)
    }

    /// A protected person's page by the organisation's reference: without their name and
    /// number until a reason is given.
    static func showProtected(_ r: PageRequest) async throws -> Response {
        let caller = try ParticipantOperations.Act.read.authorize(r.principal, on: r.channel)
        let person = try await ParticipantOperations.protectedPerson(try r.context.parameter(.reference), caller, r.services)
        return try await detail(r, caller, person: person, reason: nil, state: nil)
    }

    /// The reason form's answer: the page with the name and number, the look audited with the
    /// reason; without a reason, the form again with what is missing.
    static func reveal(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try ParticipantOperations.Act.read.authorize(r.principal, on: r.channel)
        let person = try await ParticipantOperations.protectedPerson(try r.context.parameter(.reference), caller, r.services)
        let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            return try await detail(
                r, caller, person: person, reason: nil, state: FormState(id: "reveal", values: [:], errors: ["reason": r.t("protected.reasonMissing")]))
        }
        return try await detail(r, caller, person: person, reason: reason, state: nil)
    }

    /// Sets or removes the mark on the reader's own registration.
    static func protect(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try ParticipantOperations.Act.change.authorize(r.principal, on: r.channel, person: try? r.context.parameter(.person))
        let person = try r.context.parameter(.person)
        guard let value = form["protected"], value == "yes" || value == "no" else { throw APIError.badRequest("protected must be yes or no") }
        try await ParticipantOperations.setProtected(person, marked: value == "yes", caller, r.services)
        return .redirect(SiteURL.participant(person.description).with([("sparat", value == "yes" ? "skyddad" : "oskyddad")]))
    }

    static func detail(_ r: PageRequest, _ caller: Caller, person: Personnummer, reason: String?, state: FormState?) async throws -> Response {
        let (view, entries) = try await ParticipantOperations.page(person, reason: reason, caller, r.services)
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        let own = view.registrations.contains { $0.party == principal.organisation }
        let registry = try await OrganisationOperations.all(caller, r.services)
        let names = Dictionary(registry.map { ($0.number, $0.name) }, uniquingKeysWith: { a, _ in a })
        func party(_ o: Organisationsnummer) -> String { r.organisationName(o, names) }
        let m = view.merged
        let lang = r.language
        let hidden = view.identityHidden
        var attributes = [
            Attribute(label: r.t("field.personId"), value: hidden ? r.t("protected.label") : person.description),
            Attribute(label: r.t("field.sex"), value: r.t("sex." + m.sex.rawValue)),
            Attribute(
                label: r.t("field.municipality"),
                value: view.municipalityWithheld ? r.t("protected.withheld") : "\(m.municipality.name) (\(m.municipality))"),
            Attribute(label: r.t("field.firstPermitDate"), value: m.firstPermitDate.description),
            Attribute(label: r.t("field.registeredOn"), value: m.registeredOn.description),
            Attribute(label: r.t("field.upperSecondaryCompleted"), value: r.t(m.upperSecondaryCompleted ? "yes" : "no")),
        ]
        if let exited = m.exitedOn { attributes.append(Attribute(label: r.t("field.exitedOn"), value: exited.description)) }

        let agreements = try await AgreementOperations.withParty(caller, r.services).map(\.agreement)
        var trackNames: [String: String] = [:]
        for a in agreements { for t in a.tracks { trackNames["\(a.id)/\(t.code)"] = t.name } }
        var timeline: [(Day, Int, TimelineItem)] = []
        for e in view.events {
            let track = e.value.agreement.flatMap { trackNames["\($0)/\(e.value.track)"] } ?? e.value.track
            let text = "\(r.t("event." + e.value.kind.rawValue)) – \(track)" + (e.value.reason.map { " (\($0))" } ?? "")
            timeline.append(
                (
                    e.value.date, 0,
                    TimelineItem(
                        date: e.value.date.description, kind: r.t("timeline.event"), text: text, party: party(e.recordedBy),
                        own: e.recordedBy == principal.organisation)
                ))
        }
        for s in view.statuses {
            timeline.append(
                (
                    s.value.date, 1,
                    TimelineItem(
                        date: s.value.date.description, kind: r.t("timeline.status"), text: r.t("status." + s.value.status.rawValue),
                        party: party(s.recordedBy), own: s.recordedBy == principal.organisation)
                ))
        }
        for a in view.activities {
            var text = r.t("activity." + a.value.activity.rawValue)
            if let end = a.value.end { text += ", \(r.t("until")) \(end)" }
            if let hours = a.value.hoursPerWeek {
                text += ", \(NumberText.decimal(hours, digits: hours.rounded() == hours ? 0 : 1, lang)) \(r.t("hoursPerWeek"))"
            }
            if let provider = a.value.provider { text += ", \(provider)" }
            timeline.append(
                (
                    a.value.start, 2,
                    TimelineItem(
                        date: a.value.start.description, kind: r.t("timeline.activity"), text: text, party: party(a.recordedBy),
                        own: a.recordedBy == principal.organisation)
                ))
        }
        for c in view.consents {
            timeline.append(
                (
                    c.validFrom, 3,
                    TimelineItem(
                        date: c.validFrom.description, kind: r.t("timeline.consent"), text: String(format: r.t("consent.text"), party(c.party)),
                        party: party(c.recordedBy), own: c.recordedBy == principal.organisation)
                ))
        }
        timeline.sort { ($0.0, $0.1) > ($1.0, $1.1) }

        let canWrite = ParticipantOperations.Act.register.allows(principal) && own && !hidden
        let consents = view.consents.map { c in
            let state: String =
                if let withdrawn = c.withdrawnOn { String(format: r.t("consent.withdrawn"), withdrawn.description) } else if c.isValid(on: r.today) {
                    r.t("consent.valid")
                } else { r.t("consent.notValid") }
            return ConsentRow(
                party: party(c.party), from: c.validFrom.description, until: c.validUntil?.description ?? r.t("consent.open"), state: state,
                recordedBy: party(c.recordedBy),
                withdraw: canWrite && c.recordedBy == principal.organisation && c.withdrawnOn == nil
                    ? SiteURL.withdrawConsent(person.description, String(c.id)).path : nil)
        }

        var forms: [FormModel] = []
        if canWrite {
            // Consent is given to a partner in the collaboration: the other parties of the
            // reader's agreements (every organisation of the registry when there are none).
            let partners = Set(agreements.flatMap { $0.parties.map(\.orgNumber) })
            let organisations = partners.count > 1 ? registry.filter { partners.contains($0.number) } : registry
            forms = recordForms(r, person: person, agreements: agreements, organisations: organisations, own: principal.organisation, state: state)
        }
        let log = entries.map { entries in
            entries.map { e in
                LogRow(
                    at: LocalTime.text(e.at), who: e.draft.actor, organisation: e.draft.organisation.map(party) ?? "–",
                    action: r.language.strings["action." + e.draft.action] ?? e.draft.action, channel: e.draft.channel)
            }
        }
        var model = DetailModel(
            person: hidden ? r.t("protected.label") : person.description, name: [m.givenName, m.familyName].compactMap { $0 }.joined(separator: " "),
            attributes: attributes,
            registrations: view.registrations.map {
                RegistrationRow(
                    party: party($0.party) + ($0.withheld ? " – " + r.t("protected.withheldParty") : ""),
                    registeredOn: $0.record.registeredOn.description, exitedOn: $0.record.exitedOn?.description ?? "–")
            },
            timeline: timeline.map(\.2), consents: consents, forms: forms, log: log, ownRegistration: own, canWrite: canWrite)
        model.hidden = hidden
        model.heading = model.name.isEmpty ? model.person : model.name
        if view.isOwnProtected {
            model.protectedNotice = r.t(hidden ? "protected.hiddenNotice" : "protected.shownNotice")
        }
        if hidden, let ref = view.ownProtectedRef {
            var reveal = FormModel(
                action: SiteURL.protectedParticipant(ref).path, heading: r.t("protected.revealHeading"), submit: r.t("protected.revealSubmit"),
                fields: [
                    {
                        var f = FieldModel(
                            name: "reason", label: r.t("protected.reason"), hint: r.t("protected.reasonHint"), value: "",
                            error: state?.id == "reveal" ? state?.errors["reason"] : nil, required: true, type: "text")
                        f.textarea = true
                        return f
                    }()
                ], summary: state?.id == "reveal" ? r.t("form.errors") : nil, id: "reveal")
            reveal.standalone = false
            model.reveal = reveal
        }
        if canWrite {
            let marked = view.isOwnProtected
            model.protection = FormModel(
                action: SiteURL.participantProtection(person.description).path, heading: r.t("protected.markHeading"),
                submit: r.t(marked ? "protected.unmarkSubmit" : "protected.markSubmit"), fields: [], summary: nil, id: "protection")
            model.protection?.hidden = [Option(value: marked ? "no" : "yes", label: "protected", selected: false)]
        }
        if own {
            model.attention =
                CaseRow.build([view], viewer: principal.organisation, agreements: agreements, today: r.today).first?.attention.map {
                    String(format: r.t("attention.\($0.reason.rawValue).why"), $0.day.description)
                } ?? []
            model.hasAttention = !model.attention.isEmpty
        }
        let saved = r.request.uri.queryParameters.get("sparat").flatMap { r.language.strings["saved." + $0] }
        return r.render(
            "participant", title: hidden ? r.t("protected.label") : model.name.isEmpty ? person.description : model.name, model, current: .participants,
            notice: saved, status: state == nil ? .ok : .unprocessableContent)
    }

    static func recordForms(
        _ r: PageRequest, person: Personnummer, agreements: [Agreement], organisations: [Organisation], own: Organisationsnummer, state: FormState?
    ) -> [FormModel] {
        func values(_ id: String) -> [String: String] { state?.id == id ? state!.values : [:] }
        func errors(_ id: String) -> [String: String] { state?.id == id ? state!.errors : [:] }
        func field(
            _ form: String, _ name: String, required: Bool = false, type: String = "text", options: [Option]? = nil, defaultValue: String = ""
        ) -> FieldModel {
            let v = values(form)[name] ?? defaultValue
            return FieldModel(
                name: name, label: r.t("field." + name), hint: r.language.strings["hint." + name], value: v, error: errors(form)[name], required: required,
                type: type, options: options?.map { Option(value: $0.value, label: $0.label, selected: $0.value == v) })
        }
        func choose(_ items: [(String, String)]) -> [Option] {
            [Option(value: "", label: r.t("choose"), selected: false)] + items.map { Option(value: $0.0, label: $0.1, selected: false) }
        }
        let today = r.today.description
        let tracks = agreements.flatMap { a in a.tracks.map { ("\(a.id)/\($0.code)", "\($0.name) (\(a.area ?? a.id))") } }
        func summary(_ id: String) -> String? { errors(id).isEmpty ? nil : r.t("form.errors") }
        let id = person.description
        return [
            FormModel(
                action: SiteURL.participantRecord(id, .events).path, heading: r.t("form.event"), submit: r.t("form.save"),
                fields: [
                    field("event", "track", required: true, options: choose(tracks)),
                    field("event", "event", required: true, options: choose(TrackEventKind.allCases.map { ($0.rawValue, r.t("event." + $0.rawValue)) })),
                    field("event", "date", required: true, defaultValue: today), field("event", "reason"),
                ], summary: summary("event"), id: "event"),
            FormModel(
                action: SiteURL.participantRecord(id, .statuses).path, heading: r.t("form.status"), submit: r.t("form.save"),
                fields: [
                    field("status", "status", required: true, options: choose(Outcome.allCases.map { ($0.rawValue, r.t("status." + $0.rawValue)) })),
                    field("status", "date", required: true, defaultValue: today),
                ], summary: summary("status"), id: "status"),
            FormModel(
                action: SiteURL.participantRecord(id, .activities).path, heading: r.t("form.activity"), submit: r.t("form.save"),
                fields: [
                    field("activity", "activity", required: true, options: choose(ActivityKind.allCases.map { ($0.rawValue, r.t("activity." + $0.rawValue)) })),
                    field("activity", "start", required: true, defaultValue: today), field("activity", "end"), field("activity", "hoursPerWeek"),
                    field("activity", "provider"),
                ], summary: summary("activity"), id: "activity"),
            FormModel(
                action: SiteURL.giveConsent(id).path, heading: r.t("form.consent"), submit: r.t("form.saveConsent"),
                fields: [
                    field(
                        "consent", "party", required: true,
                        options: choose(organisations.filter { $0.number != own }.map { ($0.number.description, "\($0.name) (\($0.number))") })),
                    field("consent", "validFrom", defaultValue: today), field("consent", "validUntil"),
                ], summary: summary("consent"), id: "consent"),
        ]
    }

    static func record(_ form: SiteURL.RecordForm, _ r: PageRequest, _ data: FormData) async throws -> Response {
        let caller = try ParticipantOperations.Act.record(form.kind).authorize(r.principal, on: r.channel, person: try? r.context.parameter(.person))
        let person = try r.context.parameter(.person)
        var values = data.fields
        values["_csrf"] = nil
        var fields: [String: Any] = ["personId": person.description]
        let kind: ImportKind
        let id: String
        switch form {
        case .events:
            kind = .events
            id = "event"
            if let track = data["track"] {
                let parts = track.split(separator: "/", maxSplits: 1).map { String($0) }
                if parts.count == 2 {
                    fields["agreement"] = parts[0]
                    fields["track"] = parts[1]
                } else {
                    fields["track"] = track
                }
            }
            for key in ["event", "date", "reason"] { if let v = data[key] { fields[key] = v } }
        case .statuses:
            kind = .statuses
            id = "status"
            for key in ["status", "date"] { if let v = data[key] { fields[key] = v } }
        case .activities:
            kind = .activities
            id = "activity"
            for key in ["activity", "start", "end", "provider"] { if let v = data[key] { fields[key] = v } }
            if let hours = data["hoursPerWeek"] {
                if let number = Double(hours.replacing(",", with: ".")) { fields["hoursPerWeek"] = number } else { fields["hoursPerWeek"] = hours }
            }
        }
        guard let errors = try await write(kind, r, caller, person: person, fields: fields, action: "record") else {
            return .redirect(SiteURL.participant(person.description).with([("sparat", id)]))
        }
        return try await show(r, state: FormState(id: id, values: values, errors: errors))
    }

    /// The API's consent rule: only a party that registered the person records one, for
    /// another organisation of the registry.
    static func giveConsent(_ r: PageRequest, _ data: FormData) async throws -> Response {
        let caller = try ConsentOperations.Act.give.authorize(r.principal, on: r.channel, person: try? r.context.parameter(.person))
        let person = try r.context.parameter(.person)
        var body: [String: String] = [:]
        for key in ["party", "validFrom", "validUntil"] { if let v = data[key] { body[key] = v } }
        body["party"] = body["party"] ?? ""
        var values = data.fields
        values["_csrf"] = nil
        do {
            _ = try await ConsentOperations.give(body, person: person, caller, r.services)
        } catch let error as APIError where error.status == .unprocessableContent {
            var errors: [String: String] = [:]
            for p in error.problems where errors[p.column] == nil { errors[p.column] = Klarsprak.reason(p.reason, r.language, column: p.column) }
            return try await show(r, state: FormState(id: "consent", values: values, errors: errors))
        }
        return .redirect(SiteURL.participant(person.description).with([("sparat", "samtycke")]))
    }

    static func withdrawConsent(_ r: PageRequest, _ data: FormData) async throws -> Response {
        let caller = try ConsentOperations.Act.withdraw.authorize(r.principal, on: r.channel, person: try? r.context.parameter(.person))
        let person = try r.context.parameter(.person)
        let id = try r.context.parameter(.consent)
        try await ConsentOperations.withdraw(id, person: person, on: r.today, caller, r.services)
        return .redirect(SiteURL.participant(person.description).with([("sparat", "aterkallat")]))
    }
}
