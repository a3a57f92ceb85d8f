import Foundation

// The form and table components every page shares (issue 16, part 4): the models that
// `form.mustache` and the pages' tables render. Each page builds them; none defines its own.

/// A choice of a select (or a hidden input: `label` is the name, `value` the value).
struct Option: Sendable {
    var value: String
    var label: String
    var selected: Bool
}

/// One field of a form: its label, hint, value, and the error shown at it.
struct FieldModel: Sendable {
    var name: String
    var label: String
    var hint: String?
    var value: String
    var error: String?
    var required: Bool
    var type = "text"
    var options: [Option]? = nil
    var inputmode: String? = nil
    var autocomplete: String? = nil
    // Set by ``FormModel``: templates see stored values only.
    var inputID = ""
    var describedBy: String? = nil
    var isSelect = false
    var personCheck = false
    /// A multi-line text (the agreement editor's model parts and perspectives).
    var textarea = false
}

/// A form: its fields, where it is sent, and the summary of what is wrong when it was refused.
struct FormModel: Sendable {
    var action: String
    var heading: String
    var submit: String
    var fields: [FieldModel]
    var summary: String?
    var id: String
    /// Hidden inputs: `label` is the name, `value` the value.
    var hidden: [Option] = []
    /// The form is the page: its heading is the page's `h1`, not said twice (issue 19).
    var standalone = false

    init(action: String, heading: String, submit: String, fields: [FieldModel], summary: String?, id: String) {
        self.action = action
        self.heading = heading
        self.submit = submit
        self.summary = summary
        self.id = id
        self.fields = fields.map { field in
            var f = field
            f.inputID = "\(id)-\(f.name)"
            let ids = [f.hint != nil ? "\(f.inputID)-hint" : nil, f.error != nil ? "\(f.inputID)-error" : nil, f.personCheck ? "\(f.inputID)-check" : nil]
            f.describedBy = ids.compactMap { $0 }.isEmpty ? nil : ids.compactMap { $0 }.joined(separator: " ")
            f.isSelect = f.options != nil
            return f
        }
    }
}

/// A page that is one form.
struct FormPage: Sendable {
    var form: FormModel
    var intro: String
    var back: String?

    init(form: FormModel, intro: String, back: String? = nil) {
        var form = form
        form.standalone = true
        self.form = form
        self.intro = intro
        self.back = back
    }
}

/// Which form failed, with what the person typed and why.
struct FormState: Sendable {
    var id: String
    var values: [String: String]
    var errors: [String: String]
}

/// One row of a page's table: its cells, the name it is about, its kind, and a key for its actions.
struct TableRow: Sendable {
    var cells: [String]
    var name: String
    var kind: String
    var key: String
}
