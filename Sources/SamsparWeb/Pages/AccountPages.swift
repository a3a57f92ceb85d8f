import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// An admin's users and API tokens, of their own organisation only (SPEC §1).
enum AccountPages {
    struct UserRow: Sendable {
        var email: String
        var role: String
        var state: String
        var disabled: Bool
        /// Disable or enable; not offered on one's own account (issue 19).
        var toggle: String?
        var toggleLabel: String
        var password: String
        var id: String
        /// How the person signs in: a provider, a password and an app, or a password alone.
        var signInHow: String
        /// Removes the second factor (a Samspår account that has one), audited.
        var resetSecondFactor: String?
    }

    /// The organisation's identity provider and the admin's map of its role claim.
    struct ProviderModel: Sendable {
        var intro: String
        var map: String
        var action = SiteURL.roleMap.path
    }

    struct TokenRow: Sendable {
        var name: String
        var created: String
        var revoked: String?
        var revoke: String?
    }

    struct Model: Sendable {
        var users: [UserRow]
        /// The e-mail filter, how many accounts it finds, and the pager (issue 19: every list pages).
        var q: String
        var total: String
        var pageText: String
        var previous: String?
        var next: String?
        var paged: Bool
        var action = SiteURL.accounts.path
        var tokens: [TokenRow]
        /// Revoked tokens are history (the audit log keeps who revoked which, and when): the
        /// page lists the live ones and says how many revoked ones it leaves out.
        var revokedHidden: String?
        var addUser: FormModel
        var createToken: FormModel
        var newToken: String?
        var organisation: String
        var provider: ProviderModel?
    }

    static let pageSize = 25

