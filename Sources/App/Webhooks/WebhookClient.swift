import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// Outgoing webhook requests through FoundationNetworking's URLSession (it ships with the toolchain;
/// one POST at a time per delivery needs nothing AsyncHTTPClient adds). Redirects are not followed,
/// response bodies are read up to `maxResponseBytes`, and each request has an idle/connect timeout
/// and a total one.
final class WebhookClient: NSObject, URLSessionDataDelegate, Sendable {
    struct Result: Sendable {
        let status: Int?
        let error: String?
    }

    static let maxResponseBytes = 4096
    private let idleTimeout: Double
    private let totalTimeout: Double
    private let tasks = Mutex<[Int: (status: Int?, bytes: Int, completion: @Sendable (Result) -> Void)]>([:])
    private let session = Mutex<URLSession?>(nil)

    init(idleTimeout: Double, totalTimeout: Double) {
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = totalTimeout
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        session.withLock { $0 = URLSession(configuration: configuration, delegate: self, delegateQueue: nil) }
    }

    /// POSTs `body`; `completion` runs once with the status or the error.
    func post(_ url: URL, body: Data, headers: [(String, String)], completion: @escaping @Sendable (Result) -> Void) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            completion(Result(status: nil, error: "only http and https URLs are allowed"))
            return
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: idleTimeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("hearken-webhooks", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        guard let task = session.withLock({ $0?.dataTask(with: request) }) else {
            completion(Result(status: nil, error: "the webhook client is closed"))
            return
        }
        tasks.withLock { $0[task.taskIdentifier] = (nil, 0, completion) }
        task.resume()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode
        tasks.withLock { $0[dataTask.taskIdentifier]?.status = status }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        // The status is all that matters; a receiver streaming a large body must not hold the sender.
        let over = tasks.withLock { entries -> Bool in
            entries[dataTask.taskIdentifier]?.bytes += data.count
            return (entries[dataTask.taskIdentifier]?.bytes ?? 0) > Self.maxResponseBytes
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let entry = tasks.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        if let status = entry.status, entry.bytes > Self.maxResponseBytes || error == nil {
            entry.completion(Result(status: status, error: nil))
        } else if let error {
            let nsError = error as NSError
            let text = nsError.code == NSURLErrorTimedOut ? "timed out" : nsError.localizedDescription
            entry.completion(Result(status: entry.status, error: text))
        } else {
            entry.completion(Result(status: entry.status, error: entry.status == nil ? "no response" : nil))
        }
    }

    func close() {
        session.withLock { session in
            session?.invalidateAndCancel()
            session = nil
        }
    }
}
