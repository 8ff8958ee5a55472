/// Checks a submission field by field and produces `NewFeedback` or the first broken rule.
public struct FeedbackValidator: Sendable {
    public let rules: FeedbackRules

    public init(rules: FeedbackRules = FeedbackRules()) { self.rules = rules }

    public func validate(_ input: FeedbackInput) throws(ValidationError) -> NewFeedback {
        let page = try requiredText("page", input.fields["page"])
        // Counting bytes first: no more characters than bytes, and Character counting is slow.
        guard page.utf8.count <= rules.maxPageLength || page.count <= rules.maxPageLength else {
            throw ValidationError(field: "page", message: "must be at most \(rules.maxPageLength) characters")
        }
        let pageKey: String
        do {
            pageKey = try rules.normalizer.normalize(page)
        } catch {
            throw ValidationError(field: "page", message: "must be an absolute http(s) URL or a path starting with /")
        }

        let ratingText = try requiredText("rating", input.fields["rating"]).lowercased()
        guard let rating = Rating(rawValue: ratingText) else {
            throw ValidationError(field: "rating", message: "must be \"up\" or \"down\"")
        }

        let details = try validateDetails(input.fields)

        var source = try optionalText("source", input.fields["source"])?.lowercased() ?? ""
        if source.isEmpty { source = rules.defaultSource }
        guard source.count <= rules.maxSourceLength, Self.isSlug(source) else {
            throw ValidationError(field: "source", message: "must be a slug of at most \(rules.maxSourceLength) characters: a-z, 0-9, - and _")
        }

        let labels = try validateLabels(input.fields["labels"])

        return NewFeedback(
            page: page, pageKey: pageKey, rating: rating, reason: details.reason,
            comment: details.comment, source: source, labels: labels, email: details.email,
            userAgent: clip(input.userAgent), origin: clip(input.origin), referer: clip(input.referer),
            clientAddress: input.clientAddress
        )
    }

    /// The fields a reader may add after voting (reason, comment, email), checked by the same rules.
    public func validateDetails(_ fields: [String: FieldValue]) throws(ValidationError) -> FeedbackDetails {
        var reason = try optionalText("reason", fields["reason"])?.lowercased()
        if reason?.isEmpty == true { reason = nil }
        if let reason, !rules.reasons.contains(reason) {
            throw ValidationError(field: "reason", message: "must be one of: \(rules.reasons.joined(separator: ", "))")
        }
        let comment = try optionalText("comment", fields["comment"]).map(Self.cleanComment)
        if let comment, comment.utf8.count > rules.maxCommentLength && comment.count > rules.maxCommentLength {
            throw ValidationError(field: "comment", message: "must be at most \(rules.maxCommentLength) characters")
        }
        var email = try optionalText("email", fields["email"])?.trimmed()
        if email?.isEmpty == true { email = nil }
        if let address = email {
            guard address.count <= rules.maxEmailLength, let normalized = Self.normalizeEmail(address) else {
                throw ValidationError(field: "email", message: "must be a valid email address")
            }
            email = normalized
        }
        return FeedbackDetails(reason: reason, comment: comment.flatMap { $0.isEmpty ? nil : $0 }, email: email)
    }

    private func requiredText(_ field: String, _ value: FieldValue?) throws(ValidationError) -> String {
        guard let value, value != .null else { throw ValidationError(field: field, message: "is required") }
        guard case .text(let text) = value else {
            throw ValidationError(field: field, message: "must be a string, not \(value.typeName)")
        }
        let trimmed = text.trimmed()
        guard !trimmed.isEmpty else { throw ValidationError(field: field, message: "is required") }
        return trimmed
    }

    private func optionalText(_ field: String, _ value: FieldValue?) throws(ValidationError) -> String? {
        guard let value, value != .null else { return nil }
        guard case .text(let text) = value else {
            throw ValidationError(field: field, message: "must be a string, not \(value.typeName)")
        }
        return text.trimmed()
    }

    private func validateLabels(_ value: FieldValue?) throws(ValidationError) -> [(key: String, value: String)] {
        guard let value, value != .null else { return [] }
        guard case .object(let object) = value else {
            throw ValidationError(field: "labels", message: "must be an object of string pairs, not \(value.typeName)")
        }
        guard object.count <= rules.maxLabels else {
            throw ValidationError(field: "labels", message: "must have at most \(rules.maxLabels) entries")
        }
        var labels: [(key: String, value: String)] = []
        for key in object.keys.sorted() {
            let field = "labels.\(key)"
            guard !key.isEmpty, key.count <= rules.maxLabelKeyLength,
                  key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }) else {
                throw ValidationError(field: field, message: "label names must be 1-\(rules.maxLabelKeyLength) characters of A-Z, a-z, 0-9, -, _ and .")
            }
            let text: String
            switch object[key] {
            case .text(let s): text = s.trimmed()
            case .number(let s): text = s
            case .bool(let b): text = b ? "true" : "false"
            case let other: throw ValidationError(field: field, message: "must be a string, not \(other?.typeName ?? "null")")
            }
            guard text.count <= rules.maxLabelValueLength, !text.unicodeScalars.contains(where: Self.isControl) else {
                throw ValidationError(field: field, message: "must be at most \(rules.maxLabelValueLength) characters without control characters")
            }
            labels.append((key, text))
        }
        return labels
    }

    private func clip(_ value: String?) -> String? {
        guard let value else { return nil }
        if value.utf8.count <= rules.maxHeaderValueLength && !value.unicodeScalars.contains(where: Self.isControl) {
            return value.isEmpty ? nil : value
        }
        let cleaned = String(String.UnicodeScalarView(value.unicodeScalars.filter { !Self.isControl($0) }))
        return cleaned.isEmpty ? nil : String(cleaned.prefix(rules.maxHeaderValueLength))
    }

    /// Trims, turns CRLF and CR into LF, drops control characters other than LF and TAB.
    static func cleanComment(_ text: String) -> String {
        if !text.unicodeScalars.contains(where: { $0 == "\r" || ($0 != "\n" && $0 != "\t" && isControl($0)) }) { return text.trimmed() }
        var scalars = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" { scalars.append("\n"); previousCR = true; continue }
            if scalar == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            if scalar == "\n" || scalar == "\t" || !isControl(scalar) { scalars.append(scalar) }
        }
        return String(scalars).trimmed()
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value) // bidi overrides
    }

    static func isSlug(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// A pragmatic check: one `@`, a non-empty local part of at most 64 characters without spaces,
    /// a domain of dot-separated labels. The domain is lower-cased.
    static func normalizeEmail(_ address: String) -> String? {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0], domain = parts[1].lowercased()
        guard !local.isEmpty, local.count <= 64,
              local.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !"\"(),:;<>[\\]".unicodeScalars.contains($0) }),
              !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" }
        }) else { return nil }
        return "\(local)@\(domain)"
    }
}

extension String {
    func trimmed() -> String {
        // Fast path: an ASCII first and last byte that are not white space (Unicode's ASCII white
        // space is TAB, LF, VT, FF, CR and SP) means nothing to trim, without Unicode property lookups.
        if let first = utf8.first, let last = utf8.last, first < 0x80, last < 0x80,
           !Self.isASCIIWhitespace(first), !Self.isASCIIWhitespace(last) { return self }
        return trimmedByScalars()
    }

    /// The general trim: white space by Unicode's property, at both ends.
    func trimmedByScalars() -> String {
        let scalars = unicodeScalars
        if let first = scalars.first, let last = scalars.last, !first.properties.isWhitespace, !last.properties.isWhitespace { return self }
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    static func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
}