    static func show(_ r: PageRequest, state: FormState? = nil, newToken: String? = nil, notice: String? = nil) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(r.principal, on: r.channel)
        let own = r.principal?.organisation.description ?? ""
        let q = (r.request.uri.queryParameters.get("q").map { String($0) } ?? "").trimmingCharacters(in: .whitespaces)
        let asked = Int(r.request.uri.queryParameters.get("sida").map { String($0) } ?? "1") ?? 1
        let found = try await AccountOperations.users(caller, r.services).filter { q.isEmpty || $0.email.lowercased().contains(q.lowercased()) }
            .sorted { $0.email < $1.email }
        let pages = max(1, (found.count + pageSize - 1) / pageSize)
        let page = min(max(1, asked), pages)
        let users = Array(found.dropFirst((page - 1) * pageSize).prefix(pageSize))
        func pageLink(_ n: Int) -> String { SiteURL.accounts.with((q.isEmpty ? [] : [("q", q)]) + [("sida", String(n))]) }
        let allTokens = try await AccountOperations.tokens(caller, r.services)
        let tokens = allTokens.filter { $0.revokedAt == nil }
        let revoked = allTokens.count - tokens.count
        func values(_ id: String) -> [String: String] { state?.id == id ? state!.values : [:] }
        func errors(_ id: String) -> [String: String] { state?.id == id ? state!.errors : [:] }
        func field(_ form: String, _ name: String, type: String = "text", options: [Option]? = nil) -> FieldModel {
            let v = values(form)[name] ?? ""
            return FieldModel(
                name: name, label: r.t("field." + name), hint: r.language.strings["hint." + name], value: type == "password" ? "" : v,
                error: errors(form)[name], required: true, type: type,
                options: options?.map { Option(value: $0.value, label: $0.label, selected: $0.value == v) },
                autocomplete: type == "password" ? "new-password" : nil)
        }
        let roles = [Role.caseworker, .coordinator, .analyst, .auditor, .admin].map {
            Option(value: $0.rawValue, label: r.t("role." + $0.rawValue), selected: false)
        }
        let model = Model(
            users: users.map { u in
                UserRow(
                    email: u.email, role: r.t("role." + u.role.rawValue), state: r.t(u.disabled ? "user.disabled" : "user.active"), disabled: u.disabled,
                    toggle: u.email == r.principal?.actor && !u.disabled ? nil : SiteURL.userAction(String(u.id), u.disabled ? "aktivera" : "sparra").path,
                    toggleLabel: r.t(u.disabled ? "user.enable" : "user.disable"),
                    password: SiteURL.userAction(String(u.id), "losenord").path, id: String(u.id),
                    signInHow: r.t(u.provider != nil ? "accounts.viaProvider" : u.totpSecret != nil ? "accounts.twoFactor" : "accounts.noSecondFactor"),
                    resetSecondFactor: u.provider == nil && u.totpSecret != nil ? SiteURL.userAction(String(u.id), "tvasteg").path : nil)
            },
            q: q, total: NumberText.integer(found.count, r.language), pageText: String(format: r.t("list.page"), page, pages),
            previous: page > 1 ? pageLink(page - 1) : nil, next: page < pages ? pageLink(page + 1) : nil, paged: pages > 1,
            tokens: tokens.map { t in
                TokenRow(
                    name: t.name, created: String(t.createdAt.prefix(10)), revoked: t.revokedAt.map { String($0.prefix(10)) },
                    revoke: t.revokedAt == nil ? SiteURL.revokeToken(String(t.id)).path : nil)
            },
            revokedHidden: revoked == 0 ? nil : String(format: r.t("accounts.revokedHidden"), NumberText.integer(revoked, r.language)),
            addUser: .init(
                action: SiteURL.addUser.path, heading: r.t("accounts.addUser"), submit: r.t("accounts.addUser"),
                fields: [field("user", "email", type: "email"), field("user", "role", options: roles), field("user", "password", type: "password")],
                summary: errors("user").isEmpty ? nil : r.t("form.errors"), id: "user"),
            createToken: .init(
                action: SiteURL.createToken.path, heading: r.t("accounts.createToken"), submit: r.t("accounts.createToken"),
                fields: [field("token", "name")], summary: errors("token").isEmpty ? nil : r.t("form.errors"), id: "token"),
            newToken: newToken, organisation: own, provider: try await providerModel(r))
        return r.render("accounts", title: r.t("accounts.title"), model, current: .accounts, notice: notice, status: state == nil ? .ok : .unprocessableContent)
    }

    static func providerModel(_ r: PageRequest) async throws -> ProviderModel? {
        guard let p = try await SignInOperations.ownProvider(try r.caller(), r.services) else { return nil }
        return ProviderModel(
            intro: String(format: r.t("accounts.providerIntro"), p.issuer, p.roleClaim ?? r.t("accounts.noRoleClaim")),
            map: p.roles.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: "\n"))
    }

    /// The admin's map of the provider's role claim (one `value=role` a line), audited.
    static func roleMap(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(r.principal, on: r.channel)
        var map: [String: Role] = [:]
        for (n, line) in (form.fields["map"] ?? "").split(whereSeparator: \.isNewline).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 200, map.count < 200, let role = Role(rawValue: parts[1]), role != .system
            else {
                return try await show(r, notice: String(format: r.t("accounts.roleMapBad"), String(n + 1)))
            }
            map[parts[0]] = role
        }
        try await SignInOperations.setRoleMap(map, caller, r.services)
        return try await show(r, notice: r.t("accounts.changed"))
    }

    static func errors(_ error: APIError, _ r: PageRequest) -> [String: String] {
        var errors: [String: String] = [:]
        for p in error.problems where errors[p.column] == nil { errors[p.column] = Klarsprak.reason(p.reason, r.language, column: p.column) }
        if errors.isEmpty { errors["email"] = error.status == .conflict ? r.t("accounts.exists") : error.message }
        return errors
    }

    static func addUser(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(r.principal, on: r.channel)
        do {
            _ = try await AccountOperations.addUser(
                email: form["email"] ?? "", organisation: nil, role: form["role"] ?? "", password: form.fields["password"] ?? "", caller, r.services)
        } catch let error as APIError where error.status == .unprocessableContent || error.status == .conflict {
            var values = form.fields
            values["password"] = nil
            values["_csrf"] = nil
            return try await show(r, state: .init(id: "user", values: values, errors: errors(error, r)))
        }
        return try await show(r, notice: r.t("accounts.added"))
    }

    static func userAction(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(r.principal, on: r.channel)
        let id = try r.context.parameter(.number)
        switch try r.context.parameter(.action) {
        case "sparra": _ = try await AccountOperations.setDisabled(true, id: id, caller, r.services)
        case "aktivera": _ = try await AccountOperations.setDisabled(false, id: id, caller, r.services)
        case "tvasteg": _ = try await SignInOperations.resetSecondFactor(id: id, caller, r.services)
        case "losenord":
            do {
                _ = try await AccountOperations.resetPassword(id: id, to: form.fields["password"] ?? "", caller, r.services)
            } catch let error as APIError where error.status == .unprocessableContent {
                return try await show(r, notice: errors(error, r)["password"])
            }
        default: throw APIError.notFound()
        }
        return try await show(r, notice: r.t("accounts.changed"))
    }

    static func createToken(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AccountOperations.Act.manageTokens.authorize(r.principal, on: r.channel)
        do {
            let token = try await AccountOperations.createToken(named: form.fields["name"] ?? "", organisation: nil, caller, r.services)
            // Shown once, on this answer only; the database keeps its hash.
            return try await show(r, newToken: token.secret)
        } catch let error as APIError where error.status == .unprocessableContent {
            return try await show(r, state: .init(id: "token", values: ["name": form.fields["name"] ?? ""], errors: errors(error, r)))
        }
    }

    static func revokeToken(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try AccountOperations.Act.manageTokens.authorize(r.principal, on: r.channel)
        try await AccountOperations.revokeToken(try r.context.parameter(.number), caller, r.services)
        return try await show(r, notice: r.t("accounts.revoked"))
    }
}
