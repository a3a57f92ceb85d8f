import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// An admin's users and API tokens, of their own organisation only (SPEC §1).
enum AccountPages {
    struct UserRow: Sendable {
        var email: String
        var role: String
        var state: String
        var disabled: Bool
        var toggle: String
        var toggleLabel: String
        var password: String
        var id: String
    }

    struct TokenRow: Sendable {
        var name: String
        var created: String
        var revoked: String?
        var revoke: String?
    }

    struct Model: Sendable {
        var users: [UserRow]
        var tokens: [TokenRow]
        var addUser: ParticipantPages.FormModel
        var createToken: ParticipantPages.FormModel
        var newToken: String?
        var organisation: String
    }

    static func show(_ r: PageRequest, state: ParticipantPages.FormState? = nil, newToken: String? = nil, notice: String? = nil) async throws -> Response {
        let principal = try r.require(\.managesAccounts, "manage users")
        let own = principal.organisation
        let users = try await r.services.store.users(of: own)
        let tokens = try await r.services.store.tokens(of: own)
        func values(_ id: String) -> [String: String] { state?.id == id ? state!.values : [:] }
        func errors(_ id: String) -> [String: String] { state?.id == id ? state!.errors : [:] }
        func field(_ form: String, _ name: String, type: String = "text", options: [ParticipantPages.Option]? = nil) -> ParticipantPages.FieldModel {
            let v = values(form)[name] ?? ""
            return ParticipantPages.FieldModel(
                name: name, label: r.t("field." + name), hint: r.language.strings["hint." + name], value: type == "password" ? "" : v,
                error: errors(form)[name], required: true, type: type,
                options: options?.map { ParticipantPages.Option(value: $0.value, label: $0.label, selected: $0.value == v) },
                autocomplete: type == "password" ? "new-password" : nil)
        }
        let roles = [Role.caseworker, .coordinator, .analyst, .auditor, .admin].map {
            ParticipantPages.Option(value: $0.rawValue, label: r.t("role." + $0.rawValue), selected: false)
        }
        let model = Model(
            users: users.map { u in
                UserRow(
                    email: u.email, role: r.t("role." + u.role.rawValue), state: r.t(u.disabled ? "user.disabled" : "user.active"), disabled: u.disabled,
                    toggle: SiteURL.userAction(String(u.id), u.disabled ? "aktivera" : "sparra").path,
                    toggleLabel: r.t(u.disabled ? "user.enable" : "user.disable"),
                    password: SiteURL.userAction(String(u.id), "losenord").path, id: String(u.id))
            },
            tokens: tokens.map { t in
                TokenRow(
                    name: t.name, created: String(t.createdAt.prefix(10)), revoked: t.revokedAt.map { String($0.prefix(10)) },
                    revoke: t.revokedAt == nil ? SiteURL.revokeToken(String(t.id)).path : nil)
            },
            addUser: .init(
                action: SiteURL.addUser.path, heading: r.t("accounts.addUser"), submit: r.t("accounts.addUser"),
                fields: [field("user", "email", type: "email"), field("user", "role", options: roles), field("user", "password", type: "password")],
                summary: errors("user").isEmpty ? nil : r.t("form.errors"), id: "user"),
            createToken: .init(
                action: SiteURL.createToken.path, heading: r.t("accounts.createToken"), submit: r.t("accounts.createToken"),
                fields: [field("token", "name")], summary: errors("token").isEmpty ? nil : r.t("form.errors"), id: "token"),
            newToken: newToken, organisation: own.description)
        return r.render("accounts", title: r.t("accounts.title"), model, current: .accounts, notice: notice, status: state == nil ? .ok : .unprocessableContent)
    }

    static func errors(_ error: APIError, _ r: PageRequest) -> [String: String] {
        var errors: [String: String] = [:]
        for p in error.problems where errors[p.column] == nil { errors[p.column] = Klarsprak.reason(p.reason, r.language, column: p.column) }
        if errors.isEmpty { errors["email"] = error.status == .conflict ? r.t("accounts.exists") : error.message }
        return errors
    }

    static func addUser(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let principal = try r.require(\.managesAccounts, "manage users")
        do {
            _ = try await AccountRoutes.add(
                email: form["email"] ?? "", organisation: principal.organisation, role: form["role"] ?? "", password: form.fields["password"] ?? "", principal,
                channel: "POST /konton/anvandare", r.services)
        } catch let error as APIError where error.status == .unprocessableContent || error.status == .conflict {
            var values = form.fields
            values["password"] = nil
            values["_csrf"] = nil
            return try await show(r, state: .init(id: "user", values: values, errors: errors(error, r)))
        }
        return try await show(r, notice: r.t("accounts.added"))
    }

    static func userAction(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let principal = try r.require(\.managesAccounts, "manage users")
        guard let id = r.context.parameters.get("id").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        let channel = "POST /konton/anvandare/{id}/{action}"
        switch r.context.parameters.get("action") {
        case "sparra": _ = try await AccountRoutes.setDisabled(true, id: id, principal, channel: channel, r.services)
        case "aktivera": _ = try await AccountRoutes.setDisabled(false, id: id, principal, channel: channel, r.services)
        case "losenord":
            do {
                _ = try await AccountRoutes.resetPassword(id: id, to: form.fields["password"] ?? "", principal, channel: channel, r.services)
            } catch let error as APIError where error.status == .unprocessableContent {
                return try await show(r, notice: errors(error, r)["password"])
            }
        default: throw APIError.notFound()
        }
        return try await show(r, notice: r.t("accounts.changed"))
    }

    static func createToken(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let principal = try r.require(\.managesAccounts, "manage API tokens")
        do {
            let (_, _, secret) = try await AccountRoutes.createToken(
                named: form.fields["name"] ?? "", for: principal.organisation, principal, channel: "POST /konton/nycklar", r.services)
            // Shown once, on this answer only; the database keeps its hash.
            return try await show(r, newToken: secret)
        } catch let error as APIError where error.status == .unprocessableContent {
            return try await show(r, state: .init(id: "token", values: ["name": form.fields["name"] ?? ""], errors: errors(error, r)))
        }
    }

    static func revokeToken(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let principal = try r.require(\.managesAccounts, "manage API tokens")
        guard let id = r.context.parameters.get("id").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        try await AccountRoutes.revokeToken(id, principal, channel: "POST /konton/nycklar/{id}/aterkalla", r.services)
        return try await show(r, notice: r.t("accounts.revoked"))
    }
}
