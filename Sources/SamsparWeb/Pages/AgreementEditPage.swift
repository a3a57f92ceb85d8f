import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// Drafting an agreement in the browser (issue 9, parts 1–3 and 5): a coordinator of a party
/// starts a draft, empty or from an earlier agreement, and edits it section by section; each
/// section is its own form, saved over the draft (``AgreementLife/saveDraft``) and checked by
/// the same validation as an imported document. Lists (parties, tracks, cost lines,
/// decisions, grants) grow one item at a time; a track saved with a code it has already
/// replaces that track, and a party added again updates its signatory. Items are removed by
/// their key (organisation number, track code, or position in the list).
enum AgreementEditPage {
    typealias Field = FieldModel
    typealias Form = FormModel

    enum Part: String, CaseIterable, Sendable {
        case basics = "grund", model = "modell", perspectives = "perspektiv", coordinator = "samordnare", party = "part", track = "spar"
        case cost = "kostnad", decision = "beslut", grant = "bidrag", remove = "ta-bort"
        /// Issue 26: the parties' own wording per section, and the time plan's milestones.
        case texts = "texter", milestone = "tidplan"
    }

    typealias Row = TableRow

    struct Model: Sendable {
        var id: String
        var title: String
        var agreementHref: String
        var documentHref: String
        var removeAction: String
        var missing: [String]
        var hasMissing: Bool
        var warnings: [String]
        var hasWarnings: Bool
        var summary: String?
        var basics: Form
        var model: Form
        var perspectives: Form
        var texts: Form
        var timePlan: [Row]
        var milestoneForm: Form
        var coordinator: Form
        var parties: [Row]
        var partyForm: Form
        var tracks: [Row]
        var trackForm: Form
        var costs: [Row]
        var costTotals: [Row]
        var costForm: Form
        var decisions: [Row]
        var decisionForm: Form
        var grants: [Row]
        var grantForm: Form
        var occupationsHref = SiteURL.occupations.path
        /// Who has signed this draft: a change clears their signatures.
        var signedWarning: String? = nil
        /// After a refused save: a link at the top to the form that needs correcting.
        var failedHref: String? = nil
        var failedText: String? = nil
    }

    // MARK: New draft

    static let defaultTitle = "Överenskommelse om fördjupad samverkan om nyanländas etablering"

    static func newForm(_ r: PageRequest, values: [String: String] = [:], errors: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let caller = try AgreementOperations.Act.draft.authorize(r.principal, on: r.channel)
        var from = [Option(value: "", label: r.t("edit.fromEmpty"), selected: (values["fran"] ?? "").isEmpty)]
        for stored in try await AgreementOperations.withParty(caller, r.services) {
            from.append(
                Option(
                    value: stored.agreement.id, label: "\(stored.agreement.area ?? stored.agreement.title) (\(stored.agreement.id))",
                    selected: values["fran"] == stored.agreement.id))
        }
        func field(_ name: String, required: Bool = false, type: String = "text", options: [Option]? = nil) -> Field {
            Field(
                name: name, label: r.t("edit.field." + name), hint: r.language.strings["edit.hint." + name],
                value: values[name] ?? (name == "title" ? defaultTitle : ""), error: errors[name], required: required, type: type, options: options)
        }
        let form = Form(
            action: SiteURL.newAgreement.path, heading: r.t("edit.newHeading"), submit: r.t("edit.create"),
            fields: [
                field("id", required: true), field("title", required: true), field("area"), field("validFrom", required: true, type: "date"),
                field("fran", options: from),
            ],
            summary: errors.isEmpty ? nil : r.t("edit.fixBelow"), id: "nytt")
        return r.render(
            "form-page", title: r.t("edit.newHeading"), FormPage(form: form, intro: r.t("edit.newIntro"), back: nil), current: .agreements,
            status: status)
    }

