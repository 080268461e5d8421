import Foundation

/// The Swift side of the iOS module: one SDK instance (a `TimBridge` from the UniFFI bindings in
/// `Generated/`), reachable from the Objective-C++ module. It only marshals strings: every rule,
/// parameter check and error code lives in the Rust core.
@objc(TimSession)
public final class TimSession: NSObject {
  private var bridge: TimBridge?

  /// `onEvent` receives each SDK event as `{"type","data"}` JSON text, on a core thread, in order.
  @objc public init(onEvent: @escaping (String) -> Void) {
    bridge = TimBridge(sink: EventForwarder(onEvent))
    super.init()
  }

  /// Answers `method` with `{"code","desc","data"?}` JSON text through `completion`, on a Swift
  /// concurrency thread. Never blocks the caller (the JS thread). Order: the core answers only
  /// after `onEvent` returned for every event before the answer, and the module hands both to
  /// the JavaScript thread's one queue, so a login's events reach JavaScript before its result.
  @objc public func call(method: String, paramsJson: String, completion: @escaping (String) -> Void) {
    guard let bridge else {
      completion(#"{"code":6013,"desc":"the TencentImSDK module was invalidated"}"#)
      return
    }
    Task.detached {
      completion(await bridge.call(method: method, paramsJson: paramsJson))
    }
  }

  /// Releases the SDK instance (logs out without waiting for the server).
  @objc public func close() {
    bridge = nil
  }
}

/// Hands events to the module; the core calls it on its own thread and never waits on the host.
private final class EventForwarder: EventSink, @unchecked Sendable {
  private let forward: (String) -> Void

  init(_ forward: @escaping (String) -> Void) {
    self.forward = forward
  }

  func onEvent(eventJson: String) {
    forward(eventJson)
  }
}
