import HTTP

/// Small helpers for building JSON answers without an encoder on the hot path.
enum JSONBody {
    static func response(_ status: HTTPStatus, _ json: String, headers: [(String, String)] = []) -> Response {
        var response = Response(status: status, contentType: "application/json", body: json.utf8)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(JSONText.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
