import ArgumentParser
import Foundation
import App
import HTTP

/// Resolves a setting from its flag, then its `HEARKEN_*` environment variable, then its default.
struct Setting<Value> {
    let flag: String
    let variable: String
    let form: String
    /// A secret's refused value is not repeated in the error.
    var secret = false
    let parse: (String) -> Value?

    init(flag: String, variable: String, form: String, secret: Bool = false, parse: @escaping (String) -> Value?) {
        self.flag = flag
        self.variable = variable
        self.form = form
        self.secret = secret
        self.parse = parse
    }

    func resolve(_ flagValue: String?, default fallback: Value) throws -> Value {
        if let flagValue {
            guard let value = parse(flagValue) else { throw ValidationError("invalid --\(flag) \(shown(flagValue)): expected \(form)") }
            return value
        }
        if let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty {
            guard let value = parse(text) else { throw ValidationError("invalid \(variable) \(shown(text)): expected \(form)") }
            return value
        }
        return fallback
    }

    private func shown(_ value: String) -> String { secret ? "(value hidden)" : "'\(value)'" }
}

enum Settings {
    /// `--keep-query` / HEARKEN_KEEP_QUERY: `serve` and every command that names pages must normalize
    /// them alike, or a page given to one would not be the page stored by the other.
    static var keepQuery: Setting<Bool> {
        Setting(flag: "keep-query", variable: "HEARKEN_KEEP_QUERY", form: "true or false") { Bool($0.lowercased()) }
    }

    static func text(_ flag: String, _ variable: String) -> Setting<String> {
        Setting(flag: flag, variable: variable, form: "text") { $0 }
    }

    static func integer(_ flag: String, _ variable: String, _ range: ClosedRange<Int>) -> Setting<Int> {
        Setting(flag: flag, variable: variable, form: "an integer from \(range.lowerBound) to \(range.upperBound)") {
            Int($0).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    static func seconds(_ flag: String, _ variable: String) -> Setting<Double> {
        Setting(flag: flag, variable: variable, form: "seconds, a number from 0.1 to 86400") {
            Double($0).flatMap { (0.1...86400).contains($0) ? $0 : nil }
        }
    }

    /// `15m`, `2s`, `1h`, `1d` or plain seconds, from 0.1 s to 7 days.
    static func duration(_ flag: String, _ variable: String) -> Setting<Double> {
        Setting(flag: flag, variable: variable, form: "a duration such as 15m, 1h, 2s (0.1 s to 7 days)") { CommandSupport.duration($0) }
    }

    static func choice<T: RawRepresentable>(_ flag: String, _ variable: String, _ all: [T]) -> Setting<T> where T.RawValue == String {
        Setting(flag: flag, variable: variable, form: "one of " + all.map(\.rawValue).joined(separator: ", ")) { T(rawValue: $0.lowercased()) }
    }

    static func list(_ flag: String, _ variable: String) -> Setting<[String]> {
        Setting(flag: flag, variable: variable, form: "a comma-separated list") { text in
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return items.isEmpty ? nil : items
        }
    }

    /// Origins as browsers send them: http(s)://host[:port], no path.
    static var origins: Setting<[String]> {
        Setting(flag: "allowed-origin", variable: "HEARKEN_ALLOWED_ORIGINS", form: "origins such as https://docs.example.com, comma-separated") { text in
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let valid = items.allSatisfy { item in
                guard let url = URL(string: item), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                      url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil else { return false }
                return true
            }
            return valid && !items.isEmpty ? items : nil
        }
    }

    /// Host names (no scheme, no path), comma-separated.
    static var hosts: Setting<[String]> {
        Setting(flag: "redirect-host", variable: "HEARKEN_REDIRECT_HOSTS", form: "host names such as docs.example.com, comma-separated") { text in
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            let valid = items.allSatisfy { item in
                item.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-.[]:".unicodeScalars.contains($0) }
            }
            return valid && !items.isEmpty ? items : nil
        }
    }

    /// Networks in CIDR notation or single addresses, comma-separated.
    static var proxies: Setting<[CIDR]> {
        Setting(flag: "trusted-proxy", variable: "HEARKEN_TRUSTED_PROXIES", form: "addresses or CIDR networks such as 10.0.0.0/8, comma-separated") { text in
            let items = text.split(separator: ",").map { CIDR($0.trimmingCharacters(in: .whitespaces)) }
            guard !items.isEmpty, items.allSatisfy({ $0 != nil }) else { return nil }
            return items.compactMap { $0 }
        }
    }

    /// An absolute http(s) URL without query, trailing slash removed.
    static var publicURL: Setting<String?> {
        Setting(flag: "public-url", variable: "HEARKEN_PUBLIC_URL", form: "an absolute http(s) URL such as https://feedback.example.com") { text in
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil, url.query == nil, url.fragment == nil else { return nil }
            var trimmed = text
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            return trimmed
        }
    }

    static var database: Setting<String> { text("db", "HEARKEN_DB") }
    static let defaultDatabase = "./data/hearken.db"
}