    static func create(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AgreementOperations.Act.draft.authorize(r.principal, on: r.channel)
        var values = form.fields
        values["_csrf"] = nil
        var errors: [String: String] = [:]
        let id = form["id"] ?? ""
        if id.isEmpty || !id.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }) { errors["id"] = r.t("edit.error.slug") }
        if form["title"] == nil { errors["title"] = r.t("edit.error.required") }
        var validFrom: Day?
        if let text = form["validFrom"] {
            do { validFrom = try Day(plausibleISO: text) } catch { errors["validFrom"] = Klarsprak.reason(error.description, r.language) }
        } else {
            errors["validFrom"] = r.t("edit.error.required")
        }
        if errors.isEmpty, try await AgreementOperations.exists(id, caller, r.services) { errors["id"] = r.t("edit.error.idTaken") }
        guard errors.isEmpty, let validFrom else { return try await newForm(r, values: values, errors: errors, status: .unprocessableContent) }
        var draft: Agreement
        if let from = form["fran"] {
            guard let earlier = try await AgreementOperations.withParty(caller, r.services).first(where: { $0.agreement.id == from }) else {
                return try await newForm(r, values: values, errors: ["fran": r.t("edit.error.notYours")], status: .unprocessableContent)
            }
            draft = earlier.agreement.revision()
            draft.termination = nil
        } else {
            guard let own = try await OrganisationOperations.own(caller, r.services) else { throw APIError.notFound() }
            draft = Agreement(
                id: id, title: "", area: nil, purpose: nil, validFrom: validFrom, periodMonths: 12, nextRevision: nil, maxEstablishmentDays: 730,
                targetGroups: .init(), parties: [.init(orgNumber: own.number, name: own.name, kind: own.kind, municipalityCode: own.municipalityCode)],
                tracks: [], modelParts: [:], signatures: [], status: .draft)
        }
        draft.id = id
        draft.title = form["title"] ?? defaultTitle
        draft.area = form["area"]
        draft.validFrom = validFrom
        _ = try await AgreementOperations.saveDraft(draft, new: true, caller, r.services)
        return .redirect(SiteURL.agreementEdit(id).with([("sparat", "1")]))
    }

    // MARK: The editor

    /// The newest version, which must be a draft of a party of the reader's organisation.
    static func draft(_ r: PageRequest, _ caller: Caller) async throws -> StoredAgreement {
        let id = try r.context.parameter(.agreement)
        let newest = try await AgreementOperations.newestOfParty(id, caller, r.services)
        guard newest.agreement.isDraft else { throw PageRedirect(location: SiteURL.agreement(id).with([("utkast", "nej")])) }
        return newest
    }

    static func show(_ r: PageRequest) async throws -> Response {
        let caller = try AgreementOperations.Act.draft.authorize(r.principal, on: r.channel)
        let stored = try await draft(r, caller)
        let notice = r.request.uri.queryParameters.get("sparat") != nil ? r.t("edit.saved") : nil
        return try await page(r, stored.agreement, notice: notice)
    }

    static func save(_ part: Part, _ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AgreementOperations.Act.draft.authorize(r.principal, on: r.channel)
        let stored = try await draft(r, caller)
        var a = stored.agreement
        var errors: [String: String] = [:]
        let registry = try await OrganisationOperations.all(caller, r.services)
        apply(part, form, to: &a, registry: registry, errors: &errors, r)
        var summary: String?
        if errors.isEmpty {
            // The same validation as an imported document: the draft is what it would read back.
            do {
                a = try Agreement.parse(json: Data(a.document.serialized().utf8))
            } catch {
                summary = error.problems.map { "\($0.path): \(Klarsprak.reason($0.reason, r.language))" }.joined(separator: " · ")
            }
        }
        if errors.isEmpty && summary == nil {
            do {
                _ = try await AgreementOperations.saveDraft(a, caller, r.services)
                return .redirect(SiteURL.agreementEdit(a.id).with([("sparat", part.rawValue)]) + "#\(part.rawValue)-heading")
            } catch let error as APIError where error.refusal == nil {
                summary = error.pageText.flatMap { r.language.strings[$0] } ?? ([error.message] + error.problems.map(\.reason)).joined(separator: " · ")
            }
        }
        var values = form.fields
        values["_csrf"] = nil
        if part == .remove, summary == nil { summary = errors["vad"] }
        return try await page(
            r, stored.agreement, failed: part, values: values, errors: errors, summary: summary ?? r.t("edit.fixBelow"), status: .unprocessableContent)
    }

    // MARK: Reading a section's form

    static func apply(_ part: Part, _ form: FormData, to a: inout Agreement, registry: [Organisation], errors: inout [String: String], _ r: PageRequest) {
        func required(_ name: String) -> String {
            guard let v = form[name] else {
                errors[name] = r.t("edit.error.required")
                return ""
            }
            return v
        }
        func day(_ name: String, required: Bool = false) -> Day? {
            guard let text = form[name] else {
                if required { errors[name] = r.t("edit.error.required") }
                return nil
            }
            do { return try Day(plausibleISO: text) } catch {
                errors[name] = Klarsprak.reason(error.description, r.language)
                return nil
            }
        }
        func integer(_ name: String, required: Bool = false, in range: ClosedRange<Int> = Agreement.Bounds.kronor) -> Int? {
            guard let text = form[name] else {
                if required { errors[name] = r.t("edit.error.required") }
                return nil
            }
            let digits = text.replacing(" ", with: "").replacing("\u{00A0}", with: "").replacing("kr", with: "")
            guard let n = Int(digits), n >= 0 else {
                errors[name] = r.t("edit.error.number")
                return nil
            }
            guard range.contains(n) else {
                errors[name] = String(
                    format: r.t("edit.error.range"), NumberText.integer(range.lowerBound, r.language), NumberText.integer(range.upperBound, r.language))
                return nil
            }
            return n
        }
        func percent(_ name: String) -> Double? {
            guard let text = form[name] else { return nil }
            let cleaned = text.replacing("%", with: "").replacing(",", with: ".").trimmingCharacters(in: .whitespaces)
            guard let v = Double(cleaned), v > 0, v <= 100 else {
                errors[name] = r.t("edit.error.percent")
                return nil
            }
            return v / 100
        }
        func party(_ name: String, required isRequired: Bool = true) -> Organisationsnummer? {
            guard let text = form[name] else {
                if isRequired { errors[name] = r.t("edit.error.required") }
                return nil
            }
            guard let n = try? Organisationsnummer(text), a.parties.contains(where: { $0.orgNumber == n }) else {
                errors[name] = r.t("edit.error.notParty")
                return nil
            }
            return n
        }
        switch part {
        case .basics:
            a.title = required("title")
            a.area = form["area"]
            a.purpose = form["purpose"]
            if let d = day("validFrom", required: true) { a.validFrom = d }
            a.nextRevision = day("nextRevision")
            if let m = integer("periodMonths", in: Agreement.Bounds.months) { a.periodMonths = m }
            if let d = integer("maxDays", in: Agreement.Bounds.days) { a.maxEstablishmentDays = d }
            if let m = integer("groupAMonths", in: Agreement.Bounds.months) { a.targetGroups.monthsSinceFirstPermit = m }
            if let m = integer("groupBMin", in: Agreement.Bounds.ages) { a.targetGroups.minAge = m }
            if let m = integer("groupBMax", in: Agreement.Bounds.ages) { a.targetGroups.maxAge = m }
            if a.targetGroups.minAge > a.targetGroups.maxAge, errors["groupBMax"] == nil { errors["groupBMax"] = r.t("edit.error.ages") }
            a.subGoals = .init(
                recruitment: percent("recruitment"), acceptance: percent("acceptance"), completion: percent("completion"), outcome: percent("outcome"))
        case .model:
            for key in Agreement.requiredModelParts { a.modelParts[key] = form[key] }
        case .perspectives:
            for key in Agreement.requiredPerspectives { a.perspectives[key] = form[key] }
        case .texts:
            // An empty field gives the section back its standard sentence.
            for key in Agreement.Texts.keys { a.texts[key] = form[key]?.trimmed.nilIfEmpty }
        case .milestone:
            let date = day("milestoneDate", required: true)
            let what = required("milestone")
            guard errors.isEmpty, let date else { return }
            a.timePlan.append(.init(date: date, milestone: what))
            a.timePlan.sort { $0.date < $1.date }
        case .coordinator:
            let name = required("name")
            a.coordinator = .init(
                name: name, title: form["title"], orgNumber: party("org", required: false), email: form["email"], phone: form["phone"])
        case .party:
            guard let text = form["org"] else {
                errors["org"] = r.t("edit.error.required")
                return
            }
            guard let number = try? Organisationsnummer(text), let org = registry.first(where: { $0.number == number }) else {
                errors["org"] = r.t("edit.error.notInRegistry")
                return
            }
            if let i = a.parties.firstIndex(where: { $0.orgNumber == number }) {
                a.parties[i].signatory = form["signatory"]
                a.parties[i].title = form["signatoryTitle"]
            } else {
                a.parties.append(
                    .init(
                        orgNumber: org.number, name: form["partyName"] ?? org.name, kind: org.kind, municipalityCode: org.municipalityCode,
                        signatory: form["signatory"], title: form["signatoryTitle"]))
            }
        case .track:
            let code = required("code")
            let name = required("name")
            let kind = form["kind"].flatMap(TrackKind.init(rawValue:))
            if kind == nil { errors["kind"] = r.t("edit.error.required") }
            var codes: [SSYKCode] = []
            for token in (form["ssyk"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }) {
                do { codes.append(try SSYKCode(token)) } catch { errors["ssyk"] = String(format: r.t("edit.error.ssyk"), String(token)) }
            }
            let responsible = party("responsible")
            var goal: Agreement.GenderGoal?
            if let sexText = form["genderSex"], let sex = Sex(rawValue: sexText) {
                if let share = percent("genderShare") {
                    goal = .init(sex: sex, minShare: share)
                } else if errors["genderShare"] == nil {
                    errors["genderShare"] = r.t("edit.error.required")
                }
            }
            guard let kind, errors.isEmpty else { return }
            let track = Agreement.Track(code: code, name: name, kind: kind, ssyk: codes, genderGoal: goal, responsible: responsible)
            if let i = a.tracks.firstIndex(where: { $0.code == code }) { a.tracks[i] = track } else { a.tracks.append(track) }
        case .cost:
            let track = form["track"]
            if let track, !a.tracks.contains(where: { $0.code == track }) { errors["track"] = r.t("edit.error.track") }
            let org = party("org")
            let year = integer("year", required: true, in: 2000...2100)
            let amount = integer("amount", required: true)
            let source = form["source"].flatMap(Agreement.FundingSource.init(rawValue:))
            if source == nil { errors["source"] = r.t("edit.error.required") }
            let spent = integer("spent")
            guard errors.isEmpty, let org, let year, let amount, let source else { return }
            a.costs.append(.init(track: track, orgNumber: org, year: year, amount: amount, source: source, spent: spent))
        case .decision:
            let org = party("org")
            let body = required("body")
            let date = day("date", required: true)
            let decision = required("decision")
            guard errors.isEmpty, let org, let date else { return }
            a.decisions.append(.init(orgNumber: org, body: body, date: date, decision: decision))
        case .grant:
            let org = party("org")
            let purpose = required("purpose")
            let applied = integer("applied", required: true)
            let (basis, granted) = (integer("basis", in: 0...10_000_000), integer("granted"))
            let (decided, due, reported) = (day("decisionDate"), day("reportDue"), day("reportedOn"))
            if let round = form["round"], r.services.grantRounds.round(round) == nil { errors["round"] = r.t("edit.error.round") }
            guard errors.isEmpty, let org, let applied else { return }
            a.grants.append(
                Agreement.Grant(
                    orgNumber: org, round: form["round"], purpose: purpose, basis: basis, applied: applied, granted: granted, decisionDate: decided,
                    reportDue: due, reportedOn: reported))
        case .remove:
            let key = form["nyckel"] ?? ""
            let index = Int(key) ?? -1
            switch form["vad"] {
            case "part":
                // A coordinator cannot take their own organisation out: the draft would no
                // longer be theirs to edit.
                guard key != r.principal?.organisation.description else {
                    errors["vad"] = r.t("edit.error.ownParty")
                    return
                }
                guard let party = a.parties.first(where: { $0.orgNumber.description == key }) else {
                    errors["vad"] = r.t("edit.error.nothingToRemove")
                    return
                }
                // What still names the party: said, not removed behind the coordinator's back.
                let n = party.orgNumber
                let named =
                    a.tracks.contains { $0.responsible == n } || a.costs.contains { $0.orgNumber == n } || a.decisions.contains { $0.orgNumber == n }
                    || a.grants.contains { $0.orgNumber == n } || a.coordinator?.orgNumber == n
                guard !named else {
                    errors["vad"] = String(format: r.t("edit.error.partyInUse"), party.name)
                    return
                }
                a.parties.removeAll { $0.orgNumber == n }
                a.signatures.removeAll { $0.orgNumber == n }
            case "spar":
                guard let track = a.tracks.first(where: { $0.code == key }) else {
                    errors["vad"] = r.t("edit.error.nothingToRemove")
                    return
                }
                guard !a.costs.contains(where: { $0.track == key }) else {
                    errors["vad"] = String(format: r.t("edit.error.trackInUse"), track.name)
                    return
                }
                a.tracks.removeAll { $0.code == key }
            case "kostnad" where a.costs.indices.contains(index): a.costs.remove(at: index)
            case "beslut" where a.decisions.indices.contains(index): a.decisions.remove(at: index)
            case "bidrag" where a.grants.indices.contains(index): a.grants.remove(at: index)
            case "tidplan" where a.timePlan.indices.contains(index): a.timePlan.remove(at: index)
            default: errors["vad"] = r.t("edit.error.nothingToRemove")
            }
        }
    }

    // MARK: The page

    static func kronor(_ n: Int, _ r: PageRequest) -> String { NumberText.integer(n, r.language) + "\u{00A0}kr" }

    static func percentText(_ d: Double?) -> String {
        guard let d else { return "" }
        let v = (d * 1000).rounded() / 10
        return v == v.rounded() ? String(Int(v)) : String(v)
    }

    static func page(
        _ r: PageRequest, _ a: Agreement, failed: Part? = nil, values: [String: String] = [:], errors: [String: String] = [:], summary: String? = nil,
        notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let registry = try await OrganisationOperations.registry(r.services)
        let names = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
        func partyName(_ n: Organisationsnummer?) -> String { n.map { names[$0] ?? $0.description } ?? "–" }
        /// A form of `part`: what was typed when that form failed, else the draft's values.
        func form(_ part: Part, _ fields: [Field], submit: String? = nil) -> Form {
            let failedHere = failed == part
            let shown = fields.map { f -> Field in
                var f = f
                if failedHere {
                    f.value = values[f.name] ?? ""
                    f.error = errors[f.name]
                    if let options = f.options { f.options = options.map { Option(value: $0.value, label: $0.label, selected: $0.value == f.value) } }
                }
                return f
            }
            return Form(
                action: SiteURL.agreementEditPart(a.id, part).path, heading: r.t("edit.part." + part.rawValue), submit: submit ?? r.t("edit.save"),
                fields: shown, summary: failedHere ? summary : nil, id: part.rawValue)
        }
        func field(_ name: String, _ value: String = "", required: Bool = false, type: String = "text", options: [Option]? = nil, textarea: Bool = false)
            -> Field
        {
            var f = Field(
                name: name, label: r.t("edit.field." + name), hint: r.language.strings["edit.hint." + name], value: value, error: nil, required: required,
                type: type, options: options.map { o in o.map { Option(value: $0.value, label: $0.label, selected: $0.value == value) } })
            f.textarea = textarea
            return f
        }
        let partyOptions =
            [Option(value: "", label: r.t("choose"), selected: false)]
            + a.parties.map { Option(value: $0.orgNumber.description, label: $0.name, selected: false) }
        let registryOptions =
            [Option(value: "", label: r.t("choose"), selected: false)]
            + registry.sorted { $0.name < $1.name }.map { Option(value: $0.number.description, label: "\($0.name) (\($0.number))", selected: false) }
        let trackOptions =
            [Option(value: "", label: r.t("edit.common"), selected: false)] + a.tracks.map { Option(value: $0.code, label: $0.name, selected: false) }
        let sourceOptions =
            [Option(value: "", label: r.t("choose"), selected: false)]
            + Agreement.FundingSource.allCases.map { Option(value: $0.rawValue, label: r.t("source." + $0.rawValue), selected: false) }

        let basics = form(
            .basics,
            [
                field("title", a.title, required: true), field("area", a.area ?? ""), field("purpose", a.purpose ?? "", textarea: true),
                field("validFrom", a.validFrom.description, required: true, type: "date"), field("periodMonths", String(a.periodMonths), type: "number"),
                field("nextRevision", a.nextRevision?.description ?? "", type: "date"), field("maxDays", String(a.maxEstablishmentDays), type: "number"),
                field("groupAMonths", String(a.targetGroups.monthsSinceFirstPermit), type: "number"),
                field("groupBMin", String(a.targetGroups.minAge), type: "number"), field("groupBMax", String(a.targetGroups.maxAge), type: "number"),
                field("recruitment", percentText(a.subGoals.recruitment)), field("acceptance", percentText(a.subGoals.acceptance)),
                field("completion", percentText(a.subGoals.completion)), field("outcome", percentText(a.subGoals.outcome)),
            ])
        let model = form(.model, Agreement.requiredModelParts.map { field($0, a.modelParts[$0] ?? "", textarea: true) })
        let perspectives = form(.perspectives, Agreement.requiredPerspectives.map { field($0, a.perspectives[$0] ?? "", textarea: true) })
        let texts = form(.texts, Agreement.Texts.keys.map { field($0, a.texts[$0] ?? "", textarea: true) })
        let milestoneForm = form(
            .milestone, [field("milestoneDate", required: true, type: "date"), field("milestone", required: true)], submit: r.t("edit.addMilestone"))
        let coordinator = form(
            .coordinator,
            [
                field("name", a.coordinator?.name ?? "", required: true), field("title", a.coordinator?.title ?? ""),
                field("org", a.coordinator?.orgNumber?.description ?? "", options: partyOptions), field("email", a.coordinator?.email ?? "", type: "email"),
                field("phone", a.coordinator?.phone ?? "", type: "tel"),
            ])
        let partyForm = form(
            .party, [field("org", required: true, options: registryOptions), field("partyName"), field("signatory"), field("signatoryTitle")],
            submit: r.t("edit.addParty"))
        let trackForm = form(
            .track,
            [
                field("code", required: true), field("name", required: true),
                field(
                    "kind", required: true,
                    options: [Option(value: "", label: r.t("choose"), selected: false)]
                        + TrackKind.allCases.map {
                            Option(value: $0.rawValue, label: r.t("trackKind." + $0.rawValue), selected: false)
                        }),
                field("ssyk"), field("responsible", required: true, options: partyOptions),
                field(
                    "genderSex",
                    options: [Option(value: "", label: r.t("edit.noGenderGoal"), selected: false)]
                        + [Sex.female, .male].map {
                            Option(value: $0.rawValue, label: r.t("sexPlural." + $0.rawValue), selected: false)
                        }), field("genderShare"),
            ], submit: r.t("edit.saveTrack"))
        let costForm = form(
            .cost,
            [
                field("track", options: trackOptions), field("org", required: true, options: partyOptions),
                field("year", String(a.validFrom.year), required: true, type: "number"), field("amount", required: true),
                field("source", required: true, options: sourceOptions),
                field("spent"),
            ], submit: r.t("edit.addCost"))
        let decisionForm = form(
            .decision,
            [
                field("org", required: true, options: partyOptions), field("body", required: true), field("date", required: true, type: "date"),
                field("decision", required: true, textarea: true),
            ],
            submit: r.t("edit.addDecision"))
        let roundOptions =
            [Option(value: "", label: r.t("edit.noRound"), selected: false)]
            + r.services.grantRounds.rounds.map { Option(value: $0.id, label: $0.title, selected: false) }
        let grantForm = form(
            .grant,
            [
                field("org", required: true, options: partyOptions), field("round", options: roundOptions), field("basis", type: "number"),
                field("purpose", required: true), field("applied", required: true), field("granted"), field("decisionDate", type: "date"),
                field("reportDue", type: "date"), field("reportedOn", type: "date"),
            ], submit: r.t("edit.addGrant"))

        let lists = Lists(a, r, editable: true)
        let missing = AgreementPages.missingText(a, r)
        let page = Model(
            id: a.id, title: a.area ?? a.title, agreementHref: SiteURL.agreement(a.id).path, documentHref: SiteURL.agreementDocument(a.id).path,
            removeAction: SiteURL.agreementEditPart(a.id, .remove).path, missing: missing, hasMissing: !missing.isEmpty, warnings: lists.warnings,
            hasWarnings: !lists.warnings.isEmpty, summary: failed == .remove ? summary : nil, basics: basics, model: model, perspectives: perspectives,
            texts: texts,
            timePlan: a.timePlan.enumerated().map { i, m in Row(cells: [m.milestone], name: m.date.description, kind: "tidplan", key: String(i)) },
            milestoneForm: milestoneForm, coordinator: coordinator,
            parties: a.parties.map {
                Row(
                    cells: [$0.orgNumber.description, r.t("orgKind." + $0.kind.rawValue), [$0.signatory, $0.title].compactMap { $0 }.joined(separator: ", ")],
                    name: $0.name, kind: "part", key: $0.orgNumber.description)
            }, partyForm: partyForm,
            tracks: a.tracks.map { t in
                Row(
                    cells: [
                        t.code, r.t("trackKind." + t.kind.rawValue), t.ssyk.map { "\($0) \($0.label)" }.joined(separator: "; "), partyName(t.responsible),
                        t.genderGoal.map {
                            String(format: r.t("agreement.genderGoal"), NumberText.percent($0.minShare, r.language), r.t("sexPlural." + $0.sex.rawValue))
                        } ?? "–",
                    ], name: t.name, kind: "spar", key: t.code)
            }, trackForm: trackForm,
            costs: lists.costs, costTotals: lists.costTotals, costForm: costForm, decisions: lists.decisions, decisionForm: decisionForm,
            grants: lists.grants, grantForm: grantForm)
        var shown = page
        if let failed, failed != .remove {
            shown.failedHref = "#\(failed.rawValue)-heading"
            shown.failedText = String(format: r.t("edit.fixIn"), r.t("edit.part." + failed.rawValue))
        }
        if !a.signatures.isEmpty {
            shown.signedWarning = String(format: r.t("edit.signedWarning"), a.signatures.map { partyName($0.orgNumber) }.joined(separator: ", "))
        }
        return r.render(
            "agreement-edit", title: String(format: r.t("edit.title"), a.area ?? a.title), shown, current: .agreements, notice: notice, status: status)
    }

    /// The agreement's lists as table rows, for the editor (with each row's key for removing
    /// it) and the agreement page alike: cost lines and their totals, decisions, grants, and
    /// the grants above their round's cap.
    struct Lists {
        var costs: [Row]
        var costTotals: [Row]
        var decisions: [Row]
        var grants: [Row]
        var warnings: [String]

        init(_ a: Agreement, _ r: PageRequest, editable: Bool) {
            let names = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
            func partyName(_ n: Organisationsnummer) -> String { names[n] ?? n.description }
            func kind(_ k: String) -> String { editable ? k : "" }
            let over = a.grantsOverCap(r.services.grantRounds)
            costs = a.costs.enumerated().map { i, c in
                Row(
                    cells: [
                        partyName(c.orgNumber), String(c.year), r.t("source." + c.source.rawValue), kronor(c.amount, r), c.spent.map { kronor($0, r) } ?? "–",
                    ],
                    name: c.track.flatMap { code in a.tracks.first { $0.code == code }?.name } ?? r.t("edit.common"), kind: kind("kostnad"), key: String(i))
            }
            let totals = a.costTotals()
            costTotals =
                totals.byParty.map { Row(cells: [kronor($0.1, r)], name: partyName($0.0), kind: r.t("edit.perParty"), key: "") }
                + totals.bySource.map { Row(cells: [kronor($0.1, r)], name: r.t("source." + $0.0.rawValue), kind: r.t("edit.perSource"), key: "") }
                + [Row(cells: [kronor(totals.total, r)], name: r.t("edit.total"), kind: "", key: "")]
            decisions = a.decisions.enumerated().map { i, d in
                Row(cells: [d.body, d.date.description, d.decision], name: partyName(d.orgNumber), kind: kind("beslut"), key: String(i))
            }
            grants = a.grants.enumerated().map { i, g in
                let cap = over.first { $0.grant == g }?.cap
                return Row(
                    cells: [
                        g.purpose, kronor(g.applied, r) + (cap.map { " – " + String(format: r.t("edit.aboveCap"), kronor($0, r)) } ?? ""),
                        g.granted.map { kronor($0, r) } ?? "–", g.decisionDate?.description ?? "–",
                        g.reportDue.map { $0.description + (g.reportedOn.map { " (" + String(format: r.t("edit.reportedOn"), $0.description) + ")" } ?? "") }
                            ?? "–",
                    ], name: partyName(g.orgNumber), kind: kind("bidrag"), key: String(i))
            }
            warnings = over.map { String(format: r.t("edit.grantOverCap"), partyName($0.grant.orgNumber), kronor($0.grant.applied, r), kronor($0.cap, r)) }
        }
    }

    // MARK: Signing and revising

    static func sign(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AgreementOperations.Act.sign.authorize(r.principal, on: r.channel)
        let id = try r.context.parameter(.agreement)
        do {
            _ = try await AgreementOperations.sign(
                id: id, place: form["place"], date: form["date"] ?? "", name: form["name"] ?? "", title: form["title"], text: form["text"], caller, r.services)
        } catch let error as APIError where error.refusal == nil && error.status != .notFound {
            return try await AgreementPages.show(r, failure: failure("underteckna", error, form, r))
        }
        return .redirect(SiteURL.agreement(id).with([("undertecknad", "1")]))
    }

    static func terminate(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AgreementOperations.Act.terminate.authorize(r.principal, on: r.channel)
        let id = try r.context.parameter(.agreement)
        do {
            _ = try await AgreementOperations.terminate(id: id, date: form["date"] ?? "", caller, r.services)
        } catch let error as APIError where error.refusal == nil && error.status != .notFound {
            return try await AgreementPages.show(r, failure: failure("uppsagning", error, form, r))
        }
        return .redirect(SiteURL.agreement(id).with([("uppsagd", "1")]))
    }

    /// A refused form said in the reader's language: the page's own text for the error, with
    /// a bad date's reason in klarspråk, and what is missing listed.
    static func failure(_ form: String, _ error: APIError, _ data: FormData, _ r: PageRequest) -> AgreementPages.FormFailure {
        var values = data.fields
        values["_csrf"] = nil
        var message = error.pageText.flatMap { r.language.strings[$0] }.map { String(format: $0, error.pageArgument ?? "") } ?? error.message
        if error.pageText == "agreementError.badDate", let reason = error.problems.first?.reason { message = Klarsprak.reason(reason, r.language) }
        if error.pageText == "agreementError.incomplete" { message += " " + error.problems.map(\.column).joined(separator: ", ") }
        return .init(form: form, values: values, field: error.field, message: message)
    }

    static func revise(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AgreementOperations.Act.revise.authorize(r.principal, on: r.channel)
        let id = try r.context.parameter(.agreement)
        _ = try await AgreementOperations.revise(id: id, caller, r.services)
        return .redirect(SiteURL.agreementEdit(id).with([("sparat", "revision")]))
    }
}
